"""The README's "Five minutes, offline" is a test: its commands are read from the README's fenced block and run as
written, in order, in one shell environment carried from line to line (``eval "$(...)"`` included), in a copy of the
repository; each line's effect is checked, not only its exit code.

The README's first command (``python3 -m venv .venv && pip install -r requirements.txt``) is not run again here: the
copy's ``.venv`` is the virtualenv these tests run in (``requirements-dev.txt`` includes ``requirements.txt``)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT
from partner_attribution.testing.fake import process

pytestmark = pytest.mark.long  # a dozen processes, one after the other

SECTION = "## Five minutes, offline"
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".fake-azure", "results"
)
PROCESS_LIMIT_SECONDS = 300
"""A hang guard for one line (a plan takes seconds), not a speed target."""


def walkthrough_commands(readme: str) -> list[str]:
    """The command lines of the first ``bash`` block after the section's heading."""
    section = readme.split(SECTION, 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block is not None, f"no ```bash block under {SECTION!r}"
    return [line.strip() for line in block.group(1).splitlines() if line.strip() and not line.strip().startswith("#")]


@dataclass
class Step:
    command: str
    returncode: int
    stdout: str
    stderr: str
    env: dict[str, str]


class Shell:
    """Runs one line at a time with bash in ``cwd``, carrying the environment the line leaves to the next."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.cwd = cwd
        self.env = env
        self._env_file = cwd.parent / "walkthrough.env"

    def run(self, command: str) -> Step:
        script = f'{command}\nstatus=$?\nenv -0 > "$WALKTHROUGH_ENV_FILE"\nexit $status\n'
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=self.cwd,
            env={**self.env, "WALKTHROUGH_ENV_FILE": str(self._env_file)},
            capture_output=True,
            text=True,
            timeout=PROCESS_LIMIT_SECONDS,
            check=False,
        )
        pairs = (entry.split("=", 1) for entry in self._env_file.read_text().split("\0") if "=" in entry)
        self.env = {name: value for name, value in pairs if name != "WALKTHROUGH_ENV_FILE"}
        return Step(command, done.returncode, done.stdout, done.stderr, dict(self.env))


@pytest.fixture
def clone(tmp_path: Path) -> Iterator[Path]:
    """A copy of the repository whose ``.venv`` is the virtualenv running these tests."""
    venv_script = Path(sys.prefix) / "bin" / "partner-attribution"
    assert sys.prefix != sys.base_prefix and venv_script.exists(), (
        "run the tests in the project's virtualenv (bash scripts/test.sh makes it): the walkthrough runs .venv/bin/..."
    )
    copy = tmp_path / "partner-attribution"
    shutil.copytree(PROJECT_ROOT, copy, ignore=NOT_COPIED, symlinks=True)
    (copy / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    yield copy
    process.stop(copy / ".fake-azure")  # a failed line must not leave the fake running


def _clean_environment() -> dict[str, str]:
    """The test runner's environment without what would change the walkthrough's outcome: a signed-in identity,
    a fake exported earlier, a virtualenv already active."""
    dropped = re.compile(r"^(AZURE_|PARTNER_ATTRIBUTION_|ARM_|ACTIONS_ID_TOKEN_|SYSTEM_OIDC|VIRTUAL_ENV$)")
    env = {name: value for name, value in os.environ.items() if not dropped.match(name)}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(sys.prefix))
    return env


# What each line of the walkthrough must do, in order: (the line as written, its check).
Check = Callable[[Step, Path], None]


def _activated(step: Step, clone: Path) -> None:
    assert step.returncode == 0, step.stderr
    assert step.env["PATH"].split(os.pathsep)[0].endswith("/bin") and step.env.get("VIRTUAL_ENV")
    assert shutil.which("partner-attribution", path=step.env["PATH"]) is not None


def _planned(step: Step, clone: Path) -> None:
    assert step.returncode == 0, step.stderr
    for text in ("platform-delivery", "application platform-delivery-app", "PAL link to partner ID 1234567"):
        assert text in step.stdout


def _attribution_written(step: Step, clone: Path) -> None:
    assert step.returncode == 0, step.stderr
    principals = json.loads((clone / "planned.json").read_text())["attribution"]["principals"]
    assert [p["name"] for p in principals] == ["platform-delivery", "workload-delivery", "customer-automation", "reporting"]
    assert {p["linkState"] for p in principals} == {"Planned"} and principals[0]["clientId"] == "[unknown]"


def _markdown(step: Step, clone: Path) -> None:
    assert step.returncode == 0, step.stderr
    assert step.stdout.startswith("# Partner attribution: partner ID 1234567")
    assert "0 of 4 principals linked" in step.stdout and "gap: platform-delivery: link planned, not live" in step.stderr


def _json(step: Step, clone: Path) -> None:
    assert step.returncode == 0, step.stderr
    summary = json.loads(step.stdout)["summary"]
    assert (summary["principals"], summary["principalsLinked"]) == (4, 0)


def _csv(step: Step, clone: Path) -> None:
    assert step.returncode == 0, step.stderr
    rows = list(csv.DictReader(io.StringIO(step.stdout)))
    assert {r["principal"] for r in rows} == {"platform-delivery", "workload-delivery", "customer-automation", "reporting"}
    assert {r["linkState"] for r in rows} == {"Planned"} and {r["earnsCredit"] for r in rows} == {"False"}


def _html(step: Step, clone: Path) -> None:
    assert step.returncode == 0 and step.stdout == "", step.stderr
    page = (clone / "attribution.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "platform-delivery" in page


def _fake_started(step: Step, clone: Path) -> None:
    assert step.returncode == 0, step.stderr
    running = process.find(clone / ".fake-azure")
    assert running is not None, step.stderr
    assert step.env["AZURE_CLIENT_ID"] == running.identity.client_id
    assert step.env["PARTNER_ATTRIBUTION_ARM_ENDPOINT"] == running.base_url
    assert step.env["REQUESTS_CA_BUNDLE"] == str((clone / ".fake-azure" / "ca-bundle.pem").resolve())


def _linked(step: Step, clone: Path) -> None:
    assert step.returncode == 0, step.stderr
    assert step.stdout.startswith("linked to partner ID 1234567") and step.env["AZURE_TENANT_ID"] in step.stdout


def _shown(step: Step, clone: Path) -> None:
    _linked(step, clone)


def _verified(step: Step, clone: Path) -> None:
    assert step.returncode == 0, step.stderr
    assert "1 of 1 links ok" in step.stderr and step.env["AZURE_CLIENT_ID"] in step.stdout


def _unlinked(step: Step, clone: Path) -> None:
    assert step.returncode == 0, step.stderr
    assert "unlinked from partner ID 1234567" in step.stderr


def _fake_stopped(step: Step, clone: Path) -> None:
    assert step.returncode == 0, step.stderr
    assert process.find(clone / ".fake-azure") is None
    assert not [name for name in step.env if name.startswith(("AZURE_", "PARTNER_ATTRIBUTION_"))]


WALKTHROUGH: list[tuple[str, Check]] = [
    (". .venv/bin/activate", _activated),
    ("partner-attribution plan --stack dev", _planned),
    ("partner-attribution plan --stack dev --format attribution > planned.json", _attribution_written),
    ("partner-attribution report --input planned.json", _markdown),
    ("partner-attribution report --input planned.json --format json", _json),
    ("partner-attribution report --input planned.json --format csv", _csv),
    ("partner-attribution report --input planned.json --format html --output attribution.html", _html),
    ('eval "$(partner-attribution fake-azure start)"', _fake_started),
    ("partner-attribution link --partner-id 1234567", _linked),
    ("partner-attribution show", _shown),
    ("partner-attribution verify --identity environment --partner-id 1234567", _verified),
    ("partner-attribution unlink", _unlinked),
    ('eval "$(partner-attribution fake-azure stop)"', _fake_stopped),
]


def test_the_readme_walkthrough_runs_as_written(clone: Path) -> None:
    commands = walkthrough_commands((clone / "README.md").read_text())
    written = [re.sub(r"\s+#.*$", "", command) for command in commands]
    assert written == [command for command, _ in WALKTHROUGH], "the README's walkthrough and this test disagree"
    shell = Shell(clone, _clean_environment())
    for command, (expected, check) in zip(commands, WALKTHROUGH, strict=True):
        step = shell.run(command)
        try:
            check(step, clone)
        except AssertionError as exc:
            raise AssertionError(f"{expected!r}: {exc}\nstdout:\n{step.stdout}\nstderr:\n{step.stderr}") from None
