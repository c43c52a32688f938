"""Where the engine finds the plugin from a Python project (plugin/locate.py), and the program's clear error when it
would not (plugin/program_link.py). Under the real engine: tests/engine/test_upgrade.py and test_plugin_lookup.py."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import yaml

from conftest import PROJECT_ROOT
from partner_attribution.plugin import locate, program_link
from partner_attribution.plugin.locate import PLUGIN_EXECUTABLE, PluginNotFoundError


def _script(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / PLUGIN_EXECUTABLE
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    return script


def _declaring(path: str) -> dict[str, object]:
    return {"name": "p", "runtime": "python", "plugins": {"providers": [{"name": "partner-attribution", "path": path}]}}


def test_a_declared_folder_with_the_plugin_is_found(tmp_path: Path) -> None:
    _script(tmp_path / ".venv" / "bin")
    assert locate.problem(tmp_path, _declaring(".venv/bin"), cli_path="", pulumi_home=tmp_path / "home") is None


def test_a_declared_folder_without_the_plugin_is_named_with_the_fix(tmp_path: Path) -> None:
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    found = locate.problem(tmp_path, _declaring(".venv/bin"), cli_path="", pulumi_home=tmp_path / "home")
    assert found is not None
    assert str(tmp_path / ".venv" / "bin") in found and PLUGIN_EXECUTABLE in found and "pip install" in found


def test_undeclared_the_plugin_on_the_clis_path_or_in_its_cache_is_found(tmp_path: Path) -> None:
    on_path = _script(tmp_path / "tools").parent
    assert locate.problem(tmp_path, {"name": "p"}, cli_path=str(on_path), pulumi_home=tmp_path / "home") is None
    _script(tmp_path / "home" / "plugins" / "resource-partner-attribution-v0.3.0")
    assert locate.problem(tmp_path, {"name": "p"}, cli_path="", pulumi_home=tmp_path / "home") is None


def test_undeclared_and_nowhere_the_engine_looks_says_what_to_add_to_pulumi_yaml(tmp_path: Path) -> None:
    found = locate.problem(tmp_path, {"name": "p"}, cli_path=str(tmp_path / "empty"), pulumi_home=tmp_path / "home")
    assert found is not None and str(tmp_path / "Pulumi.yaml") in found
    snippet = yaml.safe_load(found.split("\n\n", 1)[1])
    assert snippet == {"plugins": {"providers": [{"name": "partner-attribution", "path": str(Path(sys.executable).parent)}]}}


def test_the_host_activated_virtualenv_is_not_the_clis_path(tmp_path: Path) -> None:
    """The Python language host puts the virtualenv's bin in front of the CLI's PATH for the program only, when it
    activates one (a virtualenv option, or the uv/poetry toolchains); one the user activated is the CLI's too."""
    venv = tmp_path / "venv"
    host = {"VIRTUAL_ENV": str(venv), "PATH": os.pathsep.join([str(venv / "bin"), "/usr/bin"])}
    with_virtualenv = {"runtime": {"name": "python", "options": {"virtualenv": "venv"}}}
    assert locate.cli_path_seen_from_program(host, with_virtualenv) == "/usr/bin"
    for toolchain in ("uv", "poetry"):
        assert (
            locate.cli_path_seen_from_program(host, {"runtime": {"name": "python", "options": {"toolchain": toolchain}}})
            == "/usr/bin"
        )
    for no_activation in ({"runtime": "python"}, {"runtime": {"name": "python", "options": {"toolchain": "pip"}}}):
        assert locate.cli_path_seen_from_program(host, no_activation) == host["PATH"]  # the user's own activation
    activated_by_the_user = {"VIRTUAL_ENV": str(venv), "PATH": os.pathsep.join([str(venv / "bin"), str(venv / "bin"), "/bin"])}
    expected = os.pathsep.join([str(venv / "bin"), "/bin"])
    assert locate.cli_path_seen_from_program(activated_by_the_user, with_virtualenv) == expected
    assert locate.cli_path_seen_from_program({"PATH": "/a:/b"}, with_virtualenv) == "/a:/b"


def test_a_copied_project_keeps_the_same_plugin_folder(tmp_path: Path) -> None:
    project = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())
    assert locate.declared_folder(PROJECT_ROOT, project) == (PROJECT_ROOT / ".venv" / "bin").resolve()
    copied = locate.copied_project(PROJECT_ROOT, project)
    assert locate.declared_folder(tmp_path, copied) == (PROJECT_ROOT / ".venv" / "bin").resolve()
    assert copied["runtime"] == project["runtime"] and copied["name"] == project["name"]
    assert locate.copied_project(tmp_path, {"name": "p"}) == {"name": "p"}


def test_the_projects_declare_the_folder_their_virtualenv_puts_the_plugin_in() -> None:
    for folder in (PROJECT_ROOT, PROJECT_ROOT / "examples" / "consumer"):
        project = yaml.safe_load((folder / "Pulumi.yaml").read_text())
        venv = project["runtime"]["options"]["virtualenv"]
        assert locate.declared_folder(folder, project) == (folder / venv / "bin").resolve(), folder


def test_a_program_stops_before_its_first_link_when_the_engine_would_not_find_the_plugin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: landing-zone\nruntime:\n  name: python\n  options:\n    virtualenv: venv\n")
    monkeypatch.setattr(program_link.settings, "get_root_directory", lambda: str(tmp_path))  # as the host gives it
    monkeypatch.setattr(program_link, "_under_mocks", lambda: False)  # as under the engine (other tests set mocks)
    venv_bin = str(Path(sys.executable).parent)
    monkeypatch.setenv("VIRTUAL_ENV", str(Path(venv_bin).parent))
    monkeypatch.setenv("PATH", os.pathsep.join([venv_bin, str(tmp_path / "empty")]))
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "home"))
    with pytest.raises(PluginNotFoundError, match=r"Declare it in .*Pulumi\.yaml"):
        program_link.require_plugin()
    (tmp_path / "Pulumi.yaml").write_text(yaml.safe_dump(_declaring(venv_bin)))
    program_link._check_plugin.cache_clear()
    program_link.require_plugin()


def test_an_inline_program_without_a_project_root_is_not_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Automation API's inline server gives no project root: the program can't tell which Pulumi.yaml applies."""
    monkeypatch.setattr(program_link.settings, "get_root_directory", lambda: None)
    monkeypatch.setattr(program_link, "_under_mocks", lambda: False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Pulumi.yaml").write_text("name: other\nruntime: python\n")  # not necessarily the program's
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert program_link.project_folder() is None
    program_link.require_plugin()


def test_under_mocks_no_plugin_is_needed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``partner-attribution plan`` and the mock-engine tests run where no plugin is installed."""
    from partner_attribution.offline.engine import evaluate, run_program_file
    from partner_attribution.offline.stack_file import read_stack_config

    (tmp_path / "Pulumi.yaml").write_text("name: partner-attribution\nruntime: python\n")
    monkeypatch.setattr(program_link.settings, "get_root_directory", lambda: str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "home"))
    evaluation = evaluate(run_program_file(PROJECT_ROOT / "__main__.py"), read_stack_config(PROJECT_ROOT / "Pulumi.dev.yaml"))
    assert len([r for r in evaluation.resources if r.name.endswith("-pal")]) == 4 and not evaluation.errors
