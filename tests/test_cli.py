"""The command line: every command, its exit codes and its JSON output."""

from __future__ import annotations

import csv
import io
import json
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
from partner_attribution.testing import FakeApp, FakeAzure, Fault

runner = CliRunner()
PARTNER = "1234567"


def invoke(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, list(args), input=stdin, env=env, catch_exceptions=False)


@pytest.fixture(autouse=True)
def _in_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PROJECT_ROOT)
    for key in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"):
        monkeypatch.delenv(key, raising=False)


# -- plan ------------------------------------------------------------------------------------------


def test_plan_example_stack() -> None:
    result = invoke("plan", "--stack", "dev")
    assert result.exit_code == 0
    for text in (
        "platform-delivery",
        "application platform-delivery-app",
        "service principal platform-delivery-sp",
        "link credential: federated, no secret; federated credential platform-delivery-link-fic trusts issuer "
        "https://token.actions.githubusercontent.com, subject repo:contoso-partner/landing-zone:ref:refs/heads/main",
        "federated credential github-production",
        "existing application (not declared; pulumi destroy leaves it and its link)",
        "link credential: password reporting-password, valid until 2027-11-01",
        "PAL link to partner ID 1234567",
        "not PEC-eligible",
    ):
        assert text in result.stdout
    assert "platform-delivery-password" not in result.stdout
    assert (
        "none of its roles (Cost Management Reader) is on Microsoft's list of roles eligible for partner earned credit"
        in result.stderr
    )


def test_plan_json() -> None:
    result = invoke("plan", "--stack", "dev", "--format", "json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    names = ["platform-delivery", "workload-delivery", "customer-automation", "reporting"]
    assert [p["name"] for p in document["principals"]] == names
    assert [p["linkCredential"] for p in document["principals"]] == ["federated", "federated", "federated", "password"]
    assert document["principals"][0]["linkFederation"] == {
        "issuer": "https://token.actions.githubusercontent.com",
        "subject": "repo:contoso-partner/landing-zone:ref:refs/heads/main",
        "audience": "api://AzureADTokenExchange",
        "federatedCredential": "platform-delivery-link-fic",
    }
    assert [p["resources"]["password"] for p in document["principals"]] == [None, None, None, "reporting-password"]
    first = document["principals"][0]["roleAssignments"][1]
    assert set(first) >= {"role", "roleDefinitionId", "scope", "palEligible"}
    assert {"type", "name", "parent"} <= set(document["resources"][0])
    assert len(document["resources"]) == 26
    assert document["principals"][0]["partnerId"] == PARTNER


def test_plan_several_files_with_one_summary(tmp_path: Path) -> None:
    broken = tmp_path / "Pulumi.broken.yaml"
    broken.write_text((PROJECT_ROOT / "Pulumi.dev.yaml").read_text().replace('"1234567"', '"12AB"'))
    result = invoke("plan", "-c", "Pulumi.dev.yaml", "-c", str(broken), "-f", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    warnings = len(document["stacks"][0]["warnings"])
    assert document["summary"] == {"stacks": 2, "ok": 1, "failed": 1, "principals": 4, "warnings": warnings}
    assert document["stacks"][1]["errors"][0].startswith("partnerId: '12AB' is not a Microsoft partner ID")
    assert "2 stacks: 1 ok, 1 with errors" in result.stderr


def test_plan_markdown() -> None:
    result = invoke("plan", "--stack", "dev", "--format", "markdown")
    assert result.exit_code == 0
    assert (
        "| platform-delivery | 1234567 | federated | Contributor | `/subscriptions/11111111-1111-4111-8111-111111111111` | yes |"
        in result.stdout
    )


def test_plan_usage_errors_exit_2() -> None:
    assert invoke("plan").exit_code == 2
    assert invoke("plan", "--stack", "dev", "--format", "yaml").exit_code == 2
    assert invoke("plan", "--stack", "dev", "--program", "missing.py").exit_code == 2


def test_module_entry_point_and_help() -> None:
    result = subprocess.run([sys.executable, "-m", "partner_attribution", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "plan" in result.stdout and "verify" in result.stdout
    examples = {
        "plan": "partner-attribution plan --stack dev",
        "report": "pulumi stack output --json | partner-attribution report --format html",
        "verify": "pulumi stack output --json --show-secrets | partner-attribution verify",
        "link": "partner-attribution link --partner-id 1234567",
        "show": "partner-attribution show --format json",
        "unlink": "partner-attribution unlink",
    }
    for command, example in examples.items():
        help_text = " ".join(invoke(command, "--help").stdout.replace("│", " ").split())
        assert f"Example: {example}" in help_text, command
    live_options = ("--timeout", "--cloud", "--authority-host", "--arm-endpoint")
    for command in ("verify", "link", "show", "unlink"):
        help_text = invoke(command, "--help").stdout
        assert all(option in help_text for option in live_options), command
        assert "--format" in help_text and "--output-format" not in help_text, command


# -- report ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stack_output() -> dict[str, Any]:
    """What 'pulumi stack output --json' prints after an up of the example stack: the evaluated outputs,
    links active, secrets hidden."""
    evaluation = evaluate(run_program_file(PROJECT_ROOT / "__main__.py"), read_stack_config(PROJECT_ROOT / "Pulumi.dev.yaml"))
    attribution = json.loads(json.dumps(evaluation.outputs["attribution"]))
    for principal in attribution["principals"]:
        principal["linkState"] = "Active"
    return {"attribution": attribution, "linkCredentials": "[secret]"}


def test_report_markdown(stack_output: dict[str, Any]) -> None:
    result = invoke("report", stdin=json.dumps(stack_output))
    assert result.exit_code == 0  # a gap (the reporting principal has no eligible role) is reported, not a failure
    assert "4 of 4 principals linked; 3 scopes covered by PEC-eligible roles." in result.stdout
    assert (
        "- reporting: no PEC-eligible role: earns no partner earned credit (its PAL link still associates the partner)"
        in result.stdout
    )
    assert "| Sales dashboards | Power BI | platform-delivery | publish the datasets with the linked principal" in result.stdout
    assert "| Contoso intranet on SharePoint Online | Microsoft 365 | CPOR (Claiming Partner of Record) claim |" in result.stdout
    assert "gap: reporting: no PEC-eligible role" in result.stderr


def test_report_json_and_gaps(stack_output: dict[str, Any]) -> None:
    moved = json.loads(json.dumps(stack_output))
    moved["attribution"]["principals"][1]["partnerId"] = "7654321"
    result = invoke("report", "--format", "json", stdin=json.dumps(moved))
    document = json.loads(result.stdout)
    assert document["summary"]["principalsLinked"] == 3
    assert document["summary"]["gaps"] == [
        "workload-delivery: linked to 7654321, configured 1234567",
        "reporting: no PEC-eligible role: earns no partner earned credit (its PAL link still associates the partner)",
    ]
    assert [c["product"] for c in document["manualClaims"]] == ["Microsoft 365"]
    assert [(w["product"], w["principal"]) for w in document["palWorkloads"]] == [("Power BI", "platform-delivery")]


def test_report_csv_and_attribution_alone(stack_output: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "attribution.json"
    path.write_text(json.dumps(stack_output["attribution"]))
    result = invoke("report", "--input", str(path), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert result.stdout.splitlines()[0] == (
        "customer,tenant,partnerId,scope,scopeType,principal,principalId,role,pecEligible,delegation,access,linkState,"
        "linkedPartnerId,linkCredential,earnsCredit,standing,reason,fix"
    )
    # one record type: a row per role of each principal (6 in the example stack), every row with every column
    assert len(rows) == 6 and {row["customer"] for row in rows} == {"attribution"}
    reporting = next(row for row in rows if row["principal"] == "reporting")
    assert (reporting["role"], reporting["pecEligible"], reporting["earnsCredit"], reporting["standing"]) == (
        "Cost Management Reader", "False", "False", "linked, no PEC-eligible role"
    )


def test_report_input_that_is_not_an_attribution_document_is_a_usage_error() -> None:
    not_json = invoke("report", stdin="not json")
    assert not_json.exit_code == 2 and "the input is not JSON" in not_json.stderr
    result = invoke("report", stdin=json.dumps({"something": 1}))
    assert result.exit_code == 2 and "pulumi stack output --json" in result.stderr
    wrong_type = invoke("report", stdin=json.dumps({"attribution": {"principals": [{"name": 3, "roles": []}]}}))
    assert wrong_type.exit_code == 2 and "attribution.principals[0].name: expected str, got 3" in wrong_type.stderr
    missing = invoke("report", "--input", "/nonexistent.json")
    assert missing.exit_code == 2 and "cannot read /nonexistent.json" in missing.stderr


@pytest.mark.browser
def test_report_html_renders_in_headless_chromium(stack_output: dict[str, Any], tmp_path: Path, chromium: str) -> None:
    stack_output["attribution"]["principals"][0]["displayName"] = "<script>alert(1)</script>"
    stack_output["attribution"]["principals"][0]["roles"][0]["role"] = "Role <b>&</b>"
    page = tmp_path / "report.html"
    page.write_text(invoke("report", "--format", "html", stdin=json.dumps(stack_output)).stdout)
    assert "<script" not in page.read_text() and "http" not in page.read_text()  # self-contained, nothing external
    profile = tmp_path / "profile"
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
    ]
    dom = subprocess.run([chromium, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=60).stdout
    # principals (header + 4), PAL workloads (header + Power BI), manual claims (header + Microsoft 365), CUA (header +
    # azure-native, azuread)
    assert '<table id="principals">' in dom and dom.count("<tr>") == (1 + 4) + (1 + 1) + (1 + 1) + (1 + 2)
    assert '<table id="pal-workloads">' in dom and '<table id="claims">' in dom and '<table id="cua">' in dom
    assert "Role &lt;b&gt;&amp;&lt;/b&gt; at" in dom
    assert "4 of 4 principals linked" in dom
    shot = tmp_path / "report.png"
    subprocess.run(
        [chromium, *flags, f"--screenshot={shot}", "--window-size=1200,900", page.as_uri()],
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert shot.stat().st_size > 10_000  # a rendered page, not an empty canvas


# -- verify ------------------------------------------------------------------------------------------


def _live_args(azure: FakeAzure) -> list[str]:
    return ["--authority-host", azure.authority_host, "--arm-endpoint", azure.arm_endpoint]


def _principals(azure: FakeAzure, count: int) -> tuple[dict[str, Any], list[tuple[FakeApp, str]]]:
    apps = []
    attribution: dict[str, Any] = {"partnerId": PARTNER, "principals": []}
    credentials: dict[str, Any] = {}
    for index in range(count):
        app_ = azure.add_app()
        secret = azure.add_secret(app_)
        azure.set_link(app_, PARTNER)
        name = f"p{index:02d}"
        attribution["principals"].append({"name": name, "partnerId": PARTNER, "configuredPartnerId": PARTNER, "roles": []})
        credentials[name] = {"tenantId": app_.tenant_id, "clientId": app_.client_id, "clientSecret": secret}
        apps.append((app_, secret))
    return {"attribution": attribution, "linkCredentials": credentials}, apps


def test_verify_dozens_with_faults(fake_azure: FakeAzure) -> None:
    document, apps = _principals(fake_azure, 30)
    fake_azure.remove_link(apps[3][0])
    fake_azure.set_link(apps[7][0], "7654321")
    fake_azure.expire_secret(*apps[11])  # a permanent fault: the result does not depend on timing
    for _ in range(5):
        fake_azure.inject(Fault("arm", "status", status=429, retry_after=0.5))
    fake_azure.inject(Fault("token", "status", status=503))
    fake_azure.inject(Fault("arm", "drop"))
    result = invoke("verify", "--format", "json", "--timeout", "60", *_live_args(fake_azure), stdin=json.dumps(document))
    assert result.exit_code == 1
    results = {r["name"]: r for r in json.loads(result.stdout)["results"]}
    assert len(results) == 30
    assert results["p03"]["status"] == "missing"
    assert (results["p07"]["status"], results["p07"]["actualPartnerId"]) == ("wrong-partner", "7654321")
    assert results["p11"]["status"] == "error" and "AADSTS7000222" in results["p11"]["detail"]
    assert sum(r["status"] == "ok" for r in results.values()) == 27
    assert "27 of 30 links ok" in result.stderr
    secrets = [s for _, s in apps]
    assert not any(s in result.stdout or s in result.stderr for s in secrets)


def test_verify_shares_connections_between_principals(fake_azure: FakeAzure) -> None:
    """Each principal signs in with its own credential, but the TLS connections are pooled: 24 principals (48
    requests: token, ARM; no OpenID discovery since verify signs in without MSAL) over at most 4 at a time need no more
    connections than the pool holds, not two new ones per principal (bench/verify_scale.py)."""
    document, _ = _principals(fake_azure, 24)
    result = invoke("verify", "--format", "json", "--concurrency", "4", *_live_args(fake_azure), stdin=json.dumps(document))
    assert result.exit_code == 0, result.stderr
    assert sorted(r.target for r in fake_azure.requests) == ["arm"] * 24 + ["token"] * 24
    assert fake_azure.connections <= 4, fake_azure.connections


def test_verify_table_all_ok(fake_azure: FakeAzure) -> None:
    document, _ = _principals(fake_azure, 3)
    result = invoke("verify", "--concurrency", "2", *_live_args(fake_azure), stdin=json.dumps(document))
    assert result.exit_code == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("│ p0")]
    assert len(rows) == 3 and all(row.split("│")[5].strip() == "ok" for row in rows), result.stdout
    assert "3 of 3 links ok" in result.stderr


def _environment_identity(azure: FakeAzure) -> tuple[FakeApp, dict[str, str]]:
    """A principal and the AZURE_* variables that sign in as it."""
    app_ = azure.add_app()
    env = {"AZURE_TENANT_ID": app_.tenant_id, "AZURE_CLIENT_ID": app_.client_id, "AZURE_CLIENT_SECRET": azure.add_secret(app_)}
    return app_, env


def test_verify_one_identity_from_environment(fake_azure: FakeAzure) -> None:
    app_, env = _environment_identity(fake_azure)
    assert invoke("verify", *_live_args(fake_azure), env=env).exit_code == 2  # --partner-id needed
    missing = invoke("verify", "--partner-id", PARTNER, "-f", "json", *_live_args(fake_azure), env=env)
    assert missing.exit_code == 1 and json.loads(missing.stdout)["results"][0]["status"] == "missing"
    fake_azure.set_link(app_, PARTNER)
    assert invoke("verify", "--partner-id", PARTNER, *_live_args(fake_azure), env=env).exit_code == 0


def test_error_text_is_printed_literally() -> None:
    """Names and messages with brackets are shown as written, not taken for terminal markup."""
    document = {"attribution": {"principals": [{"name": "[bold]ops", "partnerId": PARTNER, "roles": []}]}, "linkCredentials": {}}
    result = invoke("verify", stdin=json.dumps(document))
    assert result.exit_code == 2 and "no credentials for principal '[bold]ops'" in result.stderr


def test_verify_needs_visible_secrets(stack_output: dict[str, Any]) -> None:
    result = invoke("verify", stdin=json.dumps(stack_output))
    assert result.exit_code == 2 and "--show-secrets" in result.stderr


# -- link / show / unlink ----------------------------------------------------------------------------


def test_link_show_unlink_own_identity(fake_azure: FakeAzure) -> None:
    app_, env = _environment_identity(fake_azure)
    live = _live_args(fake_azure)
    assert invoke("show", *live, env=env).exit_code == 1
    linked = invoke("link", "--partner-id", PARTNER, "-f", "json", *live, env=env)
    assert linked.exit_code == 0 and json.loads(linked.stdout)["partner_id"] == PARTNER
    assert fake_azure.link_of(app_)["objectId"] == app_.object_id
    shown = invoke("show", "-f", "json", *live, env=env)
    assert shown.exit_code == 0 and json.loads(shown.stdout)["object_id"] == app_.object_id
    refused = invoke("link", "--partner-id", "7654321", *live, env=env)
    assert refused.exit_code == 1 and "already linked to partner ID 1234567" in refused.stderr
    assert invoke("link", "--partner-id", "7654321", "--overwrite", *live, env=env).exit_code == 0
    assert invoke("unlink", "--partner-id", PARTNER, *live, env=env).exit_code == 1  # not linked to that one
    removed = invoke("unlink", "-f", "json", *live, env=env)
    assert removed.exit_code == 0 and json.loads(removed.stdout) == {"unlinked": "7654321"}
    assert fake_azure.link_of(app_) is None
    assert invoke("unlink", *live, env=env).exit_code == 0  # nothing to remove
    assert invoke("link", "--partner-id", "abc", *live, env=env).exit_code == 2


def test_terminal_escape_sequences_in_names_are_shown_not_obeyed(stack_output: dict[str, Any]) -> None:
    """A principal name from a stack file or an answer from Azure can't retitle or rewrite the partner's terminal."""
    hostile = json.loads(json.dumps(stack_output))
    hostile["attribution"]["principals"][3]["name"] = "rep\x1b]0;pwned\x07orting\x1b[2J"
    result = invoke("report", stdin=json.dumps(hostile))
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "gap: rep\\x1b]0;pwned\\x07orting\\x1b[2J: " in result.stderr


def test_verify_signs_federated_principals_in_with_the_pipeline_token(fake_azure: FakeAzure) -> None:
    """A federated principal has no entry in linkCredentials: verify signs it in with the job's OIDC token."""
    github, subject = "https://token.actions.githubusercontent.com", "repo:contoso-partner/landing-zone:ref:refs/heads/main"
    document, _ = _principals(fake_azure, 1)
    federated = fake_azure.add_app()
    fake_azure.add_federated_credential(federated, github, subject)
    fake_azure.set_link(federated, PARTNER)
    document["attribution"]["principals"].append(
        {
            "name": "fed",
            "tenantId": federated.tenant_id,
            "clientId": federated.client_id,
            "partnerId": PARTNER,
            "configuredPartnerId": PARTNER,
            "linkCredential": "federated",
            "roles": [],
        }
    )
    env = fake_azure.github_actions_environment(subject)
    result = invoke("verify", "-f", "json", *_live_args(fake_azure), stdin=json.dumps(document), env=env)
    assert result.exit_code == 0, result.stderr
    statuses = {r["name"]: r["status"] for r in json.loads(result.stdout)["results"]}
    assert statuses == {"p00": "ok", "fed": "ok"}
    no_token = invoke("verify", "-f", "json", *_live_args(fake_azure), stdin=json.dumps(document))
    detail = {r["name"]: r["detail"] for r in json.loads(no_token.stdout)["results"]}["fed"]
    assert no_token.exit_code == 1 and "no pipeline token was found" in detail
