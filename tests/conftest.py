"""Shared fixtures: the local HTTPS fake of Azure and helpers to evaluate programs offline."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from partner_attribution.testing import FakeAzure

PROJECT_ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_STACK = PROJECT_ROOT / "Pulumi.dev.yaml"


@pytest.fixture
def fake_azure(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAzure]:
    """A started fake; clients in this process trust its CA through REQUESTS_CA_BUNDLE."""
    with FakeAzure() as azure:
        for key, value in azure.environment().items():
            monkeypatch.setenv(key, value)
        yield azure


def config_with(principals: list[dict[str, Any]], **top: Any) -> dict[str, str]:
    """Pulumi's form of a partner-attribution config: namespaced keys, JSON for structures."""
    config = {"partner-attribution:partnerId": "1234567", "partner-attribution:principals": json.dumps(principals)}
    for key, value in top.items():
        config[f"partner-attribution:{key}"] = value if isinstance(value, str) else json.dumps(value)
    return config


def principal(name: str = "delivery", **overrides: Any) -> dict[str, Any]:
    """A valid principal entry; override any key."""
    entry: dict[str, Any] = {
        "name": name,
        "roles": [{"role": "Contributor", "scope": "/subscriptions/11111111-1111-4111-8111-111111111111"}],
        "credential": {"rotatedOn": "2026-11-01", "lifetimeDays": 180},
    }
    entry.update(overrides)
    return entry


@pytest.fixture(autouse=True)
def _no_proxy_for_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    if "NO_PROXY" not in os.environ:
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


PIPELINE_TOKEN_VARIABLES = (
    "ARM_OIDC_TOKEN",
    "ARM_OIDC_TOKEN_FILE_PATH",
    "AZURE_FEDERATED_TOKEN_FILE",
    "ARM_OIDC_REQUEST_URL",
    "ARM_OIDC_REQUEST_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "SYSTEM_OIDCREQUESTURI",
    "SYSTEM_ACCESSTOKEN",
)


@pytest.fixture(autouse=True)
def _no_pipeline_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests decide where a pipeline token comes from: none of the runner's own (when the suite runs in CI)."""
    for key in PIPELINE_TOKEN_VARIABLES:
        monkeypatch.delenv(key, raising=False)


# -- the engine tests (tests/engine, marker engine): one line when there is no CLI to run them -------------------------
ENGINE_TESTS = Path(__file__).resolve().parent / "engine"
_ENGINE_MISSING = pytest.StashKey[str | None]()


def _engine_cli_missing(config: pytest.Config) -> str | None:
    """Why the engine tests can't run here (no recent enough pulumi on PATH or in the toolchain cache), or None.
    With CI=true they always run (and fail without a CLI)."""
    if os.environ.get("CI") == "true":
        return None
    from partner_attribution.testing.engine import MINIMUM_VERSION, find_pulumi

    if find_pulumi() is not None:
        return None
    return (
        f"engine tests skipped: no pulumi >= {'.'.join(map(str, MINIMUM_VERSION))} on PATH or in the toolchain cache; "
        "run `bash scripts/pulumi-toolchain.sh` (needs Go, builds it once) or install the Pulumi CLI"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_ENGINE_MISSING] = _engine_cli_missing(config)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    engine = [item for item in items if ENGINE_TESTS in Path(str(item.path)).parents]
    for item in engine:
        item.add_marker(pytest.mark.engine)
    if engine and config.stash[_ENGINE_MISSING] is not None:
        config.hook.pytest_deselected(items=engine)
        items[:] = [item for item in items if item not in engine]


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    reason = config.stash.get(_ENGINE_MISSING, None)
    markers = config.option.markexpr or ""
    if reason is not None and "not engine" not in markers:
        terminalreporter.write_line(reason)
