"""What the engine benchmarks share: a project folder running the project's own program with N password principals
(one Contributor role each), and a stopwatch. Imported by the scripts beside it (``python bench/<script>.py`` puts
this folder on ``sys.path``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SCOPE = "/subscriptions/11111111-1111-4111-8111-111111111111"
"""The subscription every benchmark principal gets its Contributor role on (the fake's)."""


def principals(count: int) -> list[dict[str, object]]:
    """``count`` password principals named ``p000``, ``p001``, ..., each Contributor on :data:`SCOPE`."""
    credential = {"rotatedOn": "2026-11-01", "lifetimeDays": 180}
    return [
        {"name": f"p{i:03d}", "roles": [{"role": "Contributor", "scope": SCOPE}], "credential": credential} for i in range(count)
    ]


def project_dir(base: Path, name: str, count: int, plugin_folder: Path | None = None) -> Path:
    """``base/name``: the project's ``Pulumi.yaml`` (the plugin's folder made absolute, or ``plugin_folder``) and a
    ``Pulumi.<name>.yaml`` with partner ID 1234567 and :func:`principals`."""
    from partner_attribution.plugin.locate import copied_project, with_declared_folder

    work = base / name
    work.mkdir(parents=True)
    settings = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    settings = copied_project(ROOT, settings) if plugin_folder is None else with_declared_folder(settings, plugin_folder)
    (work / "Pulumi.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    config = {"partner-attribution:partnerId": "1234567", "partner-attribution:principals": principals(count)}
    (work / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": config}))
    return work


def timed(action: Callable[[], object]) -> float:
    """Seconds ``action()`` took."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start
