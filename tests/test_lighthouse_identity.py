"""Two Lighthouse delegations never share one registration definition, and the plan refuses what Azure would
(issue 18, "Lighthouse")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from partner_attribution.config import ConfigurationError, load_stack_config
from partner_attribution.lighthouse import LighthouseAuthorizationArgs, LighthouseDelegationArgs, resolve_delegation
from partner_attribution.lighthouse.naming import DEFINITION_REPLACED_WHEN

TENANT = "55555555-5555-4555-8555-555555555555"
LINKED = "66666666-6666-4666-8666-666666666666"
SUB = "/subscriptions/11111111-1111-4111-8111-111111111111"
RG = f"{SUB}/resourceGroups/rg-app"


def args(role: str = "Contributor", scopes: tuple[str, ...] = (SUB,)) -> LighthouseDelegationArgs:
    return LighthouseDelegationArgs(
        offer_name="Fabrikam managed operations",
        managing_tenant_id=TENANT,
        authorizations=[LighthouseAuthorizationArgs(LINKED, "Fabrikam delivery", role, pal_linked=True)],
        scopes=scopes,
        allow_no_partner_credit=True,
    )


def definition_ids(name: str, arguments: LighthouseDelegationArgs, **owner: str) -> set[str]:
    spec, problems = resolve_delegation(name, arguments, **owner)
    assert spec is not None, problems
    return {d.definition_id for d in spec.definitions} | {a.assignment_id for a in spec.assignments}


def test_two_delegations_of_one_offer_in_one_subscription_get_their_own_definitions() -> None:
    """The same offer name and tenant in one subscription gave one definition ID to both before: the last write
    replaced the other's authorizations, and destroying either deleted both."""
    operations = definition_ids("operations", args("Contributor", (RG,)), project="p", stack="s")
    readers = definition_ids("readers", args("Reader", (f"{SUB}/resourceGroups/rg-data",)), project="p", stack="s")
    assert operations and readers and not operations & readers


def test_two_stacks_never_share_a_definition() -> None:
    """Two stacks of one managing tenant delegating in one customer subscription under the same names."""
    first = definition_ids("contoso", args(), project="partner-attribution", stack="customer-a")
    second = definition_ids("contoso", args(), project="partner-attribution", stack="customer-b")
    other_project = definition_ids("contoso", args(), project="other", stack="customer-a")
    assert not first & second and not first & other_project


def test_a_change_of_authorizations_keeps_the_definition() -> None:
    """Azure updates a definition in place when the same offer is deployed again (UPD); a new GUID at the same scope
    with the same offer name is what Azure refuses (ONB)."""
    assert definition_ids("contoso", args("Contributor"), project="p", stack="s") == definition_ids(
        "contoso", args("Reader"), project="p", stack="s"
    )


def test_the_component_takes_the_running_stack() -> None:
    from partner_attribution.offline.engine import evaluate

    def program() -> None:
        from partner_attribution.lighthouse import LighthouseDelegation

        LighthouseDelegation("contoso", args())

    declared = {
        stack: {
            r.inputs["registrationDefinitionId"]
            for r in evaluate(program, stack=stack).resources
            if "registrationDefinitionId" in r.inputs
        }
        for stack in ("customer-a", "customer-b")
    }
    spec, _ = resolve_delegation("contoso", args(), project="partner-attribution", stack="customer-a")
    assert spec is not None and declared["customer-a"] == {d.definition_id for d in spec.definitions}
    assert not declared["customer-a"] & declared["customer-b"]


def entry(name: str, scopes: list[str], offer: str = "Fabrikam managed operations", role: str = "Contributor") -> dict[str, Any]:
    return {
        "name": name,
        "offerName": offer,
        "managingTenantId": TENANT,
        "scopes": scopes,
        "authorizations": [{"principalId": LINKED, "displayName": "Fabrikam delivery", "role": role, "palLinked": True}],
        "allowNoPartnerCredit": True,
    }


def config(*entries: dict[str, Any]) -> dict[str, str]:
    return {"partner-attribution:lighthouse": json.dumps(list(entries))}


def test_the_same_offer_twice_at_one_scope_is_refused_in_the_plan() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_stack_config(config(entry("operations", [SUB, RG]), entry("readers", [RG.upper()], role="Reader")))
    assert caught.value.problems == [
        f"lighthouse[1].scopes: {RG.upper()} is already delegated to managing tenant {TENANT} with offer 'Fabrikam "
        "managed operations' by lighthouse[0]; Azure allows one assignment per offer name at a scope (ONB): merge the "
        "two entries' authorizations into one, or give this one its own offerName"
    ]


def test_one_offer_at_different_scopes_or_two_offers_at_one_scope_are_allowed() -> None:
    loaded = load_stack_config(
        config(entry("operations", [RG]), entry("data", [f"{SUB}/resourceGroups/rg-data"]), entry("other", [RG], offer="Other"))
    )
    assert len(loaded.lighthouse) == 3


def test_the_plan_says_what_replaces_a_delegation(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from partner_attribution.cli import app

    examples = Path(__file__).resolve().parents[1] / "examples" / "lighthouse"
    monkeypatch.setenv("PARTNER_ATTRIBUTION_MANAGING_STACK_OUTPUT", str(examples / "managing-tenant.output.json"))
    result = CliRunner().invoke(app, ["plan", "-c", str(examples / "Pulumi.customer.yaml"), "-f", "json"])
    assert result.exit_code == 0, result.output
    (delegation,) = json.loads(result.stdout)["lighthouse"]
    assert delegation["replacedWhen"] == DEFINITION_REPLACED_WHEN
    assert "stack name replaces the registration definitions" in DEFINITION_REPLACED_WHEN
    table = CliRunner().invoke(app, ["plan", "-c", str(examples / "Pulumi.customer.yaml")])
    assert "a new offer name, managing tenant, delegation name" in " ".join(table.stdout.split())


# -- what User Access Administrator may delegate ------------------------------------------------------------------


def uaa(*delegated: str) -> LighthouseDelegationArgs:
    base = args()
    return LighthouseDelegationArgs(
        offer_name=base.offer_name,
        managing_tenant_id=TENANT,
        authorizations=[
            *base.authorizations,
            LighthouseAuthorizationArgs(
                "77777777-7777-4777-8777-777777777777",
                "Policy automation",
                "User Access Administrator",
                principal_type="ServicePrincipal",
                delegated_role_definition_ids=list(delegated),
            ),
        ],
        scopes=[SUB],
    )


@pytest.mark.parametrize(
    ("role", "said"),
    [
        ("Owner", "Owner can't be delegated: User Access Administrator may assign any built-in role Azure Lighthouse"),
        ("User Access Administrator", "User Access Administrator can't be delegated"),
        (
            "Storage Blob Data Contributor",
            "can't be delegated: User Access Administrator may only assign roles Azure Lighthouse supports (POL): "
            "Storage Blob Data Contributor has DataActions",
        ),
        (
            "Role Based Access Control Administrator",
            "can't be delegated: User Access Administrator may only assign roles Azure Lighthouse supports (POL)",
        ),
    ],
)
def test_user_access_administrator_delegates_only_what_microsoft_allows(role: str, said: str) -> None:
    """POL (deploy-policy-remediation, ms.date 01/20/2026): any built-in role Lighthouse supports except User Access
    Administrator or Owner. Only 'built-in' and 'no duplicate' were checked before."""
    _, problems = resolve_delegation("contoso", uaa("Contributor", role), project="p", stack="s")
    rendered = [p.render() for p in problems]
    assert len(rendered) == 1 and rendered[0].startswith("authorizations[1].delegated_role_definition_ids[1]: ")
    assert said in rendered[0], rendered


def test_user_access_administrator_may_delegate_supported_roles() -> None:
    spec, problems = resolve_delegation("contoso", uaa("Contributor", "Virtual Machine Contributor"), project="p", stack="s")
    assert problems == [] and spec is not None
    assert [r.name for r in spec.authorizations[1].delegated_roles] == ["Contributor", "Virtual Machine Contributor"]
