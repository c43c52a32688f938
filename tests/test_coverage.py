"""The manager's view, model first: documents → grants → scope tree → headline counts and the fix-first portfolio;
then the changes between two runs and the inputs (files, folders, verify output, an earlier report)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from partner_attribution.attribution import AttributionDocument
from partner_attribution.changes import changes_between, grants_from_records
from partner_attribution.cli import app
from partner_attribution.coverage import (
    GRANT_COLUMNS,
    Customer,
    Portfolio,
    Standing,
    coverage_of,
    grant_records,
    grants_of,
    scope_tree,
)
from partner_attribution.report import load_attribution

PARTNER = "1234567"
TENANT = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
SUB_A = "/subscriptions/11111111-1111-4111-8111-111111111111"
SUB_B = "/subscriptions/22222222-2222-4222-8222-222222222222"
SUB_C = "/subscriptions/33333333-3333-4333-8333-333333333333"
RG_B = f"{SUB_B}/resourceGroups/rg-app"
VAULT_B = f"{RG_B}/providers/Microsoft.KeyVault/vaults/kv-app"
MG = "/providers/Microsoft.Management/managementGroups/landing-zones"


def principal(name: str, roles: list[tuple[str, str, bool]], *, state: str = "Active", partner: str = PARTNER) -> dict[str, Any]:
    return {
        "name": name,
        "clientId": f"client-{name}",
        "objectId": f"object-{name}",
        "tenantId": TENANT,
        "partnerId": partner,
        "configuredPartnerId": PARTNER,
        "linkState": state,
        "palEligible": any(eligible for _, _, eligible in roles),
        "roles": [{"role": role, "scope": scope, "palEligible": eligible} for role, scope, eligible in roles],
    }


def document(*principals: dict[str, Any], lighthouse: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    value: dict[str, Any] = {"version": 1, "partnerId": PARTNER, "principals": list(principals)}
    if lighthouse is not None:
        value["lighthouse"] = lighthouse
    return {"attribution": value}


def mixed() -> dict[str, Any]:
    """Subscription A earns; B earns only on its resource group (partly); C has a principal linked to another partner."""
    return document(
        principal("platform", [("Contributor", SUB_A, True), ("Management Group Contributor", MG, True)]),
        principal("reader", [("Reader", SUB_B, False)]),
        principal("app", [("Contributor", RG_B, True), ("Key Vault Secrets User", VAULT_B, False)]),
        principal("moved", [("Contributor", SUB_C, True)], partner="7654321"),
    )


def coverage(value: dict[str, Any], name: str = "contoso") -> Any:
    return coverage_of(AttributionDocument.from_stack_output(value), Customer(name))


def test_each_grant_is_judged_with_its_reason_and_fix() -> None:
    grants = {(g.principal, g.scope): g for g in grants_of(AttributionDocument.from_stack_output(mixed()))}
    assert grants[("platform", SUB_A)].standing is Standing.EARNS and grants[("platform", SUB_A)].reason == ""
    reader = grants[("reader", SUB_B)]
    assert reader.standing is Standing.NO_PEC_ROLE
    assert reader.reason == "Reader is not a PEC-eligible role: the link associates the partner but earns no PEC"
    assert "grant a PEC-eligible role" in reader.fix
    moved = grants[("moved", SUB_C)]
    assert moved.standing is Standing.OTHER_PARTNER
    assert moved.reason == "moved's PAL link names partner ID 7654321, not 1234567"
    assert "overwriteExistingLink: true for moved" in moved.fix


def test_a_principal_without_a_live_link_is_no_linked_principal() -> None:
    value = document(principal("late", [("Contributor", SUB_A, True)], state="NotLinked"))
    (grant,) = grants_of(AttributionDocument.from_stack_output(value))
    assert grant.standing is Standing.NOT_LINKED and grant.reason == "late's PAL link is NotLinked"
    assert "pulumi up --refresh" in grant.fix


def test_the_tree_nests_scopes_and_inherits_roles_down() -> None:
    roots = scope_tree(grants_of(AttributionDocument.from_stack_output(mixed())))
    assert [(r.kind, r.scope) for r in roots] == [("management group", MG), ("subscription", SUB_A),
                                                  ("subscription", SUB_B), ("subscription", SUB_C)]  # fmt: skip
    sub_b = roots[2]
    (rg,) = sub_b.children
    (vault,) = rg.children
    assert (rg.scope, vault.scope) == (RG_B, VAULT_B)
    assert sub_b.standing is Standing.NO_PEC_ROLE and sub_b.earns_below
    assert rg.standing is Standing.EARNS
    # the vault's own role earns nothing, but the resource group's Contributor is inherited: it earns
    assert [g.role for g in vault.grants] == ["Key Vault Secrets User"] and vault.standing is Standing.EARNS
    assert [g.role for g in vault.inherited] == ["Reader", "Contributor"]
    assert roots[3].standing is Standing.OTHER_PARTNER and roots[3].reason.startswith("moved's PAL link names")


def test_scopes_match_whatever_their_letter_case() -> None:
    value = document(principal("a", [("Reader", SUB_A, False)]), principal("b", [("Contributor", SUB_A.upper(), True)]))
    (root,) = scope_tree(grants_of(AttributionDocument.from_stack_output(value)))
    assert len(root.grants) == 2 and root.standing is Standing.EARNS


def test_headline_counts() -> None:
    headline = coverage(mixed()).headline()
    assert headline["tenant"] == TENANT
    assert (headline["subscriptions"], headline["subscriptionsEarning"], headline["subscriptionsPartlyEarning"],
            headline["subscriptionsNotEarning"]) == (3, 1, 1, 1)  # fmt: skip
    assert (headline["principals"], headline["principalsLinked"], headline["grantsCreditingAnotherPartner"]) == (4, 3, 1)


def lighthouse_only() -> dict[str, Any]:
    """A Lighthouse customer: no principal of its own; the managing stack's linked principal earns on two scopes."""
    auth = {"principalId": "object-delivery", "principalName": "delivery", "displayName": "Delivery", "role": "Contributor",
            "permanent": True, "palLinked": True, "pecEligible": True, "earnsCredit": True, "linkState": "Active",
            "linkedPartnerId": PARTNER, "configuredPartnerId": PARTNER}  # fmt: skip
    jit = {"principalId": "object-ops", "displayName": "Ops (just-in-time)", "role": "Contributor", "permanent": False,
           "pecEligible": True, "earnsCredit": False}  # fmt: skip
    return document(
        lighthouse=[
            {
                "name": "ops",
                "offerName": "Ops",
                "managingTenantId": TENANT,
                "scopes": [SUB_A, RG_B],
                "authorizations": [auth, jit],
            }
        ]
    )


def test_lighthouse_counts_like_direct_roles() -> None:
    c = coverage(lighthouse_only())
    headline = c.headline()
    assert (headline["principals"], headline["principalsLinked"], headline["lighthousePrincipals"]) == (2, 1, 2)
    assert (headline["subscriptionsEarning"], headline["subscriptionsPartlyEarning"]) == (1, 1)
    # every delegated scope earns: the subscription above the delegated resource group is "partly", not a problem
    assert c.standing is Standing.EARNS
    jit = next(g for g in c.grants if g.access == "eligible")
    assert (
        jit.standing is Standing.NOT_LINKED
        and jit.reason == "Ops (just-in-time) is not a principal of the managing stack: its PAL link is unknown"
    )
    linked_jit = lighthouse_only()
    linked_jit["attribution"]["lighthouse"][0]["authorizations"][1].update(
        linkState="Active", linkedPartnerId=PARTNER, configuredPartnerId=PARTNER
    )
    jit = next(g for g in coverage(linked_jit).grants if g.access == "eligible")
    assert jit.standing is Standing.NO_PEC_ROLE and "eligible (just-in-time) authorization: it earns nothing" in jit.reason
    summary = load_attribution(lighthouse_only()).summary  # the detail section's line agrees: not "0 of 0"
    assert (summary["principals"], summary["principalsLinked"]) == (2, 1)
    assert summary["scopesCoveredByEligibleRoles"] == [SUB_A, RG_B]


def test_the_portfolio_puts_what_to_fix_first_first_and_totals_per_partner() -> None:
    fine = document(principal("platform", [("Contributor", SUB_A, True)]))
    unlinked = document(principal("late", [("Contributor", SUB_A, True)], state="NotLinked"))
    portfolio = Portfolio([coverage(fine, "alpha"), coverage(unlinked, "beta"), coverage(mixed(), "gamma")])
    assert [c.customer.name for c in portfolio.customers] == ["gamma", "beta", "alpha"]
    assert [c.standing for c in portfolio.customers] == [Standing.OTHER_PARTNER, Standing.NOT_LINKED, Standing.EARNS]
    totals = portfolio.totals()[PARTNER]
    assert (totals["customers"], totals["subscriptions"], totals["subscriptionsEarning"],
            totals["subscriptionsNotEarning"], totals["grantsCreditingAnotherPartner"]) == (3, 5, 2, 2, 1)  # fmt: skip


def test_the_long_table_has_one_record_type_that_round_trips() -> None:
    records = grant_records([coverage(mixed())])
    assert all(tuple(r) == GRANT_COLUMNS for r in records) and len(records) == 6
    back = grants_from_records(json.loads(json.dumps(records)), "earlier")
    assert [g for _, g in back] == coverage(mixed()).grants


def test_changes_since_an_earlier_run() -> None:
    before = coverage(mixed()).grants
    later = mixed()
    later["attribution"]["principals"][0]["linkState"] = "NotLinked"  # platform's link lost
    later["attribution"]["principals"][2]["partnerId"] = "7654321"  # app re-pointed
    later["attribution"]["principals"][1]["roles"].append({"role": "Contributor", "scope": SUB_B, "palEligible": True})
    after = coverage(later).grants
    texts = [c.text for c in changes_between({"contoso": before}, {"contoso": after, "new": []})]
    assert texts[:2] == [
        "contoso: link lost: platform (direct): linked to 1234567 → NotLinked",
        "contoso: link re-pointed: app (direct): linked to 1234567 → linked to 7654321",
    ]
    assert f"contoso: scope stopped earning: {SUB_A}" in texts
    assert f"contoso: scope stopped earning: {RG_B}" not in texts  # reader's new Contributor on B still covers it
    assert f"contoso: role added: reader: Contributor at {SUB_B} (direct)" in texts
    assert f"contoso: scope started earning: {SUB_B}" in texts
    assert "new: customer added: new" in texts
    assert changes_between({"contoso": before}, {"contoso": before}) == []


runner = CliRunner()


def invoke(*args: str, stdin: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=stdin, env={"SOURCE_DATE_EPOCH": "1796000000"}, catch_exceptions=False)


def write(folder: Path, name: str, value: dict[str, Any]) -> Path:
    path = folder / f"{name}.json"
    path.write_text(json.dumps(value))
    return path


def test_report_over_a_folder_is_a_portfolio(tmp_path: Path) -> None:
    write(tmp_path, "alpha", document(principal("platform", [("Contributor", SUB_A, True)])))
    write(tmp_path, "gamma", mixed())
    assert invoke("report", "-d", str(tmp_path), "-f", "json").exit_code == 0  # gaps fail only with --fail-on-gaps
    result = invoke("report", "-d", str(tmp_path), "-f", "json", "--fail-on-gaps")
    assert result.exit_code == 1  # gamma has gaps
    report = json.loads(result.stdout)
    assert report["madeAt"] == "2026-11-30T00:53:20Z" and report["linkStates"] == "declared"
    assert [(c["rank"], c["customer"], c["standing"]) for c in report["customers"]] == [
        (1, "gamma", "credited to another partner ID"), (2, "alpha", "earns PEC")]  # fmt: skip
    assert len(report["grants"]) == 7 and {r["customer"] for r in report["grants"]} == {"alpha", "gamma"}
    assert "2 customers: 1 earn on every scope, 1 to fix" in result.stderr
    rows = list(csv.DictReader(io.StringIO(invoke("report", "-d", str(tmp_path), "-f", "csv").stdout)))
    assert len(rows) == 7 and tuple(rows[0]) == GRANT_COLUMNS


def test_report_since_an_earlier_report(tmp_path: Path) -> None:
    folder = tmp_path / "now"
    folder.mkdir()
    write(folder, "gamma", mixed())
    earlier = tmp_path / "last-week.json"
    earlier.write_text(invoke("report", "-d", str(folder), "-f", "json").stdout)
    moved = mixed()
    moved["attribution"]["principals"][0]["partnerId"] = "7654321"
    write(folder, "gamma", moved)
    result = invoke("report", "-d", str(folder), "-f", "json", "--since", str(earlier))
    changes = json.loads(result.stdout)["changes"]
    assert changes[0] == {"customer": "gamma", "kind": "link re-pointed", "subject": "platform (direct)",
                          "before": "linked to 1234567", "after": "linked to 7654321"}  # fmt: skip
    assert {c["subject"] for c in changes if c["kind"] == "scope stopped earning"} == {SUB_A, MG}


def test_report_with_verified_link_states(tmp_path: Path) -> None:
    verified = tmp_path / "verify.json"
    verified.write_text(json.dumps({"results": [{"clientId": "client-platform", "status": "missing"}], "failed": 1}))
    source = write(tmp_path, "contoso", mixed())
    result = invoke("report", "--input", str(source), "-f", "json", "--verified", str(verified))
    report = json.loads(result.stdout)
    assert report["headline"]["linkStates"] == "live" and report["headline"]["customer"] == "contoso"
    platform = next(g for g in report["grants"] if g["principal"] == "platform" and g["scope"] == SUB_A)
    assert (platform["linkState"], platform["standing"]) == ("NotLinked", "no linked principal")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-d", "/nonexistent"), "/nonexistent not found"),
        (("--verified", "{folder}/contoso.json"), "expected the output of 'partner-attribution verify --format json'"),
    ],
)
def test_bad_report_sources_are_usage_errors(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    write(tmp_path, "contoso", mixed())
    filled = [a.replace("{folder}", str(tmp_path)) for a in args]
    result = invoke("report", "-d", str(tmp_path), *filled)
    assert result.exit_code == 2 and message in result.stderr


def test_an_empty_folder_says_what_to_put_in_it(tmp_path: Path) -> None:
    result = invoke("report", "-d", str(tmp_path))
    assert result.exit_code == 2 and "no .json file in this folder" in result.stderr


def test_markdown_leads_with_the_headline_and_the_scopes(tmp_path: Path) -> None:
    source = write(tmp_path, "contoso", mixed())
    text = invoke("report", "--input", str(source)).stdout
    assert text.index("## Scopes") < text.index("## Principals") < text.index("| principal | partner ID |")
    assert "Subscriptions: 1 of 3 earn PEC, 1 partly, 1 not; 1 grants credit another partner ID." in text
    assert (
        f"- subscription {SUB_C}: **credited to another partner ID**. moved Contributor (direct, permanent): credited to "
        "another partner ID. Why: moved's PAL link names partner ID 7654321, not 1234567. Fix: if the customer agrees, "
        "set overwriteExistingLink: true for moved in this stack and run pulumi up." in text
    )
    assert f"  - resource group {RG_B}: **earns PEC**." in text  # nested under its subscription


def test_a_grant_crediting_another_partner_is_explained_even_where_the_scope_earns() -> None:
    from partner_attribution.report_html import tree_html

    value = document(
        principal("ours", [("Contributor", SUB_A, True)]),
        principal("theirs", [("Contributor", SUB_A, True)], partner="7654321"),
    )
    c = coverage(value)
    (root,) = c.roots
    assert root.standing is Standing.EARNS and c.standing is Standing.OTHER_PARTNER
    page = tree_html(c)
    assert page.count("<b>Why:</b>") == 1 and "theirs&#x27;s PAL link names partner ID 7654321, not 1234567" in page
