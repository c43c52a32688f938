"""A configuration problem is reported once, as the one clean error it is.

Pulumi's Python language host runs ``__main__.py`` through ``pulumi-language-python-exec``: a ``pulumi.RunError`` is
logged and the runner exits 1, and the language host adds "an unhandled error occurred: program exited with non-zero
exit code: 1"; exit code 32 (the runner's ``PYTHON_PROCESS_EXITED_AFTER_SHOWING_USER_ACTIONABLE_MESSAGE_CODE``) means
the message was shown, and nothing is added. The runner can't run here (no language host), so a stand-in with that
protocol runs the program file under the mock engine, in a process of its own."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT
from partner_attribution.config import ConfigurationError
from partner_attribution.offline.engine import evaluate, run_program_file
from partner_attribution.offline.stack_file import read_stack_config
from partner_attribution.program import main

PROBLEM = "partnerId: '12x' is not a Microsoft partner ID"

STAND_IN_RUNNER = '''
"""Stand-in for pulumi-language-python-exec and the language host's reading of its exit code."""
import json, logging, sys
import pulumi
from partner_attribution.offline.engine import evaluate, run_program_file

PYTHON_PROCESS_EXITED_AFTER_SHOWING_USER_ACTIONABLE_MESSAGE_CODE = 32
shown = []  # every error line the CLI would print


class Shown(logging.Handler):
    def emit(self, record):
        if record.levelno >= logging.ERROR:
            shown.append(record.getMessage())


logging.getLogger("partner_attribution.offline.engine.log").addHandler(Shown())
exit_code = 1
try:
    evaluate(run_program_file(sys.argv[1]), json.loads(sys.argv[2]))
    exit_code = 0
except SystemExit as exc:
    exit_code = exc.code
except pulumi.RunError as exc:  # the runner: pulumi.log.error(str(e)), exit code stays 1
    shown.append(str(exc))
except Exception as exc:  # the runner: the traceback is logged, exit 32
    shown.append(f"Program failed with an unhandled exception: {exc}")
    exit_code = PYTHON_PROCESS_EXITED_AFTER_SHOWING_USER_ACTIONABLE_MESSAGE_CODE
if exit_code not in (0, PYTHON_PROCESS_EXITED_AFTER_SHOWING_USER_ACTIONABLE_MESSAGE_CODE):  # the language host
    shown.append(f"an unhandled error occurred: program exited with non-zero exit code: {exit_code}")
print(json.dumps({"exit_code": exit_code, "shown": shown}))
'''


@pytest.fixture
def bad_config() -> dict[str, str]:
    config = read_stack_config(PROJECT_ROOT / "Pulumi.dev.yaml")
    config["partner-attribution:partnerId"] = "12x"
    return config


def run_under_the_language_host(tmp_path: Path, config: dict[str, str]) -> dict[str, object]:
    runner = tmp_path / "pulumi-language-python-exec"
    runner.write_text(STAND_IN_RUNNER)
    done = subprocess.run(
        [sys.executable, str(runner), str(PROJECT_ROOT / "__main__.py"), json.dumps(config)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_under_the_language_host_a_configuration_problem_is_one_error(tmp_path: Path, bad_config: dict[str, str]) -> None:
    result = run_under_the_language_host(tmp_path, bad_config)
    shown = result["shown"]
    assert isinstance(shown, list) and len(shown) == 1, shown
    assert shown[0].startswith("the partner-attribution configuration has 1 problem:\n") and PROBLEM in shown[0]
    assert "Traceback" not in shown[0]
    assert result["exit_code"] == 32


def test_a_good_stack_runs_as_before_under_the_language_host(tmp_path: Path) -> None:
    result = run_under_the_language_host(tmp_path, read_stack_config(PROJECT_ROOT / "Pulumi.dev.yaml"))
    assert result == {"exit_code": 0, "shown": []}


def test_under_the_mock_engine_the_problem_is_raised_once_and_not_logged(bad_config: dict[str, str]) -> None:
    """Other hosts (the mock engine, the offline plan, an inline Automation API program) get the error itself."""
    errors: list[str] = []

    class Shown(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.ERROR:
                errors.append(record.getMessage())

    log = logging.getLogger("partner_attribution.offline.engine.log")
    handler = Shown()
    log.addHandler(handler)
    try:
        for program in (main, run_program_file(PROJECT_ROOT / "__main__.py")):
            with pytest.raises(ConfigurationError) as error:
                evaluate(program, bad_config)
            assert PROBLEM in str(error.value)
    finally:
        log.removeHandler(handler)
    assert errors == []
