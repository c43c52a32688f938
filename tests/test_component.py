"""The DeliveryPrincipal component and the bundled program under Pulumi's mock engine."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi_azure_native import resources

from conftest import PROJECT_ROOT
from partner_attribution import component as component_module
from partner_attribution.args import DeliveryPrincipalArgs, RoleAssignmentArgs
from partner_attribution.azure_ids import role_assignment_name
from partner_attribution.component import DeliveryPrincipal, DeliveryPrincipalArgsError
from partner_attribution.offline.engine import (
    PLACEHOLDER_SUBSCRIPTION,
    Evaluation,
    evaluate,
    run_program_file,
)
from partner_attribution.offline.stack_file import read_stack_config

SNAPSHOT = Path(__file__).parent / "snapshots" / "example_stack.json"
PAL = "pulumi-python:dynamic/partner-attribution:PartnerAdminLink"
SUB = "/subscriptions/11111111-1111-4111-8111-111111111111"


@pytest.fixture(scope="module")
def example() -> Evaluation:
    return evaluate(run_program_file(PROJECT_ROOT / "__main__.py"), read_stack_config(PROJECT_ROOT / "Pulumi.dev.yaml"))


def short(urn: str) -> str:
    return urn.split("::")[-1] if urn else ""


def test_resource_graph(example: Evaluation) -> None:
    graph = sorted((r.type.split(":")[-1], r.name, short(r.parent)) for r in example.resources)
    assert graph == sorted(
        [
            ("DeliveryPrincipal", "platform-delivery", "partner-attribution-dev"),
            ("Application", "platform-delivery-app", "platform-delivery"),
            ("ServicePrincipal", "platform-delivery-sp", "platform-delivery"),
            ("ApplicationPassword", "platform-delivery-password", "platform-delivery"),
            ("ApplicationFederatedIdentityCredential", "platform-delivery-fic-github-main", "platform-delivery"),
            ("RoleAssignment", "platform-delivery-role-50dddaf6", "platform-delivery"),
            ("RoleAssignment", "platform-delivery-role-977b8712", "platform-delivery"),
            ("PartnerAdminLink", "platform-delivery-pal", "platform-delivery"),
            ("DeliveryPrincipal", "workload-delivery", "partner-attribution-dev"),
            ("Application", "workload-delivery-app", "workload-delivery"),
            ("ServicePrincipal", "workload-delivery-sp", "workload-delivery"),
            ("ApplicationPassword", "workload-delivery-password", "workload-delivery"),
            ("ApplicationFederatedIdentityCredential", "workload-delivery-fic-ado-release", "workload-delivery"),
            ("RoleAssignment", "workload-delivery-role-dae14aaa", "workload-delivery"),
            ("RoleAssignment", "workload-delivery-role-3c93d562", "workload-delivery"),
            ("PartnerAdminLink", "workload-delivery-pal", "workload-delivery"),
            ("DeliveryPrincipal", "reporting", "partner-attribution-dev"),
            ("Application", "reporting-app", "reporting"),
            ("ServicePrincipal", "reporting-sp", "reporting"),
            ("ApplicationPassword", "reporting-password", "reporting"),
            ("RoleAssignment", "reporting-role-1c68e8ab", "reporting"),
            ("PartnerAdminLink", "reporting-pal", "reporting"),
        ]
    )


def test_link_depends_on_principal_credential_and_roles(example: Evaluation) -> None:
    link = example.by_name("platform-delivery-pal")
    depends = {short(u) for u in link.dependencies}
    assert {
        "platform-delivery-sp",
        "platform-delivery-password",
        "platform-delivery-role-50dddaf6",
        "platform-delivery-role-977b8712",
    } <= depends
    assert link.plain_input("partner_id") == "1234567"
    assert link.plain_input("client_id") == example.by_name("platform-delivery-app").outputs["clientId"]
    assert link.plain_input("tenant_id") == example.by_name("platform-delivery-sp").outputs["applicationTenantId"]
    assert link.input_is_secret("client_secret")


def test_role_assignments(example: Evaluation) -> None:
    assignments = example.of_type("azure-native:authorization:RoleAssignment")
    assert len(assignments) == 5
    for assignment in assignments:
        inputs = assignment.inputs
        principal = example.by_name(assignment.name.split("-role-")[0] + "-sp")
        assert inputs["principalType"] == "ServicePrincipal"
        assert inputs["principalId"] == principal.outputs["objectId"]
        assert inputs["roleAssignmentName"] == role_assignment_name(
            inputs["scope"], inputs["roleDefinitionId"], inputs["principalId"]
        )
        assert {short(d) for d in assignment.dependencies} == {principal.name}
    mg = example.by_name("platform-delivery-role-50dddaf6").inputs
    assert mg["scope"] == "/providers/Microsoft.Management/managementGroups/contoso-landing-zones"
    assert mg["roleDefinitionId"] == "/providers/Microsoft.Authorization/roleDefinitions/5d58bcaf-24a5-4b20-bdb6-eed9f69fbe4c"
    sub = example.by_name("platform-delivery-role-977b8712").inputs
    assert sub["roleDefinitionId"] == (
        "/subscriptions/11111111-1111-4111-8111-111111111111/providers/Microsoft.Authorization/roleDefinitions/"
        "b24988ac-6180-42a0-ab88-20f7382dd24c"
    )


def test_credentials(example: Evaluation) -> None:
    password = example.by_name("platform-delivery-password")
    assert password.inputs["endDate"] == "2027-04-30T00:00:00Z"  # 2026-11-01 + 180 days
    assert password.inputs["rotateWhenChanged"] == {"rotatedOn": "2026-11-01"}
    fic = example.by_name("platform-delivery-fic-github-main").inputs
    assert fic["issuer"] == "https://token.actions.githubusercontent.com"
    assert fic["subject"] == "repo:contoso-partner/landing-zone:environment:production"
    assert fic["audiences"] == ["api://AzureADTokenExchange"]


def test_stack_outputs(example: Evaluation) -> None:
    assert example.secret_outputs == {"linkCredentials"}
    attribution = example.outputs["attribution"]
    assert "offline-placeholder" not in json.dumps(attribution)
    platform = attribution["principals"][0]
    assert platform["partnerId"] == "1234567" and platform["palEligible"] is True
    assert [(r["role"], r["palEligible"]) for r in platform["roles"]] == [
        ("Management Group Contributor", True),
        ("Contributor", True),
    ]
    reporting = attribution["principals"][2]
    assert reporting["palEligible"] is False and reporting["roles"][0]["palListing"] == "not-eligible"
    credentials = example.outputs["linkCredentials"]
    assert set(credentials) == {"platform-delivery", "workload-delivery", "reporting"}
    assert credentials["reporting"]["clientSecret"].startswith("offline-placeholder-")


def test_warns_about_principals_without_eligible_roles(example: Evaluation) -> None:
    assert example.warnings == [
        "DeliveryPrincipal 'reporting': none of its roles (Cost Management Reader) is PAL-eligible, so its work "
        "earns no partner credit; add an eligible role such as Contributor (see docs/roles.md) or set "
        "requireEligibleRole to make this an error"
    ]


def test_same_config_declares_identical_inputs(example: Evaluation) -> None:
    again = evaluate(run_program_file(PROJECT_ROOT / "__main__.py"), read_stack_config(PROJECT_ROOT / "Pulumi.dev.yaml"))
    first = {r.urn: (r.inputs, sorted(r.dependencies), r.parent) for r in example.resources}
    second = {r.urn: (r.inputs, sorted(r.dependencies), r.parent) for r in again.resources}
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


# -- the snapshot that keeps a rename from replacing a customer's principal ------------------------


def _snapshot_of(evaluation: Evaluation) -> list[dict[str, str]]:
    return sorted(
        ({"type": r.type, "name": r.name, "parent": short(r.parent)} for r in evaluation.resources),
        key=lambda e: (e["parent"], e["name"]),
    )


def _covers(resource: Any, entry: dict[str, str]) -> bool:
    if (resource.type, resource.name, short(resource.parent)) == (entry["type"], entry["name"], entry["parent"]):
        return True
    for alias in resource.aliases:
        if (
            alias.get("name", resource.name) == entry["name"]
            and alias.get("type", resource.type) == entry["type"]
            and short(alias.get("parentUrn", resource.parent)) == entry["parent"]
        ):
            return True
    return False


def test_snapshot_no_resource_would_be_replaced(example: Evaluation) -> None:
    """Every resource of the last release's example stack is still declared under the same type,
    name and parent, or an alias carries it over. Regenerate deliberately with
    UPDATE_SNAPSHOT=1 python -m pytest tests/test_component.py."""
    current = _snapshot_of(example)
    if os.environ.get("UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text(json.dumps(current, indent=1) + "\n")
    recorded = json.loads(SNAPSHOT.read_text())
    lost = [e for e in recorded if not any(_covers(r, e) for r in example.resources)]
    assert lost == [], f"these would be replaced in customers' tenants; add aliases: {lost}"
    assert current == recorded, "new resources: review them, then regenerate the snapshot (UPDATE_SNAPSHOT=1)"


def test_snapshot_guard_catches_a_rename(example: Evaluation) -> None:
    renamed = [r for r in example.resources if r.name != "platform-delivery-sp"]
    entry = {
        "type": "azuread:index/servicePrincipal:ServicePrincipal",
        "name": "platform-delivery-sp",
        "parent": "platform-delivery",
    }
    assert not any(_covers(r, entry) for r in renamed)

    def program() -> None:
        parent = pulumi.ComponentResource("partner-attribution:index:DeliveryPrincipal", "platform-delivery")
        import pulumi_azuread as azuread

        azuread.ServicePrincipal(
            "platform-delivery-principal",
            client_id="x",
            opts=pulumi.ResourceOptions(parent=parent, aliases=[pulumi.Alias(name="platform-delivery-sp")]),
        )

    aliased = evaluate(program).by_name("platform-delivery-principal")
    assert _covers(aliased, entry)


# -- the component used from another program ---------------------------------------------------------


def _args(**overrides: Any) -> DeliveryPrincipalArgs:
    values: dict[str, Any] = {
        "partner_id": "1234567",
        "role_assignments": [RoleAssignmentArgs(role="Contributor", scope=SUB)],
        "credential_rotated_on": "2026-11-01",
    }
    values.update(overrides)
    return DeliveryPrincipalArgs(**values)


def test_scope_from_another_resource() -> None:
    def program() -> None:
        group = resources.ResourceGroup("rg-app", resource_group_name="rg-app")
        DeliveryPrincipal(
            "app",
            _args(role_assignments=[RoleAssignmentArgs(role="Website Contributor", scope=group.id, key="app-rg")]),
        )

    evaluation = evaluate(program)
    assignment = evaluation.by_name("app-role-app-rg")
    assert assignment.inputs["scope"] == f"/subscriptions/{PLACEHOLDER_SUBSCRIPTION}/resourceGroups/rg-app"
    assert assignment.inputs["roleDefinitionId"].startswith(f"/subscriptions/{PLACEHOLDER_SUBSCRIPTION}/providers/")
    assert any(short(d) == "rg-app" for d in assignment.dependencies)


def test_output_scope_is_checked_when_known() -> None:
    def program() -> None:
        vault = pulumi.CustomResource("example:index:Thing", "thing")  # mock ID 'thing-id' is no Azure resource ID
        DeliveryPrincipal("app", _args(role_assignments=[RoleAssignmentArgs(role="Contributor", scope=vault.id, key="thing")]))

    with pytest.raises(Exception, match="'thing-id' is not an Azure resource ID; expected /subscriptions/"):
        evaluate(program)


def test_output_scope_needs_a_key_and_a_valid_scope() -> None:
    def missing_key() -> None:
        group = resources.ResourceGroup("rg", resource_group_name="rg")
        DeliveryPrincipal("app", _args(role_assignments=[RoleAssignmentArgs(role="Contributor", scope=group.id)]))

    with pytest.raises(
        DeliveryPrincipalArgsError, match=r"role_assignments\[0\]\.key: a key is required when the scope is an Output"
    ):
        evaluate(missing_key)


def test_invalid_arguments_fail_before_any_resource() -> None:
    registered: list[str] = []

    def program() -> None:
        try:
            DeliveryPrincipal(
                "app",
                _args(partner_id="x1", role_assignments=[RoleAssignmentArgs(role="Owner", scope="/subscriptions/bad")]),
            )
        finally:
            registered.append("done")

    with pytest.raises(DeliveryPrincipalArgsError) as error:
        evaluate(program)
    message = str(error.value)
    assert "partner_id: 'x1' is not a Microsoft partner ID" in message
    assert "role_assignments[0].role: Owner can grant access to others" in message
    assert "set acknowledge_privileged to true" in message
    assert "role_assignments[0].scope: '/subscriptions/bad'" in message


def test_require_eligible_role_is_an_error() -> None:
    with pytest.raises(DeliveryPrincipalArgsError, match="no role is PAL-eligible"):
        evaluate(
            lambda: DeliveryPrincipal(
                "r", _args(role_assignments=[RoleAssignmentArgs("Reader", SUB)], require_eligible_role=True)
            )
        )


@pytest.mark.parametrize(
    ("today", "warned"), [(dt.date(2027, 3, 31), True), (dt.date(2027, 3, 30), False), (dt.date(2027, 5, 1), True)]
)
def test_credential_expiry_warning(monkeypatch: pytest.MonkeyPatch, today: dt.date, warned: bool) -> None:
    monkeypatch.setattr(component_module, "today", lambda: today)
    evaluation = evaluate(lambda: DeliveryPrincipal("app", _args()))  # expires 2027-04-30
    expiring = [w for w in evaluation.warnings if "PAL link credential" in w]
    assert bool(expiring) is warned
    if today > dt.date(2027, 4, 30):
        assert "credential expired" in expiring[0]


def test_component_outputs_are_registered() -> None:
    captured: dict[str, Any] = {}

    def program() -> None:
        principal = DeliveryPrincipal("app", _args())
        captured["principal"] = principal

    evaluation = evaluate(program)
    principal = captured["principal"]
    from pulumi.runtime.sync_await import _sync_await

    assert _sync_await(principal.client_secret.is_secret())
    assert _sync_await(principal.pal_eligible.future()) is True
    ids = _sync_await(principal.role_assignment_ids.future())
    assert list(ids.values()) == [evaluation.of_type("azure-native:authorization:RoleAssignment")[0].id]
