"""Engine tests: the real Pulumi CLI runs the project's programs against the fake Azure and the fake plugins.

Marked ``engine`` (``pytest -m engine`` runs exactly these). The CLI is a recent enough ``pulumi`` on PATH, else
the one ``scripts/pulumi-toolchain.sh`` built into its cache; with neither they are skipped with one line saying
how to get one, except with ``CI=true``, where they fail instead.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from partner_attribution.plugin.locate import copied_project
from partner_attribution.testing.engine import MINIMUM_VERSION, FakeDeployment, find_pulumi

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TOOLCHAIN_SCRIPT = PROJECT_ROOT / "scripts" / "pulumi-toolchain.sh"
GITHUB_SUBJECT = "repo:contoso-partner/landing-zone:ref:refs/heads/main"
"""The example stack's linkFederation (Pulumi.dev.yaml): GitHub Actions on branch main."""


@pytest.fixture(scope="session")
def pulumi_bin() -> Path:
    """The folder of the Pulumi CLI the engine tests run."""
    found = find_pulumi(build=os.environ.get("CI") == "true", script=TOOLCHAIN_SCRIPT)
    if found is None:
        message = (
            f"engine tests need pulumi >= {'.'.join(map(str, MINIMUM_VERSION))}: none on PATH or in the toolchain cache; "
            "run `bash scripts/pulumi-toolchain.sh` (needs Go, builds it once) or install the Pulumi CLI"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def write_project_file(work_dir: Path, source: Path = PROJECT_ROOT / "Pulumi.yaml") -> Path:
    """``source`` (a ``Pulumi.yaml``) in ``work_dir``, the plugin's folder it declares made absolute: the same
    plugin as the source project's (the bundled project's ``.venv/bin``), which is not on the CLI's PATH."""
    project = yaml.safe_load(source.read_text()) or {}
    target = work_dir / "Pulumi.yaml"
    target.write_text(yaml.safe_dump(copied_project(source.parent, project), sort_keys=False))
    return target


def copy_project(work_dir: Path, stack_file: Path, stack_name: str, edit: Callable[[str], str] | None = None) -> Path:
    """The bundled project (Pulumi.yaml) with ``stack_file`` as ``Pulumi.<stack_name>.yaml`` in ``work_dir``."""
    work_dir.mkdir(parents=True, exist_ok=True)
    write_project_file(work_dir)
    text = stack_file.read_text()
    (work_dir / f"Pulumi.{stack_name}.yaml").write_text(edit(text) if edit else text)
    return work_dir


def bundled_program() -> None:
    """The project's own program (``__main__.py``), served inline."""
    from partner_attribution.program import main

    main()


def exit_code(error: BaseException) -> int:
    """The CLI's exit code from an Automation API CommandError."""
    match = re.search(r"\n code: (-?\d+)", str(error))
    assert match, f"no exit code in {error}"
    return int(match.group(1))


@pytest.fixture
def deployment(pulumi_bin: Path, tmp_path: Path) -> Iterator[FakeDeployment]:
    with FakeDeployment(pulumi_bin, tmp_path / "engine") as started:
        yield started


def outputs_of(stack: Any) -> dict[str, Any]:
    return {k: v.value for k, v in stack.outputs().items()}


def rehearse(project: Path, pulumi_bin: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``partner-attribution rehearse <args> --dir <project> --stack dev``, with the built CLI on PATH."""
    env = {**os.environ, "PATH": f"{pulumi_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        [sys.executable, "-m", "partner_attribution", "rehearse", *args, "--dir", str(project), "--stack", "dev"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
