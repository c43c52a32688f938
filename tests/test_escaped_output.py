"""Control characters and line breaks from any input are shown escaped in the plan tree, the markdown plan and every
message; text that looks like markup is shown as it is (issue 18, "Everything else found")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from partner_attribution.cli import app
from partner_attribution.testing import FakeAzure

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "lighthouse"
CUSTOMER = EXAMPLES / "Pulumi.customer.yaml"
HOSTILE = "Active\x1b[2J\nFAKE LINE\x07"


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def hostile_managing_output(tmp_path: Path) -> Path:
    """A managing stack's output is another stack's word: its link state here carries an escape and a line break."""
    outputs = json.loads((EXAMPLES / "managing-tenant.output.json").read_text())
    outputs["attribution"]["principals"][0]["linkState"] = HOSTILE
    path = tmp_path / "managing.json"
    path.write_text(json.dumps(outputs))
    return path


@pytest.mark.parametrize("output_format", ["table", "markdown"])
def test_the_plan_shows_control_characters_and_line_breaks_escaped(hostile_managing_output: Path, output_format: str) -> None:
    """Before, the line break started a line of the attacker's choosing ('FAKE LINE') in the tree and the markdown."""
    result = run("plan", "-c", str(CUSTOMER), "--managing-stack-output", str(hostile_managing_output), "-f", output_format)
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert not [line for line in result.stdout.splitlines() if line.lstrip("│├└─ >").startswith("FAKE LINE")]
    assert "x1b[2J" in result.stdout and "nFAKE LINE" in result.stdout


def test_a_warning_that_looks_like_markup_is_shown_as_it_is(tmp_path: Path) -> None:
    """A display name with '[/x]' in a warning ended the plan with a MarkupError traceback."""
    text = CUSTOMER.read_text()
    start = text.index("displayName: Fabrikam operations (just-in-time)")
    owner = text.rfind("principalId: 77777777-7777-4777-8777-777777777777", 0, start)
    text = (
        text[:owner]
        + "principalId: 88888888-8888-4888-8888-888888888888"
        + text[owner + len("principalId: 77777777-7777-4777-8777-777777777777") : start]
        + 'displayName: "Ops [/x] [bold]loud"'
        + text[start + len("displayName: Fabrikam operations (just-in-time)") :]
    )
    stack = tmp_path / "Pulumi.markup.yaml"
    stack.write_text(text)
    result = run("plan", "-c", str(stack), "--managing-stack-output", str(EXAMPLES / "managing-tenant.output.json"))
    assert result.exit_code == 0, result.output
    assert "eligible_authorizations[0] (Ops [/x] [bold]loud) has no permanent authorization" in result.stderr


def test_show_escapes_what_azure_says(fake_azure: FakeAzure) -> None:
    app_ = fake_azure.add_app()
    secret = fake_azure.add_secret(app_)
    fake_azure.partners["1234567"] = "Contoso\nlinked to partner ID 999\x1b]0;title\x07"
    fake_azure.set_link(app_, "1234567")
    env = {"AZURE_TENANT_ID": app_.tenant_id, "AZURE_CLIENT_ID": app_.client_id, "AZURE_CLIENT_SECRET": secret}
    result = run("show", "--authority-host", fake_azure.authority_host, "--arm-endpoint", fake_azure.arm_endpoint, env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("\n") == 1 and "\x1b" not in result.stdout
    assert "(Contoso\\nlinked to partner ID 999\\x1b]0;title\\x07)" in result.stdout
