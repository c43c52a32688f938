"""How the engine finds the plugin from a Python project, under the real engine with the virtualenv's bin folder
not on the CLI's PATH (as when a partner runs ``pulumi up`` without activating it): only ``Pulumi.yaml``'s
``plugins: providers:`` entry leads the engine there (the example stack and the upgrade tests deploy that way).

The Python language host cannot be built here (reference/pulumi-engine/FACTS.md): programs run inline through the
Automation API, which reads the project's Pulumi.yaml settings too; for the program's own check it runs as the
language host runs it (from the project folder, the project root given: ``as_the_language_host_runs``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from pulumi import automation as auto

from partner_attribution.plugin.locate import PLUGIN_EXECUTABLE
from partner_attribution.testing.engine import FakeDeployment, as_the_language_host_runs

from .conftest import PROJECT_ROOT, bundled_program, copy_project
from .plugin_stack import prepare_fake


def _undeclared_project(work_dir: Path) -> Path:
    copy_project(work_dir, PROJECT_ROOT / "Pulumi.dev.yaml", "dev")
    project = yaml.safe_load((work_dir / "Pulumi.yaml").read_text())
    del project["plugins"]
    (work_dir / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
    return work_dir


def test_without_the_declaration_the_engine_does_not_find_the_plugin(deployment: FakeDeployment, tmp_path: Path) -> None:
    prepare_fake(deployment)  # the example's existing principal, so that only the plugin is missing
    cli_path = deployment.environment()["PATH"]
    assert shutil.which(PLUGIN_EXECUTABLE, path=cli_path) is None, "the virtualenv's bin must not be on the CLI's PATH"
    work_dir = _undeclared_project(tmp_path / "project")
    stack = deployment.stack(work_dir, "dev", bundled_program)  # inline, no project root: the engine's own error
    with pytest.raises(auto.CommandError) as error:
        stack.preview()
    assert f"no resource plugin '{PLUGIN_EXECUTABLE}' found" in str(error.value)


def test_a_program_in_a_project_without_the_declaration_says_what_to_add(
    deployment: FakeDeployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare_fake(deployment)
    monkeypatch.setenv("PATH", deployment.environment()["PATH"])  # the program sees the CLI's PATH, as under the host
    work_dir = _undeclared_project(tmp_path / "project")
    stack = deployment.stack(work_dir, "dev", as_the_language_host_runs(bundled_program, work_dir))
    with pytest.raises(auto.CommandError) as error:
        stack.preview()
    message = str(error.value)
    assert f"the Pulumi engine can't find the partner-attribution plugin ({PLUGIN_EXECUTABLE}" in message
    assert "plugins:" in message and "- name: partner-attribution" in message and "Traceback" not in message
    assert not deployment.fake.links
