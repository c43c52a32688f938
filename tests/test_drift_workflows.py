"""The scheduled drift workflows parse, and use only commands, flags and variables that exist.

The Pulumi CLI can't be installed here, so its flags are checked against the documented ones
(pulumi.com/docs/iac/cli/commands/pulumi_preview and pulumi_login); our own commands are run for real.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from conftest import PROJECT_ROOT
from partner_attribution.cli import app

GITHUB = PROJECT_ROOT / ".github" / "workflows" / "drift.yml"
AZDO = PROJECT_ROOT / "pipelines" / "drift.azure-pipelines.yml"
DOCS = (PROJECT_ROOT / "docs" / "drift.md").read_text()

PULUMI_FLAGS = {
    "preview": {"--stack", "-s", "--refresh", "--expect-no-changes", "--diff", "--non-interactive", "--json", "--cwd"},
    "login": set(),
}


def _load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text())
    assert isinstance(document, dict)
    return document


def _scripts(node: Any) -> list[str]:
    """Every shell script in a workflow (run:, script:, inlineScript:)."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("run", "script", "inlineScript") and isinstance(value, str):
                found.append(value)
            else:
                found += _scripts(value)
    elif isinstance(node, list):
        for item in node:
            found += _scripts(item)
    return found


def _commands(scripts: list[str], program: str) -> list[list[str]]:
    """The invocations of ``program`` in the scripts, as argument lists."""
    commands = []
    for script in scripts:
        for line in script.splitlines():
            line = line.replace("$(ls Pulumi.*.yaml | sed 's/^/--config /')", "--config Pulumi.dev.yaml")
            line = re.sub(r"\$\{\{[^}]*\}\}|\$\([A-Z_]+\)", "X", line)  # workflow expressions and AzDO macros
            if not re.search(rf"(^|[\s/]){re.escape(program)}\s", line):
                continue
            for segment in re.split(r"&&|\|\||\||;", line):
                words = shlex.split(segment.split(">>")[0].split(" > ")[0])  # drop output redirection
                if words and (words[0] == program or words[0].endswith(f"/{program}")):
                    commands.append(words)
    return commands


@pytest.mark.parametrize("path", [GITHUB, AZDO], ids=["github", "azure-devops"])
def test_pulumi_commands_use_documented_flags(path: Path) -> None:
    commands = _commands(_scripts(_load(path)), "pulumi")
    assert [c[1] for c in commands] == ["login", "preview"]
    for command in commands:
        flags = {w.split("=")[0] for w in command[2:] if w.startswith("-")}
        assert flags <= PULUMI_FLAGS[command[1]], f"{command}: unknown {flags - PULUMI_FLAGS[command[1]]}"
    preview = next(c for c in commands if c[1] == "preview")
    assert {"--refresh", "--expect-no-changes", "--diff"} <= set(preview)


@pytest.mark.parametrize("path", [GITHUB, AZDO], ids=["github", "azure-devops"])
def test_plan_step_runs_as_written(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The offline plan step, with the stack files of this repository, succeeds."""
    monkeypatch.chdir(PROJECT_ROOT)
    commands = _commands(_scripts(_load(path)), "partner-attribution")
    assert commands, "the workflow checks configuration offline"
    for command in commands:
        result = CliRunner().invoke(app, command[1:])
        assert result.exit_code == 0, result.output


def test_github_workflow_structure() -> None:
    workflow = _load(GITHUB)
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads 'on' as True
    assert triggers["schedule"][0]["cron"] and "workflow_dispatch" in triggers
    assert workflow["permissions"]["id-token"] == "write"
    drift = workflow["jobs"]["drift"]
    assert drift["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.stacks) }}"
    assert drift["strategy"]["fail-fast"] is False
    assert drift["env"]["ARM_USE_OIDC"] == "true"
    assert "ARM_CLIENT_SECRET" not in drift["env"], "OIDC: no client secret"
    assert "GITHUB_STEP_SUMMARY" in " ".join(_scripts(drift))
    outputs = workflow["jobs"]["stacks"]["outputs"]["stacks"]
    assert outputs == "${{ steps.list.outputs.stacks }}"
    assert any(step.get("id") == "list" for step in workflow["jobs"]["stacks"]["steps"])


def test_github_variables_and_secrets_are_documented() -> None:
    text = GITHUB.read_text()
    names = set(re.findall(r"\$\{\{\s*(?:vars|secrets)\.([A-Z_]+)\s*\}\}", text))
    assert names == {
        "AZURE_CLIENT_ID",
        "AZURE_TENANT_ID",
        "AZURE_SUBSCRIPTION_ID",
        "PULUMI_BACKEND_URL",
        "PULUMI_ACCESS_TOKEN",
        "PULUMI_CONFIG_PASSPHRASE",
    }
    for name in names:
        assert f"`{name}`" in DOCS


def test_github_stack_listing_matches_stack_files(tmp_path: Path) -> None:
    """The 'list' step's shell turns Pulumi.<stack>.yaml files into a JSON list of stack names."""
    import json
    import subprocess

    step = next(s for s in _load(GITHUB)["jobs"]["stacks"]["steps"] if s.get("id") == "list")
    for name in ("Pulumi.dev.yaml", "Pulumi.contoso-prod.yaml"):
        (tmp_path / name).write_text("config: {}\n")
    output = tmp_path / "out"
    subprocess.run(
        ["bash", "-c", step["run"]], cwd=tmp_path, env={"GITHUB_OUTPUT": str(output), "PATH": "/usr/bin:/bin"}, check=True
    )
    key, _, value = output.read_text().strip().partition("=")
    assert key == "stacks" and sorted(json.loads(value)) == ["contoso-prod", "dev"]


def test_azure_pipeline_structure() -> None:
    pipeline = _load(AZDO)
    assert pipeline["schedules"][0]["cron"] and pipeline["trigger"] == "none"
    drift_jobs = pipeline["stages"][1]["jobs"][0]
    ((each_key, jobs),) = drift_jobs.items()
    assert each_key == "${{ each stack in parameters.stacks }}"
    task = next(step for step in jobs[0]["steps"] if step.get("task") == "AzureCLI@2")
    inputs = task["inputs"]
    assert set(inputs) <= {
        "azureSubscription",
        "scriptType",
        "scriptLocation",
        "inlineScript",
        "addSpnToEnvironment",
        "scriptPath",
        "arguments",
        "workingDirectory",
        "failOnStandardError",
    }  # AzureCLI@2 inputs
    assert inputs["addSpnToEnvironment"] is True
    for variable in ("$idToken", "$servicePrincipalId", "$tenantId"):
        assert variable in inputs["inlineScript"]
    assert "ARM_CLIENT_SECRET" not in inputs["inlineScript"]
    assert "workload identity federation" in DOCS
