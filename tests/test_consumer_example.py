"""examples/consumer: a partner's own Pulumi project that uses the component, with the package installed from this
checkout into an environment of its own (as its requirements.txt says), outside the repository. Its plan shows its
principals, its attribution document is produced offline, and the report renders from it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import PROJECT_ROOT

EXAMPLE = PROJECT_ROOT / "examples" / "consumer"
GIT_REQUIREMENT = re.compile(r"partner-attribution @ git\+https://<your-git-host>/<org>/partner-attribution@v(?P<version>\S+)")

OFFLINE_OUTPUTS = """
import json, sys
from pathlib import Path
from partner_attribution.offline.engine import SECRET_DISPLAY, evaluate, run_program_file
from partner_attribution.offline.plan import program_file, project_name, stack_name
from partner_attribution.offline.stack_file import read_stack_config

stack_file = Path(sys.argv[1])
program = program_file(Path("."))
evaluation = evaluate(run_program_file(program), read_stack_config(stack_file), project=project_name(program),
                      stack=stack_name(stack_file))
# What `pulumi stack output --json` prints: secrets masked.
print(json.dumps({k: SECRET_DISPLAY if k in evaluation.secret_outputs else v for k, v in evaluation.outputs.items()}))
"""


def test_the_example_is_a_project_of_its_own() -> None:
    project = yaml.safe_load((EXAMPLE / "Pulumi.yaml").read_text())
    assert project["name"] != "partner-attribution" and project["runtime"]["name"] == "python"
    stack = yaml.safe_load((EXAMPLE / "Pulumi.dev.yaml").read_text())
    assert {key.split(":")[0] for key in stack["config"]} == {project["name"], "azure-native"}
    assert "partner-attribution:" not in (EXAMPLE / "Pulumi.dev.yaml").read_text()


def test_its_requirements_install_the_package_as_the_readme_says() -> None:
    requirements = (EXAMPLE / "requirements.txt").read_text()
    readme = (PROJECT_ROOT / "README.md").read_text()
    documented = GIT_REQUIREMENT.search(requirements)
    assert documented is not None, "requirements.txt documents the README's git install line"
    assert documented.group(0) in readme, "the same line as the README's install command"
    version = re.search(r'^version = "(.+)"$', (PROJECT_ROOT / "pyproject.toml").read_text(), re.MULTILINE)
    assert version is not None and documented["version"] == version.group(1)
    assert "pip install -r requirements.txt ../.." in requirements  # the line a clone of this repository uses


@pytest.fixture(scope="module")
def consumer_project(tmp_path_factory: pytest.TempPathFactory, installed_outside: Path) -> tuple[Path, Path]:
    """The example copied outside the repository, and a virtualenv with the package installed from this checkout
    (``pip install ../..``, built as a wheel: :func:`conftest.installed_outside`)."""
    project = tmp_path_factory.mktemp("consumer") / "contoso-landing-zone"
    shutil.copytree(EXAMPLE, project)
    return project, installed_outside


def run(python: Path, project: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(project.parent)}
    return subprocess.run([python, *args], cwd=project, capture_output=True, text=True, env=env, input=stdin, timeout=300)


@pytest.mark.long  # runs the installed package in a process of its own
def test_its_plan_shows_its_principals_beside_its_own_resources(consumer_project: tuple[Path, Path]) -> None:
    project, python = consumer_project
    result = run(python, project, "-m", "partner_attribution", "plan", "--stack", "dev", "--program", ".", "-f", "json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert [(p["name"], p["linkCredential"]) for p in plan["principals"]] == [
        ("app-delivery", "federated"),
        ("cost-reporting", "federated"),
    ]
    roles = {p["name"]: [(r["role"], r["scope"], r["palEligible"]) for r in p["roleAssignments"]] for p in plan["principals"]}
    assert roles["cost-reporting"] == [("Cost Management Reader", "/subscriptions/11111111-1111-4111-8111-111111111111", False)]
    ((role, scope, eligible),) = roles["app-delivery"]
    assert role == "Contributor" and scope.endswith("/resourceGroups/rg-app") and eligible
    group = [r for r in plan["resources"] if r["type"] == "azure-native:resources:ResourceGroup"]
    assert [(r["name"], r["parent"]) for r in group] == [("rg-app", "contoso-landing-zone-dev")]
    assert "exports no 'attribution' output" not in result.stderr
    summary = plan["attributionModels"]["customerUsageAttribution"]["summary"]
    assert summary.startswith("no cuaPartnerId: azure-native sends Pulumi's ID")


@pytest.mark.long  # runs the installed package in a process for each check
def test_its_attribution_document_is_produced_offline_and_reported(consumer_project: tuple[Path, Path]) -> None:
    project, python = consumer_project
    outputs = run(python, project, "-c", OFFLINE_OUTPUTS, "Pulumi.dev.yaml")
    assert outputs.returncode == 0, outputs.stderr
    stack_output = json.loads(outputs.stdout)
    assert stack_output["linkCredentials"] == "[secret]" and stack_output["resourceGroup"] == "rg-app"
    assert [p["name"] for p in stack_output["attribution"]["principals"]] == ["app-delivery", "cost-reporting"]

    for output_format, expected in (
        ("markdown", "| app-delivery | 1234567 | Planned | federated | yes | Contributor at /subscriptions/"),
        ("json", '"name": "cost-reporting"'),
        ("csv", "cost-reporting,"),
        ("html", "<td>app-delivery</td>"),
    ):
        report = run(python, project, "-m", "partner_attribution", "report", "-f", output_format, stdin=outputs.stdout)
        assert report.returncode in (0, 1), report.stderr  # 1: the gaps below (a planned link is not linked yet)
        assert expected in report.stdout, output_format
        assert "cost-reporting: no PEC-eligible role" in report.stderr
