"""``report --pulumi-backend``: every stack of a real Pulumi backend (a local file backend, the pinned Pulumi CLI) read
the way the Automation API reads stack outputs, made into one portfolio. Needs the Pulumi CLI (on PATH, or built by
``bash scripts/pulumi-toolchain.sh``): an engine test (marker ``engine``), run where the engine tests run."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from test_coverage import SUB_A, document, mixed, principal
from typer.testing import CliRunner

from partner_attribution.cli import app
from partner_attribution.testing.engine import find_pulumi


def pulumi_cli() -> str:
    found = find_pulumi()
    assert found is not None, "the engine tests run only where a Pulumi CLI is found (tests/conftest.py)"
    return str(found / "pulumi")


def backend_with_stacks(tmp_path: Path, stacks: dict[str, dict[str, Any]]) -> dict[str, str]:
    """A file backend holding one stack per entry, each with the given stack outputs (imported as a deployment, so no
    program has to run); returns the environment that logs in to it."""
    cli = pulumi_cli()
    env = {
        "PATH": f"{Path(cli).parent}{os.pathsep}{os.environ['PATH']}",
        "PULUMI_HOME": str(tmp_path / "home"),
        "PULUMI_BACKEND_URL": (tmp_path / "state").as_uri(),
        "PULUMI_CONFIG_PASSPHRASE": "not a secret: a test backend",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
    }
    (tmp_path / "state").mkdir()
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: customers\nruntime: yaml\n")
    full_env = {**os.environ, **env}
    for name, outputs in stacks.items():
        subprocess.run([cli, "stack", "init", name, "--non-interactive"], cwd=project, env=full_env, check=True,
                       capture_output=True)  # fmt: skip
        exported = json.loads(subprocess.run([cli, "stack", "export", "--stack", name], cwd=project, env=full_env,
                                             check=True, capture_output=True, text=True).stdout)  # fmt: skip
        exported["deployment"]["resources"] = [
            {
                "urn": f"urn:pulumi:{name}::customers::pulumi:pulumi:Stack::customers-{name}",
                "custom": False,
                "type": "pulumi:pulumi:Stack",
                "outputs": outputs,
            }
        ]
        state = tmp_path / f"{name}.json"
        state.write_text(json.dumps(exported))
        subprocess.run([cli, "stack", "import", "--stack", name, "--file", str(state)], cwd=project, env=full_env,
                       check=True, capture_output=True)  # fmt: skip
    return env


def test_report_reads_every_stack_of_a_pulumi_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = backend_with_stacks(
        tmp_path,
        {
            "contoso": mixed(),
            "fabrikam": {**document(principal("platform", [("Contributor", SUB_A, True)])), "linkCredentials": {}},
            "sandbox": {"somethingElse": 1},  # a stack of another program: skipped, named
        },
    )
    monkeypatch.chdir(tmp_path)  # not a project folder: the stacks are listed across the backend
    result = CliRunner().invoke(
        app, ["report", "--pulumi-backend", "-f", "json", "--fail-on-gaps"], env=env, catch_exceptions=False
    )
    assert result.exit_code == 1, result.stderr  # contoso has gaps, and --fail-on-gaps was given
    report = json.loads(result.stdout)
    assert [(c["customer"], c["stack"], c["standing"]) for c in report["customers"]] == [
        ("contoso", "organization/customers/contoso", "credited to another partner ID"),
        ("fabrikam", "organization/customers/fabrikam", "earns PEC"),
    ]
    assert report["skippedStacks"] == ["organization/customers/sandbox"]
    assert "skipped: stack organization/customers/sandbox has no attribution output" in result.stderr
