"""``partner-attribution rehearse``: a partner's own Pulumi program, unchanged, under the real engine against the
fake Azure and the fake ``azuread`` / ``azure-native`` plugins (:mod:`.engine`).

The project folder is never written to: the stack file is copied into the rehearsal folder (default
``<project>/.partner-attribution-rehearsal``) without its secrets provider, and values encrypted for the partner's
own secrets provider are replaced by stand-ins given on the command line (``--stand-in KEY=VALUE``, kept as
secrets). Python programs run through the Automation API with an inline program (the project's ``main`` or
``__main__.py``, run as Pulumi would, from the project folder); YAML programs through the CLI and the YAML host.
The rehearsal folder keeps the file backend (``backend/``), the fake's directory, links and resources
(``fake-azure.json``) and the last stack outputs (``outputs.json``) between commands.
"""

from __future__ import annotations

import json
import runpy
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..plugin.locate import copied_project
from .engine import FakeDeployment, as_the_language_host_runs

ACTIONS = ("up", "preview", "refresh", "destroy")
DEFAULT_FOLDER = ".partner-attribution-rehearsal"
_PROVIDER_KEYS = ("secretsprovider", "encryptedkey", "encryptionsalt")


class RehearsalError(Exception):
    """The rehearsal cannot start: the message says why and what to do."""


def _secure_paths(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            yield path
            return
        for key, inner in value.items():
            yield from _secure_paths(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _secure_paths(inner, f"{path}[{index}]")


def encrypted_values(stack_file: Path) -> list[str]:
    """The config keys (``namespace:key`` or a path under one) whose values are encrypted in ``stack_file``."""
    document = yaml.safe_load(stack_file.read_text()) or {}
    return [path for key, value in (document.get("config") or {}).items() for path in _secure_paths(value, key)]


@dataclass
class Rehearsal:
    """One rehearsal folder for one project and stack."""

    project_dir: Path
    stack_name: str
    pulumi_bin: Path
    folder: Path | None = None
    stand_ins: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.project_dir = self.project_dir.resolve()
        if self.folder is None:
            self.folder = self.project_dir / DEFAULT_FOLDER
        self.folder = self.folder.resolve()

    @property
    def root(self) -> Path:
        assert self.folder is not None
        return self.folder

    @property
    def work_dir(self) -> Path:
        return self.root / "project"

    def project(self) -> dict[str, Any]:
        path = self.project_dir / "Pulumi.yaml"
        if not path.exists():
            raise RehearsalError(f"{path} does not exist: give the folder of a Pulumi project with --dir")
        return yaml.safe_load(path.read_text()) or {}

    def runtime(self) -> str:
        runtime = self.project().get("runtime")
        return str(runtime.get("name") if isinstance(runtime, dict) else runtime)

    def prepare(self) -> None:
        """Copy the project file and the stack file into the rehearsal folder; refuse encrypted values that have no
        stand-in, naming each and how to give one."""
        stack_file = self.project_dir / f"Pulumi.{self.stack_name}.yaml"
        if not stack_file.exists():
            raise RehearsalError(f"{stack_file} does not exist: name the stack with --stack (its Pulumi.<stack>.yaml)")
        encrypted = encrypted_values(stack_file)
        missing = [key for key in encrypted if key not in self.stand_ins]
        if missing:
            raise RehearsalError(
                f"{stack_file.name} has values encrypted for its own secrets provider, which the rehearsal cannot "
                f"decrypt: {', '.join(missing)}. Give a stand-in for each (never the real secret), e.g. "
                + " ".join(f"--stand-in '{key}=<stand-in>'" for key in missing)
            )
        self.work_dir.mkdir(parents=True, exist_ok=True)
        # The project file with the plugin's folder made absolute: a relative one names the project's virtualenv.
        project = copied_project(self.project_dir, self.project())
        (self.work_dir / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
        if (self.project_dir / "Main.yaml").exists():
            shutil.copy(self.project_dir / "Main.yaml", self.work_dir / "Main.yaml")
        document = yaml.safe_load(stack_file.read_text()) or {}
        for key in _PROVIDER_KEYS:
            document.pop(key, None)
        config = document.get("config") or {}
        document["config"] = {k: v for k, v in config.items() if not list(_secure_paths(v, k))}
        copied = self.work_dir / stack_file.name
        previous = yaml.safe_load(copied.read_text()) if copied.exists() else {}
        if previous and previous.get("encryptionsalt"):
            document["encryptionsalt"] = previous["encryptionsalt"]  # the rehearsal's own passphrase
        copied.write_text(yaml.safe_dump(document, sort_keys=False))

    def program(self) -> Callable[[], None]:
        """The project's Python program, run as ``python <main>`` would run it, as the language host does (from the
        project folder, its root given to the SDK)."""
        main = self.project().get("main")
        entry = self.project_dir / (main or "")
        if entry.is_dir() or not main:
            entry = entry / "__main__.py"
        if not entry.exists():
            raise RehearsalError(f"the Python program {entry} does not exist (Pulumi.yaml main)")

        def run() -> None:
            sys.path.insert(0, str(entry.parent))
            runpy.run_path(str(entry), run_name="__main__")

        return as_the_language_host_runs(run, self.project_dir)

    def run(
        self,
        action: str,
        deployment: FakeDeployment,
        say: Callable[[str], None],
        *,
        expect_no_changes: bool = False,
        refresh: bool = False,
    ) -> int:
        """Run ``action`` and return the CLI's exit code (7: changes with ``expect_no_changes``)."""
        runtime = self.runtime()
        if runtime == "python":
            return self._run_inline(action, deployment, say, expect_no_changes, refresh)
        command = {
            "up": ["up", "--yes"],
            "preview": ["preview"],
            "refresh": ["refresh", "--yes"],
            "destroy": ["destroy", "--yes"],
        }
        init = deployment.cli(self.work_dir, "stack", "select", "--create", self.stack_name, "--secrets-provider", "passphrase")
        if init.returncode != 0:
            say(init.stderr)
            return init.returncode
        for key, value in self.stand_ins.items():
            deployment.cli(self.work_dir, "config", "set", "--secret", "--path", key, value, "--stack", self.stack_name)
        words = [*command[action], "--stack", self.stack_name]
        words += (["--expect-no-changes"] if expect_no_changes else []) + (
            ["--refresh"] if refresh and action in ("up", "preview") else []
        )
        result = deployment.cli(self.work_dir, *words)
        say(result.stdout + result.stderr)
        if result.returncode == 0 and action != "preview":
            self._save_outputs(
                deployment.cli(self.work_dir, "stack", "output", "--json", "--show-secrets", "--stack", self.stack_name).stdout
            )
        return result.returncode

    def _run_inline(
        self, action: str, deployment: FakeDeployment, say: Callable[[str], None], expect_no_changes: bool, refresh: bool
    ) -> int:
        from pulumi import automation as auto

        stack = deployment.stack(self.work_dir, self.stack_name, self.program())
        for key, value in self.stand_ins.items():
            stack.set_config(key, auto.ConfigValue(value, secret=True), path=True)
        try:
            if action == "up":
                stack.up(on_output=say, refresh=refresh or None)
            elif action == "preview":
                stack.preview(on_output=say, expect_no_changes=expect_no_changes or None, refresh=refresh or None)
            elif action == "refresh":
                stack.refresh(on_output=say)
            else:
                stack.destroy(on_output=say)
        except auto.errors.CommandError as error:
            import re

            match = re.search(r"\n code: (-?\d+)", str(error))
            say(str(error).split("\n stderr:", 1)[-1].strip())
            return int(match.group(1)) if match else 1
        if action != "preview":
            self._save_outputs(json.dumps({k: v.value for k, v in stack.outputs().items()}))
        return 0

    def _save_outputs(self, text: str) -> None:
        path = self.root / "outputs.json"
        path.write_text(text or "{}")
        path.chmod(0o600)  # the fake's passwords, if the program exports any
