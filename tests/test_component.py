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

SNAPSHOT = Path(__file__).parent / "snapshots" / "password-0.1_names.json"
"""The resources of the example stack as release 0.1.0 shipped it (``stacks/Pulumi.password-0.1.yaml``), recorded
with 0.1.0's code."""
EXAMPLE_SNAPSHOT = Path(__file__).parent / "snapshots" / "example_stack.json"
RELEASE_0_1_STACK = Path(__file__).parent / "stacks" / "Pulumi.password-0.1.yaml"
PAL = "partner-attribution:index:PartnerAdminLink"
DYNAMIC_PAL = "pulumi-python:dynamic/partner-attribution:PartnerAdminLink"
SUB = "/subscriptions/11111111-1111-4111-8111-111111111111"


@pytest.fixture(scope="module")
def example() -> Evaluation:
    """A stack of password-linked principals: the example stack as release 0.1.0 shipped it."""
    return evaluate(run_program_file(PROJECT_ROOT / "__main__.py"), read_stack_config(RELEASE_0_1_STACK))


@pytest.fixture(scope="module")
def federated_example() -> Evaluation:
    """The current example stack: federated links, an existing principal, one password link."""
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
    assert link.plain_input("partnerId") == "1234567"
    assert link.plain_input("clientId") == example.by_name("platform-delivery-app").outputs["clientId"]
    assert link.plain_input("tenantId") == example.by_name("platform-delivery-sp").outputs["applicationTenantId"]
    assert link.input_is_secret("clientSecret")


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
        "nonAzureWorkloads[1].principal: 'Sales dashboards' (Power BI) names no principal. Microsoft attributes it "
        "through the PAL link of the account that owns or publishes it, not by a manual claim (no DPOR step); add "
        "principal: <name> naming the delivery principal that publishes it (one of platform-delivery, reporting, "
        "workload-delivery); see docs/attribution-models.md",
        "DeliveryPrincipal 'reporting': none of its roles (Cost Management Reader) is on Microsoft's list of roles "
        "eligible for partner earned credit (PEC), so its work earns no PEC. Its PAL link still associates the partner "
        "with it; which roles count for other incentives is up to each programme. Add a PEC-eligible role such as "
        "Contributor (see docs/roles.md) or set requireEligibleRole to make this an error",
    ]


def test_same_config_declares_identical_inputs(federated_example: Evaluation) -> None:
    again = evaluate(run_program_file(PROJECT_ROOT / "__main__.py"), read_stack_config(PROJECT_ROOT / "Pulumi.dev.yaml"))
    first = {r.urn: (r.inputs, sorted(r.dependencies), r.parent) for r in federated_example.resources}
    second = {r.urn: (r.inputs, sorted(r.dependencies), r.parent) for r in again.resources}
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


# -- the snapshot that keeps a rename from replacing a customer's principal ------------------------


def _frozen_type(resource: Any) -> str:
    """The type a resource is known by in an existing stack: its own, or the older type its alias moves it from.
    Since 0.3 the PAL link is the plugin's custom resource (PAL) with an alias from the dynamic resource of 0.1 and
    0.2 (DYNAMIC_PAL), same name and parent: the engine moves it (tests/engine/test_upgrade.py), so the snapshots
    recorded with the old type still hold, unregenerated."""
    moved = resource.type == PAL and {"type": DYNAMIC_PAL} in resource.aliases
    return DYNAMIC_PAL if moved else str(resource.type)


def _snapshot_of(evaluation: Evaluation) -> list[dict[str, str]]:
    return sorted(
        ({"type": _frozen_type(r), "name": r.name, "parent": short(r.parent)} for r in evaluation.resources),
        key=lambda e: (e["parent"], e["name"]),
    )


def test_the_link_is_the_plugins_resource_moved_from_the_dynamic_one(example: Evaluation) -> None:
    links = [r for r in example.resources if r.name.endswith("-pal")]
    assert links and all(r.type == PAL and r.aliases == [{"type": DYNAMIC_PAL}] for r in links)
    assert not example.of_type(DYNAMIC_PAL)


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


def test_snapshot_no_resource_would_be_replaced() -> None:
    """Every resource that release 0.1.0 declared for its example stack is still declared under the same type,
    name and parent (or an alias carries it over), and nothing is added to such a stack."""
    release = evaluate(run_program_file(PROJECT_ROOT / "__main__.py"), read_stack_config(RELEASE_0_1_STACK))
    recorded = json.loads(SNAPSHOT.read_text())
    lost = [e for e in recorded if not any(_covers(r, e) for r in release.resources)]
    assert lost == [], f"these would be replaced in customers' tenants; add aliases: {lost}"
    assert _snapshot_of(release) == recorded, "an upgraded 0.1.0 stack would gain resources"


def test_example_stack_names_are_frozen(federated_example: Evaluation) -> None:
    """The current example stack's resources, frozen for the next release. Regenerate deliberately with
    UPDATE_SNAPSHOT=1 python -m pytest tests/test_component.py."""
    current = _snapshot_of(federated_example)
    if os.environ.get("UPDATE_SNAPSHOT") == "1":
        EXAMPLE_SNAPSHOT.write_text(json.dumps(current, indent=1) + "\n")
    assert current == json.loads(EXAMPLE_SNAPSHOT.read_text()), "review the change, then regenerate (UPDATE_SNAPSHOT=1)"


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
    with pytest.raises(DeliveryPrincipalArgsError, match="no role is PEC-eligible"):
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


# -- secretless links and existing principals --------------------------------------------------------

GITHUB_MAIN = ("https://token.actions.githubusercontent.com", "repo:contoso-partner/landing-zone:ref:refs/heads/main")


def test_a_federated_principal_declares_no_password_and_one_link_credential(federated_example: Evaluation) -> None:
    own = [r for r in federated_example.resources if short(r.parent) == "platform-delivery"]
    assert not [r for r in own if r.type.endswith("ApplicationPassword")]
    link_fic = federated_example.by_name("platform-delivery-link-fic")
    assert short(link_fic.parent) == "platform-delivery"
    assert (link_fic.plain_input("issuer"), link_fic.plain_input("subject")) == GITHUB_MAIN
    assert link_fic.plain_input("audiences") == ["api://AzureADTokenExchange"]
    assert link_fic.plain_input("applicationId") == federated_example.by_name("platform-delivery-app").id
    link = federated_example.by_name("platform-delivery-pal")
    assert link.plain_input("credentialType") == "federated" and "clientSecret" not in link.inputs
    assert (link.plain_input("trustedIssuer"), link.plain_input("trustedSubject")) == GITHUB_MAIN
    assert link.additional_secret_outputs == []
    assert "platform-delivery-link-fic" in {short(u) for u in link.dependencies}


def test_nothing_secret_is_declared_or_exported_for_a_federated_principal(federated_example: Evaluation) -> None:
    federated = {"platform-delivery", "workload-delivery", "customer-automation"}
    for resource in federated_example.resources:
        if short(resource.parent) in federated or resource.name in federated:
            assert not any(resource.input_is_secret(key) for key in resource.inputs), resource.name
    assert set(federated_example.outputs["linkCredentials"]) == {"reporting"}
    entries = {p["name"]: p for p in federated_example.outputs["attribution"]["principals"]}
    assert {name: e["linkCredential"] for name, e in entries.items()} == {
        "platform-delivery": "federated",
        "workload-delivery": "federated",
        "customer-automation": "federated",
        "reporting": "password",
    }
    assert entries["platform-delivery"]["credentialEndDate"] is None


def test_an_existing_principal_declares_no_application_and_keeps_its_link(federated_example: Evaluation) -> None:
    own = [r for r in federated_example.resources if short(r.parent) == "customer-automation"]
    assert sorted(r.type.split(":")[-1] for r in own) == [
        "ApplicationFederatedIdentityCredential",
        "PartnerAdminLink",
        "RoleAssignment",
    ]
    role = next(r for r in own if r.type.endswith("RoleAssignment"))
    assert role.plain_input("principalId") == "44444444-4444-4444-8444-444444444444"
    link = next(r for r in own if r.type == PAL)
    assert link.plain_input("clientId") == "33333333-3333-4333-8333-333333333333"
    fic = next(r for r in own if r.type.endswith("ApplicationFederatedIdentityCredential"))
    assert fic.plain_input("applicationId").startswith("/applications/")  # looked up by client ID


def test_an_existing_principal_with_a_password_link_takes_the_secret_from_config() -> None:
    from conftest import config_with

    entry = {
        "name": "customer-sp",
        "existingApplication": {"clientId": "33333333-3333-4333-8333-333333333333"},
        "roles": [{"role": "Contributor", "scope": SUB}],
    }
    config = config_with([entry], linkSecrets={"customer-sp": "s3cret-value-from-config"})
    evaluation = evaluate(run_program_file(PROJECT_ROOT / "__main__.py"), config)
    link = evaluation.by_name("customer-sp-pal")
    assert link.input_is_secret("clientSecret") and link.plain_input("clientSecret") == "s3cret-value-from-config"
    assert "credentialType" not in link.inputs
    assert not [r for r in evaluation.resources if r.type.endswith(("Application", "ServicePrincipal", "ApplicationPassword"))]
    role = evaluation.by_name(next(r.name for r in evaluation.resources if r.type.endswith("RoleAssignment")))
    assert role.plain_input("principalId")  # looked up by client ID (azuread.get_service_principal)
    assert "linkCredentials" in evaluation.secret_outputs


def test_preview_says_when_a_federated_link_has_no_token_source(federated_example: Evaluation) -> None:
    warnings = [w for w in federated_example.warnings if "no pipeline token was found" in w]
    assert len(warnings) == 3 and all("repo:contoso-partner/landing-zone:ref:refs/heads/main" in w for w in warnings)


def test_no_warning_when_the_pipeline_token_is_there(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", "https://127.0.0.1:1/token?x=1")
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-token")
    evaluation = evaluate(run_program_file(PROJECT_ROOT / "__main__.py"), read_stack_config(PROJECT_ROOT / "Pulumi.dev.yaml"))
    assert not [w for w in evaluation.warnings if "no pipeline token" in w]


def test_federated_component_from_python() -> None:
    from partner_attribution.args import LinkFederationArgs

    def program() -> None:
        DeliveryPrincipal(
            "ops",
            DeliveryPrincipalArgs(
                partner_id="1234567",
                role_assignments=[RoleAssignmentArgs("Contributor", SUB)],
                link_credential="federated",
                link_federation=LinkFederationArgs.github_actions(
                    "contoso/infra", environment="prod", owner_id=1, repository_id=2
                ),
            ),
        )

    evaluation = evaluate(program)
    fic = evaluation.by_name("ops-link-fic")
    assert fic.plain_input("subject") == "repo:contoso@1/infra@2:environment:prod"
    assert sorted(r.name for r in evaluation.resources) == [
        "ops",
        "ops-app",
        "ops-link-fic",
        "ops-pal",
        "ops-role-977b8712",
        "ops-sp",
    ]
