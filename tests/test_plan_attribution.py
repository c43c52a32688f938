"""A report before deploying: ``plan --format attribution`` writes the ``attribution`` output the stack would have, and
``report`` renders it in every format, with IDs not known yet shown as unknown and no link shown as live."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import PROJECT_ROOT
from partner_attribution.cli import app
from partner_attribution.offline.engine import PlaceholderMocks, evaluate, run_program_file
from partner_attribution.offline.stack_file import read_stack_config

runner = CliRunner()


def invoke(*args: str, stdin: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=stdin, catch_exceptions=False)


@pytest.fixture(autouse=True)
def _in_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PROJECT_ROOT)


@pytest.fixture(scope="module")
def planned() -> str:
    result = invoke("plan", "--stack", "dev", "--format", "attribution")
    assert result.exit_code == 0, result.stderr
    return str(result.stdout)


def test_the_planned_attribution_shows_what_is_not_known_yet(planned: str) -> None:
    principals = {p["name"]: p for p in json.loads(planned)["attribution"]["principals"]}
    assert list(principals) == ["platform-delivery", "workload-delivery", "customer-automation", "reporting"]
    for name in ("platform-delivery", "workload-delivery", "reporting"):  # declared by the stack: Entra assigns the IDs
        assert (principals[name]["clientId"], principals[name]["objectId"]) == ("[unknown]", "[unknown]"), name
    existing = principals["customer-automation"]  # named in the stack file: known
    assert (existing["clientId"], existing["objectId"]) == (
        "33333333-3333-4333-8333-333333333333",
        "44444444-4444-4444-8444-444444444444",
    )
    assert {p["tenantId"] for p in principals.values()} == {"[unknown]"}
    assert {p["linkState"] for p in principals.values()} == {"Planned"}
    assert [p["linkCredential"] for p in principals.values()] == ["federated", "federated", "federated", "password"]
    assert principals["reporting"]["credentialEndDate"].startswith("2027-11-01")


def test_no_made_up_id_passes_for_a_real_one(planned: str) -> None:
    mocks = PlaceholderMocks()
    evaluate(run_program_file(PROJECT_ROOT / "__main__.py"), read_stack_config(PROJECT_ROOT / "Pulumi.dev.yaml"), mocks_=mocks)
    assert len(mocks.placeholders) > 5
    assert not [value for value in mocks.placeholders if value in planned]


def test_report_renders_the_plan_in_every_format(planned: str) -> None:
    markdown = invoke("report", stdin=planned)
    assert markdown.exit_code == 0  # a preview: gaps are listed, not a failure
    assert "0 of 4 principals linked; 0 scopes covered by PEC-eligible roles." in markdown.stdout
    assert "- platform-delivery: link planned, not live: a plan's preview (pulumi up makes the link)" in markdown.stdout
    assert "| platform-delivery | 1234567 | Planned | federated | yes |" in markdown.stdout

    document = json.loads(invoke("report", "--format", "json", stdin=planned).stdout)
    assert document["summary"]["principalsLinked"] == 0
    assert len([g for g in document["summary"]["gaps"] if "link planned, not live" in g]) == 4

    rows = list(csv.DictReader(io.StringIO(invoke("report", "--format", "csv", stdin=planned).stdout)))
    assert {(r["principal"], r["principalId"]) for r in rows if r["principal"] == "platform-delivery"} == {
        ("platform-delivery", "[unknown]")
    }
    assert {r["linkState"] for r in rows if r["principal"] in ("platform-delivery", "reporting")} == {"Planned"}

    page = invoke("report", "--format", "html", stdin=planned).stdout
    assert page.startswith("<!DOCTYPE html>") and "<td class='bad'>Planned</td>" in page

    assert invoke("report", "--fail-on-gaps", stdin=planned).exit_code == 1


def test_attribution_is_for_one_stack_and_a_valid_one(tmp_path: Path) -> None:
    several = invoke("plan", "-c", "Pulumi.dev.yaml", "-c", "Pulumi.dev.yaml", "--format", "attribution")
    assert several.exit_code == 2 and "one stack" in " ".join(several.stderr.replace("│", " ").split())
    broken = tmp_path / "Pulumi.broken.yaml"
    broken.write_text((PROJECT_ROOT / "Pulumi.dev.yaml").read_text().replace('"1234567"', '"12AB"'))
    refused = invoke("plan", "-c", str(broken), "--format", "attribution")
    assert refused.exit_code == 1 and refused.stdout == ""
    assert "partnerId: '12AB' is not a Microsoft partner ID" in refused.stderr
