"""The command line as people expect it: --version, -h, stack names, signing in, explicit modes, exit codes, and a
plan that is the same bytes from run to run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import PROJECT_ROOT
from partner_attribution.cli import app
from partner_attribution.offline.engine import evaluate, run_program_file
from partner_attribution.offline.stack_file import read_stack_config
from partner_attribution.testing import FakeApp, FakeAzure

runner = CliRunner()
PARTNER = "1234567"
ENVIRONMENT_IDENTITY = ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET")


def invoke(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, list(args), input=stdin, env=env, catch_exceptions=False)


@pytest.fixture(autouse=True)
def _in_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PROJECT_ROOT)
    for key in ENVIRONMENT_IDENTITY:
        monkeypatch.delenv(key, raising=False)


def _live_args(azure: FakeAzure) -> list[str]:
    return ["--authority-host", azure.authority_host, "--arm-endpoint", azure.arm_endpoint]


def _environment_identity(azure: FakeAzure) -> tuple[FakeApp, dict[str, str]]:
    app_ = azure.add_app()
    secret = azure.add_secret(app_)
    return app_, {"AZURE_TENANT_ID": app_.tenant_id, "AZURE_CLIENT_ID": app_.client_id, "AZURE_CLIENT_SECRET": secret}


# -- --version, -h ---------------------------------------------------------------------------------------


def test_version_is_the_released_one() -> None:
    found = re.search(r'^version = "([^"]+)"$', (PROJECT_ROOT / "pyproject.toml").read_text(), re.MULTILINE)
    assert found is not None
    expected = found.group(1)
    for flag in ("--version", "-V"):
        result = invoke(flag)
        assert result.exit_code == 0 and result.stdout == f"partner-attribution {expected}\n", flag


@pytest.mark.parametrize(
    "command",
    [[], ["plan"], ["report"], ["verify"], ["link"], ["show"], ["unlink"], ["fake-azure"], ["fake-azure", "start"]],
)
def test_short_help_is_the_long_help(command: list[str]) -> None:
    long, short = invoke(*command, "--help"), invoke(*command, "-h")
    assert long.exit_code == short.exit_code == 0
    assert short.stdout == long.stdout and "Usage: partner-attribution" in short.stdout


# -- --stack -------------------------------------------------------------------------------------------------


def test_unknown_stack_lists_the_stacks_and_the_nearest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("prod", "staging"):
        (tmp_path / f"Pulumi.{name}.yaml").write_text((PROJECT_ROOT / "Pulumi.dev.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    typo = invoke("plan", "--stack", "prd")
    assert typo.exit_code == 2
    text = " ".join(typo.stderr.replace("│", " ").split())
    assert "no stack 'prd' (Pulumi.prd.yaml not found). Did you mean 'prod'? Stacks here: prod, staging" in text
    unrelated = " ".join(invoke("plan", "--stack", "xyz").stderr.replace("│", " ").split())
    assert "Did you mean" not in unrelated and "Stacks here: prod, staging" in unrelated


def test_stack_flag_outside_a_project_says_where_to_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("plan", "--stack", "dev")
    text = " ".join(result.stderr.replace("│", " ").split())
    assert result.exit_code == 2 and "has no stack files" in text and "--config PATH" in text


# -- signed out, link conflicts -------------------------------------------------------------------------------


def test_signed_out_says_how_to_sign_in(fake_azure: FakeAzure, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing signed in: azure-identity's chain finds no credential; the message says how to sign in, at once."""
    from azure.identity import ChainedTokenCredential, EnvironmentCredential

    from partner_attribution.pal import DefaultIdentitySource

    chain_with_nothing_signed_in = ChainedTokenCredential(EnvironmentCredential())
    monkeypatch.setattr(DefaultIdentitySource, "credential", lambda self, *a, **k: chain_with_nothing_signed_in)
    result = invoke("show", "--timeout", "600", *_live_args(fake_azure))
    assert result.exit_code == 1
    assert "not signed in" in result.stderr and "'az login'" in result.stderr
    assert "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET" in result.stderr
    assert fake_azure.requests == []  # nothing was sent, nothing retried


def test_link_conflict_names_the_command_line_flag(fake_azure: FakeAzure) -> None:
    app_, env = _environment_identity(fake_azure)
    fake_azure.set_link(app_, "7654321")
    refused = invoke("link", "--partner-id", PARTNER, *_live_args(fake_azure), env=env)
    assert refused.exit_code == 1
    assert "already linked to partner ID 7654321, not 1234567" in refused.stderr and "--overwrite" in refused.stderr
    assert "overwrite_existing" not in refused.stderr and "overwriteExistingLink" not in refused.stderr
    assert fake_azure.link_of(app_)["partnerId"] == "7654321"


# -- verify: whose links -----------------------------------------------------------------------------------------


def _stack_output(azure: FakeAzure) -> tuple[dict[str, Any], FakeApp]:
    principal = azure.add_app()
    azure.set_link(principal, PARTNER)
    document = {
        "attribution": {"partnerId": PARTNER, "principals": [{"name": "stack-principal", "partnerId": PARTNER, "roles": []}]},
        "linkCredentials": {
            "stack-principal": {
                "tenantId": principal.tenant_id,
                "clientId": principal.client_id,
                "clientSecret": azure.add_secret(principal),
            }
        },
    }
    return document, principal


def test_verify_refuses_to_guess_between_the_environment_and_a_stack_output(fake_azure: FakeAzure, tmp_path: Path) -> None:
    document, _ = _stack_output(fake_azure)
    _, env = _environment_identity(fake_azure)  # not linked: checking it instead of the stack would report "missing"
    saved = tmp_path / "outputs.json"
    saved.write_text(json.dumps(document))
    live = _live_args(fake_azure)
    for given in ({"stdin": json.dumps(document)}, {"stdin": None, "path": str(saved)}):
        args = ["--input", given["path"]] if "path" in given else []
        result = invoke("verify", "--partner-id", PARTNER, *args, *live, stdin=given["stdin"], env=env)
        text = " ".join(result.stderr.replace("│", " ").split())
        assert result.exit_code == 2, text
        assert "--identity stack" in text and "--identity environment" in text
    assert fake_azure.requests == []

    stack = invoke("verify", "--identity", "stack", "-f", "json", *live, stdin=json.dumps(document), env=env)
    assert stack.exit_code == 0
    assert [(r["name"], r["status"]) for r in json.loads(stack.stdout)["results"]] == [("stack-principal", "ok")]

    environment = invoke("verify", "--identity", "environment", "--partner-id", PARTNER, "-f", "json", *live, env=env)
    assert environment.exit_code == 1
    result = json.loads(environment.stdout)["results"][0]
    assert (result["name"], result["clientId"], result["status"]) == ("environment identity", env["AZURE_CLIENT_ID"], "missing")


def test_verify_environment_mode_names_what_is_missing(fake_azure: FakeAzure) -> None:
    result = invoke("verify", "--identity", "environment", "--partner-id", PARTNER, env={"AZURE_TENANT_ID": "t"})
    text = " ".join(result.stderr.replace("│", " ").split())
    assert result.exit_code == 2 and "--identity environment needs AZURE_CLIENT_ID, AZURE_CLIENT_SECRET set" in text


def test_verify_without_a_stack_output_checks_the_environment_identity(fake_azure: FakeAzure) -> None:
    """Nothing piped in (empty standard input), a credential in the environment: only one mode is possible."""
    app_, env = _environment_identity(fake_azure)
    fake_azure.set_link(app_, PARTNER)
    result = invoke("verify", "--partner-id", PARTNER, *_live_args(fake_azure), stdin="", env=env)
    assert result.exit_code == 0 and "1 of 1 links ok" in result.stderr


# -- report: exit codes ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stack_output_with_a_gap() -> dict[str, Any]:
    evaluation = evaluate(run_program_file(PROJECT_ROOT / "__main__.py"), read_stack_config(PROJECT_ROOT / "Pulumi.dev.yaml"))
    attribution = json.loads(json.dumps(evaluation.outputs["attribution"]))
    for principal in attribution["principals"]:
        principal["linkState"] = "Active"
    return {"attribution": attribution}  # the reporting principal holds no PEC-eligible role: one gap


def test_report_makes_the_file_and_fails_only_when_asked(stack_output_with_a_gap: dict[str, Any], tmp_path: Path) -> None:
    stdin = json.dumps(stack_output_with_a_gap)
    page = tmp_path / "attribution.html"
    made = invoke("report", "--format", "html", "--output", str(page), stdin=stdin)
    assert made.exit_code == 0 and made.stdout == ""
    assert page.read_text().startswith("<!DOCTYPE html>") and "reporting" in page.read_text()
    assert f"wrote the html report to {page}" in made.stderr and "gap: reporting: no PEC-eligible role" in made.stderr
    gated = invoke("report", "--fail-on-gaps", stdin=stdin)
    assert gated.exit_code == 1 and "gap: reporting: no PEC-eligible role" in gated.stderr
    for principal in stack_output_with_a_gap["attribution"]["principals"]:
        principal["palEligible"] = True
    assert invoke("report", "--fail-on-gaps", stdin=json.dumps(stack_output_with_a_gap)).exit_code == 0


def test_report_output_that_cannot_be_written_is_a_usage_error(stack_output_with_a_gap: dict[str, Any], tmp_path: Path) -> None:
    result = invoke("report", "--output", str(tmp_path / "missing" / "r.md"), stdin=json.dumps(stack_output_with_a_gap))
    assert result.exit_code == 2 and "cannot write" in " ".join(result.stderr.replace("│", " ").split())


# -- plan: the same bytes every run --------------------------------------------------------------------------------


@pytest.mark.long  # two plans, each in a process of its own
def test_plan_json_is_the_same_bytes_from_run_to_run() -> None:
    """Two processes with different hash seeds (so set and dict orders that depend on hashing differ) write the same
    plan: it goes into pull requests, where a reordering is noise."""
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        for key in ENVIRONMENT_IDENTITY:
            env.pop(key, None)
        done = subprocess.run(
            [sys.executable, "-m", "partner_attribution", "plan", "--stack", "dev", "--format", "json"],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            check=True,
        )
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    document = json.loads(outputs[0])
    assert document["warnings"] == sorted(document["warnings"]) and len(document["warnings"]) >= 2
    inputs = document["resources"][0]["inputs"]
    assert list(inputs) == sorted(inputs)


# -- --help examples ---------------------------------------------------------------------------------------------------


def _commands() -> dict[str, Any]:
    """Every command by its words after ``partner-attribution`` (``plan``, ``fake-azure start``, ...)."""
    import typer.main

    found: dict[str, Any] = {}

    def walk(command: Any, words: tuple[str, ...]) -> None:
        subcommands = getattr(command, "commands", None)  # a group
        if subcommands:
            for name, sub in subcommands.items():
                walk(sub, (*words, name))
        else:
            found[" ".join(words)] = command

    walk(typer.main.get_command(app), ())
    return found


def test_every_help_example_uses_options_the_command_has() -> None:
    """Each 'Example:' in a command's help runs that command with options it has (a renamed option fails here)."""
    commands = _commands()
    assert {"plan", "report", "verify", "link", "show", "unlink", "fake-azure start", "fake-azure stop"} <= set(commands)
    checked = 0
    for words, command in commands.items():
        help_text = " ".join(invoke(*words.split(), "--help").stdout.replace("│", " ").split())
        examples = re.findall(r"Example(?: \([^)]*\))?: (.*?)(?= Example|\s*╭|$)", help_text)
        assert examples, f"{words}: no example in --help"
        options = {name for parameter in command.params for name in parameter.opts}
        for example in examples:
            invocations = re.findall(rf"partner-attribution {re.escape(words)}((?: [^|\"]*)?)", example)
            assert invocations, f"{words}: example {example!r} does not run the command"
            for used in re.findall(r"(?<!\S)(--?[a-zA-Z][\w-]*)", " ".join(invocations)):
                assert used in options, f"{words}: example {example!r} uses {used}, which the command does not have"
                checked += 1
    assert checked >= 10


def test_the_package_says_the_version_pyproject_declares() -> None:
    """``partner_attribution.__version__`` (what the plugin serves with its schema) is the released version."""
    import partner_attribution

    found = re.search(r'^version = "([^"]+)"$', (PROJECT_ROOT / "pyproject.toml").read_text(), re.MULTILINE)
    assert found is not None and partner_attribution.__version__ == found.group(1)
