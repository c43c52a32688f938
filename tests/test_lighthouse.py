"""The LighthouseDelegation component under Pulumi's mock engine: what it declares, its names, and every rule."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pulumi_azuread as azuread
import pytest

from partner_attribution.lighthouse import (
    LighthouseApproverArgs,
    LighthouseAuthorizationArgs,
    LighthouseDelegation,
    LighthouseDelegationArgs,
    LighthouseDelegationArgsError,
    LighthouseEligibleAuthorizationArgs,
    resolve_delegation,
)
from partner_attribution.lighthouse import naming as lighthouse_naming
from partner_attribution.lighthouse.role_support import (
    AUTHORIZATION_WRITE,
    DATA_ACTIONS,
    render_table,
    unsupported_reasons,
)
from partner_attribution.lighthouse.unsupported_roles import UNCHECKED, UNSUPPORTED
from partner_attribution.offline.engine import Evaluation, evaluate, placeholder_guid
from partner_attribution.roles import builtin_roles

NAMES_SNAPSHOT = Path(__file__).parent / "snapshots" / "lighthouse_names.json"
DEFINITION = "azure-native:managedservices:RegistrationDefinition"
ASSIGNMENT = "azure-native:managedservices:RegistrationAssignment"
COMPONENT = "partner-attribution:index:LighthouseDelegation"

TENANT = "a1a1a1a1-0000-4000-8000-000000000001"
LINKED_SP = "b2b2b2b2-0000-4000-8000-000000000002"
OPS_GROUP = "c3c3c3c3-0000-4000-8000-000000000003"
ONCALL_USER = "d4d4d4d4-0000-4000-8000-000000000004"
APPROVERS = "e5e5e5e5-0000-4000-8000-000000000005"
SUB_A = "/subscriptions/11111111-1111-4111-8111-111111111111"
SUB_B = "/subscriptions/22222222-2222-4222-8222-222222222222"
RG_APP = f"{SUB_B}/resourceGroups/rg-app"
RG_DATA = f"{SUB_B}/resourceGroups/rg-data"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
UAA = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
DELETE_ROLE = "91c1777a-f3dc-4fae-b103-61d183457e46"
VM_CONTRIBUTOR = "9980e02c-c2be-4d73-94e8-173b1dc7cf3c"


def realistic() -> LighthouseDelegationArgs:
    """A managed-service offer as a partner would write it: the PAL-linked delivery principal with Contributor, an
    operations group with Reader, the delete role and User Access Administrator for managed identities, an on-call
    user with just-in-time Contributor; a subscription and two resource groups of another subscription."""
    return LighthouseDelegationArgs(
        offer_name="Fabrikam managed operations",
        description="Day-to-day operations by Fabrikam",
        managing_tenant_id=TENANT,
        authorizations=[
            LighthouseAuthorizationArgs(LINKED_SP, "Fabrikam delivery (PAL)", "Contributor", pal_linked=True),
            LighthouseAuthorizationArgs(OPS_GROUP, "Fabrikam operations", "Reader", principal_type="Group"),
            LighthouseAuthorizationArgs(
                OPS_GROUP,
                "Fabrikam operations",
                "Managed Services Registration assignment Delete Role",
                principal_type="Group",
            ),
            LighthouseAuthorizationArgs(
                OPS_GROUP,
                "Fabrikam operations (managed identities)",
                "User Access Administrator",
                principal_type="Group",
                delegated_role_definition_ids=["Contributor", VM_CONTRIBUTOR],
            ),
            LighthouseAuthorizationArgs(ONCALL_USER, "Fabrikam on-call", "Reader", principal_type="User"),
        ],
        eligible_authorizations=[
            LighthouseEligibleAuthorizationArgs(
                ONCALL_USER,
                "Fabrikam on-call",
                "Contributor",
                principal_type="User",
                maximum_activation_duration="PT4H",
                approvers=[LighthouseApproverArgs(APPROVERS, "Fabrikam approvers", principal_type="Group")],
            )
        ],
        scopes=[SUB_A, RG_APP, RG_DATA],
    )


def replace(args: LighthouseDelegationArgs, **changes: Any) -> LighthouseDelegationArgs:
    return dataclasses.replace(args, **changes)


def with_authorization(index: int, **changes: Any) -> LighthouseDelegationArgs:
    args = realistic()
    authorizations = list(args.authorizations)
    authorizations[index] = dataclasses.replace(authorizations[index], **changes)
    return replace(args, authorizations=authorizations)


def with_eligible(**changes: Any) -> LighthouseDelegationArgs:
    args = realistic()
    return replace(args, eligible_authorizations=[dataclasses.replace(args.eligible_authorizations[0], **changes)])


OWNER = "partner-attribution/dev/contoso"
"""What owns the test's definitions: the offline engine's project and stack, and the delegation's name."""


def declare(args: LighthouseDelegationArgs, name: str = "contoso") -> Evaluation:
    def program() -> None:
        delegation = LighthouseDelegation(name, args)
        pulumi.export("definitionIds", delegation.definition_ids)
        pulumi.export("assignmentIds", delegation.assignment_ids)
        pulumi.export("authorizations", delegation.authorizations)
        pulumi.export("credited", delegation.credited_principal_ids)
        pulumi.export("earnsCredit", delegation.earns_credit)

    return evaluate(program)


@pytest.fixture(scope="module")
def declared() -> Evaluation:
    return declare(realistic())


def short(urn: str) -> str:
    return urn.split("::")[-1] if urn else ""


def sub_key(scope: str) -> str:
    return lighthouse_naming.scope_key(scope)


# --- what is declared -------------------------------------------------------------------------------------------


def test_a_definition_per_subscription_and_an_assignment_per_scope(declared: Evaluation) -> None:
    graph = sorted((r.type, r.name, short(r.parent)) for r in declared.resources)
    assert graph == sorted(
        [
            (COMPONENT, "contoso", "partner-attribution-dev"),
            (DEFINITION, f"contoso-definition-{sub_key(SUB_A)}", "contoso"),
            (DEFINITION, f"contoso-definition-{sub_key(SUB_B)}", "contoso"),
            (ASSIGNMENT, f"contoso-assignment-{sub_key(SUB_A)}", "contoso"),
            (ASSIGNMENT, f"contoso-assignment-{sub_key(RG_APP)}", "contoso"),
            (ASSIGNMENT, f"contoso-assignment-{sub_key(RG_DATA)}", "contoso"),
        ]
    )
    assert not declared.errors


def expected_properties() -> dict[str, Any]:
    """The definition's ``properties`` in the REST API's own form (Microsoft.ManagedServices 2022-10-01)."""
    return {
        "registrationDefinitionName": "Fabrikam managed operations",
        "description": "Day-to-day operations by Fabrikam",
        "managedByTenantId": TENANT,
        "authorizations": [
            {"principalId": LINKED_SP, "principalIdDisplayName": "Fabrikam delivery (PAL)", "roleDefinitionId": CONTRIBUTOR},
            {"principalId": OPS_GROUP, "principalIdDisplayName": "Fabrikam operations", "roleDefinitionId": READER},
            {"principalId": OPS_GROUP, "principalIdDisplayName": "Fabrikam operations", "roleDefinitionId": DELETE_ROLE},
            {
                "principalId": OPS_GROUP,
                "principalIdDisplayName": "Fabrikam operations (managed identities)",
                "roleDefinitionId": UAA,
                "delegatedRoleDefinitionIds": [CONTRIBUTOR, VM_CONTRIBUTOR],
            },
            {"principalId": ONCALL_USER, "principalIdDisplayName": "Fabrikam on-call", "roleDefinitionId": READER},
        ],
        "eligibleAuthorizations": [
            {
                "principalId": ONCALL_USER,
                "principalIdDisplayName": "Fabrikam on-call",
                "roleDefinitionId": CONTRIBUTOR,
                "justInTimeAccessPolicy": {
                    "multiFactorAuthProvider": "Azure",
                    "maximumActivationDuration": "PT4H",
                    "managedByTenantApprovers": [{"principalId": APPROVERS, "principalIdDisplayName": "Fabrikam approvers"}],
                },
            }
        ],
    }


def test_definition_inputs(declared: Evaluation) -> None:
    for scope in (SUB_A, SUB_B):
        definition = declared.by_name(f"contoso-definition-{sub_key(scope)}")
        assert definition.inputs == {
            "scope": scope,
            "registrationDefinitionId": lighthouse_naming.registration_definition_id(
                TENANT, "Fabrikam managed operations", scope, OWNER
            ),
            "properties": expected_properties(),
        }


def test_assignment_inputs_reference_their_subscriptions_definition(declared: Evaluation) -> None:
    for scope, subscription in ((SUB_A, SUB_A), (RG_APP, SUB_B), (RG_DATA, SUB_B)):
        assignment = declared.by_name(f"contoso-assignment-{sub_key(scope)}")
        definition = declared.by_name(f"contoso-definition-{sub_key(subscription)}")
        definition_guid = definition.inputs["registrationDefinitionId"]
        assert assignment.inputs == {
            "scope": scope,
            "registrationAssignmentId": lighthouse_naming.registration_assignment_id(definition_guid, scope),
            "properties": {
                "registrationDefinitionId": f"{subscription}/providers/Microsoft.ManagedServices/registrationDefinitions/"
                f"{definition_guid}"
            },
        }
        assert definition.urn in assignment.dependencies, "the assignment waits for its definition"


def test_outputs_name_the_principal_that_earns_the_credit(declared: Evaluation) -> None:
    outputs = declared.outputs
    assert outputs["earnsCredit"] is True
    assert outputs["credited"] == [LINKED_SP]
    definition_a = lighthouse_naming.registration_definition_id(TENANT, "Fabrikam managed operations", SUB_A, OWNER)
    assert outputs["definitionIds"][SUB_A.split("/")[-1]] == (
        f"{SUB_A}/providers/Microsoft.ManagedServices/registrationDefinitions/{definition_a}"
    )
    assert set(outputs["assignmentIds"]) == {SUB_A, RG_APP, RG_DATA}
    assert outputs["assignmentIds"][RG_APP].startswith(f"{RG_APP}/providers/Microsoft.ManagedServices/registrationAssignments/")
    assert [
        (a["role"], a["permanent"], a["palLinked"], a["pecEligible"], a["earnsCredit"]) for a in outputs["authorizations"]
    ] == [
        ("Contributor", True, True, True, True),
        ("Reader", True, False, False, False),
        ("Managed Services Registration assignment Delete Role", True, False, False, False),
        ("User Access Administrator", True, False, True, False),
        ("Reader", True, False, False, False),
        ("Contributor", False, False, True, False),
    ]
    assert outputs["authorizations"][0] == {
        "principalId": LINKED_SP,
        "principalDisplayName": "Fabrikam delivery (PAL)",
        "role": "Contributor",
        "roleDefinitionId": CONTRIBUTOR,
        "permanent": True,
        "palLinked": True,
        "pecEligible": True,
        "earnsCredit": True,
    }


def test_a_realistic_delegation_warns_of_nothing(declared: Evaluation) -> None:
    assert declared.warnings == []


def test_principal_from_another_resource_and_jit_defaults() -> None:
    """The principal ID may be an Output (the managing stack's delivery principal, here a service principal declared
    in the same program); an eligible authorization's policy defaults to PT8H with MFA, and no approvers."""
    captured: dict[str, Any] = {}

    def program() -> None:
        application = azuread.Application("managing-app", display_name="managing")
        principal = azuread.ServicePrincipal("managing-sp", client_id=application.client_id)
        args = LighthouseDelegationArgs(
            offer_name="Offer",
            managing_tenant_id=TENANT,
            authorizations=[
                LighthouseAuthorizationArgs(principal.object_id, "Delivery", "Contributor", pal_linked=True),
                LighthouseAuthorizationArgs(OPS_GROUP, "Ops", "Managed Services Registration assignment Delete Role"),
            ],
            eligible_authorizations=[LighthouseEligibleAuthorizationArgs(ONCALL_USER, "On-call", "Contributor")],
            scopes=[SUB_A],
        )
        captured["delegation"] = LighthouseDelegation("offer", args)
        pulumi.export("credited", captured["delegation"].credited_principal_ids)

    evaluation = evaluate(program)
    definition = evaluation.of_type(DEFINITION)[0]
    sp_object_id = placeholder_guid("service-principal", "managing-sp")
    assert definition.inputs["properties"]["authorizations"][0]["principalId"] == sp_object_id
    principal = evaluation.by_name("managing-sp")
    assert principal.urn in definition.property_dependencies["properties"]
    assert evaluation.outputs["credited"] == [sp_object_id]
    assert definition.inputs["properties"]["eligibleAuthorizations"][0]["justInTimeAccessPolicy"] == {
        "multiFactorAuthProvider": "Azure",
        "maximumActivationDuration": "PT8H",
    }
    assert evaluation.warnings == [
        "LighthouseDelegation 'offer': eligible_authorizations[0] (On-call) has no permanent authorization for the same "
        "principal; Microsoft advises pairing it with one such as Reader, or the user cannot elevate in the Azure portal"
    ]


# --- names ------------------------------------------------------------------------------------------------------


def names(evaluation: Evaluation) -> list[dict[str, Any]]:
    """What a URN and an Azure resource ID are made of, for every declared resource."""
    return sorted(
        (
            {
                "type": r.type,
                "name": r.name,
                "parent": short(r.parent),
                **{k: r.inputs[k] for k in ("scope", "registrationDefinitionId", "registrationAssignmentId") if k in r.inputs},
            }
            for r in evaluation.resources
        ),
        key=lambda r: (r["type"], r["name"]),
    )


def test_two_evaluations_declare_the_same_names_and_inputs(declared: Evaluation) -> None:
    again = declare(realistic())
    assert names(again) == names(declared)
    assert sorted((r.name, json.dumps(r.inputs, sort_keys=True)) for r in again.resources) == sorted(
        (r.name, json.dumps(r.inputs, sort_keys=True)) for r in declared.resources
    )


def test_names_snapshot(declared: Evaluation) -> None:
    """URN names and registration GUIDs are frozen: a change replaces delegations in customers' tenants. To accept a
    deliberate change: UPDATE_SNAPSHOT=1 python -m pytest tests/test_lighthouse.py."""
    current = names(declared)
    if os.environ.get("UPDATE_SNAPSHOT") == "1":
        NAMES_SNAPSHOT.write_text(json.dumps(current, indent=1) + "\n")
    assert current == json.loads(NAMES_SNAPSHOT.read_text()), "review the change, then regenerate (UPDATE_SNAPSHOT=1)"


def test_naming_scheme_is_frozen() -> None:
    assert lighthouse_naming.COMPONENT_TYPE == COMPONENT
    assert lighthouse_naming.scope_key(SUB_A) == lighthouse_naming.scope_key(SUB_A.upper()) == "98554f7e"
    assert lighthouse_naming.definition("c", SUB_A) == "c-definition-98554f7e"
    assert lighthouse_naming.assignment("c", SUB_A) == "c-assignment-98554f7e"
    owner = lighthouse_naming.definition_owner("partner-attribution", "dev", "c")
    assert owner == "partner-attribution/dev/c"
    definition = lighthouse_naming.registration_definition_id(TENANT, "Offer", SUB_A, owner)
    assert definition == lighthouse_naming.registration_definition_id(TENANT.upper(), "Offer", SUB_A.upper(), owner)
    assert definition == "26e426b6-b8ac-50c9-a9e5-cb709149de58"
    assert lighthouse_naming.registration_assignment_id(definition, RG_APP) == "b1de7c1b-3b5f-58d2-afab-bbe6fb41c3b4"


def test_names_do_not_depend_on_authorizations_or_order() -> None:
    """Changing who is authorized updates the definition in place (same offer, same GUID); reordering scopes or
    renaming a role changes nothing; a new offer name or managing tenant is a new delegation."""
    base, _ = resolve_delegation("contoso", realistic())
    fewer, _ = resolve_delegation("contoso", replace(realistic(), eligible_authorizations=[]))
    reordered, _ = resolve_delegation("contoso", replace(realistic(), scopes=[RG_DATA, SUB_A, RG_APP]))
    renamed, _ = resolve_delegation("contoso", replace(realistic(), offer_name="Fabrikam operations v2"))
    moved, _ = resolve_delegation("contoso", replace(realistic(), managing_tenant_id=APPROVERS))
    assert base and fewer and reordered and renamed and moved

    def ids(spec: Any) -> set[tuple[str, str]]:
        return {(d.resource_name, d.definition_id) for d in spec.definitions} | {
            (a.resource_name, a.assignment_id) for a in spec.assignments
        }

    assert ids(base) == ids(fewer) == ids(reordered)
    assert not ids(base) & ids(renamed)
    assert not ids(base) & ids(moved)


# --- rules ------------------------------------------------------------------------------------------------------


def refused(args: LighthouseDelegationArgs) -> list[str]:
    """The rendered problems, and a check that the refused component declared nothing at all."""
    caught: list[LighthouseDelegationArgsError] = []

    def program() -> None:
        try:
            LighthouseDelegation("contoso", args)
        except LighthouseDelegationArgsError as exc:
            caught.append(exc)

    evaluation = evaluate(program)
    assert evaluation.resources == [], "nothing is declared when the arguments are invalid"
    assert len(caught) == 1
    messages = [p.render() for p in caught[0].problems]
    assert str(caught[0]) == "LighthouseDelegation 'contoso' has invalid arguments:\n" + "\n".join(f"  - {m}" for m in messages)
    return messages


TOO_MANY_APPROVERS = [LighthouseApproverArgs(f"e5e5e5e5-0000-4000-8000-0000000001{i:02d}") for i in range(11)]

RULES: list[tuple[str, Callable[[], LighthouseDelegationArgs], list[str]]] = [
    (
        "custom role",
        lambda: with_authorization(0, role="0a0a0a0a-0000-4000-8000-00000000000a"),
        [
            "authorizations[0].role: 0a0a0a0a-0000-4000-8000-00000000000a is not an Azure built-in role; Azure Lighthouse "
            "does not support custom roles (TUR): use a built-in role such as Contributor"
        ],
    ),
    (
        "unknown role name",
        lambda: with_authorization(0, role="Contributer"),
        [
            "authorizations[0].role: 'Contributer' is not an Azure built-in role name; did you mean 'Contributor', "
            "'Tag Contributor', 'Lab Contributor'? Azure Lighthouse accepts built-in roles only (TUR)"
        ],
    ),
    (
        "owner",
        lambda: with_authorization(0, role="Owner"),
        [
            "authorizations[0].role: Azure Lighthouse does not support Owner (TUR); use Contributor, and User Access "
            "Administrator with delegated_role_definition_ids if the principal must assign roles to managed identities"
        ],
    ),
    (
        "data actions",
        lambda: with_authorization(1, role="Storage Blob Data Reader"),
        [
            "authorizations[1].role: Storage Blob Data Reader has DataActions, which Azure Lighthouse does not support "
            "(TUR); use a role without them, such as Contributor (or Reader to read), and User Access Administrator with "
            "delegated_role_definition_ids to assign roles to managed identities"
        ],
    ),
    (
        "authorization write",
        lambda: with_authorization(1, role="Role Based Access Control Administrator"),
        [
            "authorizations[1].role: Role Based Access Control Administrator can write or delete role assignments, role "
            "definitions or locks (Microsoft.Authorization), which Azure Lighthouse does not support (TUR); use a role "
            "without them, such as Contributor (or Reader to read), and User Access Administrator with "
            "delegated_role_definition_ids to assign roles to managed identities"
        ],
    ),
    (
        "tenant-level role",
        lambda: with_authorization(1, role="Reservations Reader"),
        [
            "authorizations[1].role: Reservations Reader is a tenant-level role, not one of a subscription or resource "
            "group, and its permissions are not in the table this project checks (lighthouse/unsupported_roles.py); use "
            "a role such as Contributor"
        ],
    ),
    (
        "user access administrator without delegated roles",
        lambda: with_authorization(3, delegated_role_definition_ids=[]),
        [
            "authorizations[3].delegated_role_definition_ids: User Access Administrator is supported by Azure Lighthouse "
            "only to assign roles to managed identities (TUR): list the built-in roles it may assign in "
            "delegated_role_definition_ids, e.g. ['Contributor']"
        ],
    ),
    (
        "delegated roles on another role",
        lambda: with_authorization(0, delegated_role_definition_ids=["Reader"]),
        [
            "authorizations[0].delegated_role_definition_ids: only User Access Administrator uses "
            "delegated_role_definition_ids (SPEC), not Contributor; remove them, or make the role User Access Administrator"
        ],
    ),
    (
        "delegated custom role",
        lambda: with_authorization(3, delegated_role_definition_ids=["0a0a0a0a-0000-4000-8000-00000000000a"]),
        [
            "authorizations[3].delegated_role_definition_ids[0]: 0a0a0a0a-0000-4000-8000-00000000000a is not a built-in "
            "role; Azure Lighthouse supports built-in roles only (TUR)"
        ],
    ),
    (
        "eligible service principal",
        lambda: with_eligible(principal_type="ServicePrincipal"),
        [
            "eligible_authorizations[0].principal_type: a service principal cannot use a just-in-time (eligible) "
            "authorization (ELIG): it has no way to activate it; give it a permanent authorization in authorizations instead"
        ],
    ),
    (
        "eligible authorization for the PAL-linked principal",
        lambda: with_eligible(principal_id=LINKED_SP, principal_type=None),
        [
            "eligible_authorizations[0].principal_id: names the principal of authorizations[0], which is PAL-linked with "
            "no principal_type, so taken as a service principal; a service principal cannot use a just-in-time (eligible) "
            "authorization (ELIG): remove this one, or set that authorization's principal_type to 'User' or 'Group' if "
            "it is one"
        ],
    ),
    (
        "eligible user access administrator",
        lambda: with_eligible(role="User Access Administrator"),
        [
            "eligible_authorizations[0].role: User Access Administrator cannot be a just-in-time (eligible) authorization "
            "(ELIG); make it a permanent authorization with delegated_role_definition_ids"
        ],
    ),
    (
        "eligible owner",
        lambda: with_eligible(role="Owner"),
        [
            "eligible_authorizations[0].role: Azure Lighthouse does not support Owner (TUR); use Contributor, and User "
            "Access Administrator with delegated_role_definition_ids if the principal must assign roles to managed "
            "identities"
        ],
    ),
    (
        "activation too long",
        lambda: with_eligible(maximum_activation_duration="PT9H"),
        [
            "eligible_authorizations[0].maximum_activation_duration: 'PT9H' is out of range; use PT30M to PT8H, e.g. "
            "'PT4H' or 'PT1H30M' (ELIG)"
        ],
    ),
    (
        "activation not a duration",
        lambda: with_eligible(maximum_activation_duration="8 hours"),
        [
            "eligible_authorizations[0].maximum_activation_duration: '8 hours' is not an ISO 8601 duration; use PT30M to "
            "PT8H, e.g. 'PT4H' or 'PT1H30M' (ELIG)"
        ],
    ),
    (
        "multi-factor provider",
        lambda: with_eligible(multi_factor_auth_provider="azure"),
        [
            "eligible_authorizations[0].multi_factor_auth_provider: 'azure': use 'Azure' (require multifactor "
            "authentication) or 'None' (SPEC)"
        ],
    ),
    (
        "too many approvers",
        lambda: with_eligible(approvers=TOO_MANY_APPROVERS),
        ["eligible_authorizations[0].approvers: 11 approvers; Azure Lighthouse allows at most 10 (ELIG): remove some"],
    ),
    (
        "service principal approver",
        lambda: with_eligible(approvers=[LighthouseApproverArgs(APPROVERS, "Bot", principal_type="ServicePrincipal")]),
        [
            "eligible_authorizations[0].approvers[0].principal_type: approvers are users or groups, not service principals "
            "(ELIG); name a user or group"
        ],
    ),
    (
        "eligible in a national cloud",
        lambda: replace(realistic(), cloud="usgovernment"),
        [
            "eligible_authorizations: just-in-time (eligible) authorizations are not supported in national clouds (ELIG), "
            "and cloud is 'usgovernment'; remove them or make them permanent authorizations"
        ],
    ),
    (
        "same role, different policy",
        lambda: replace(
            realistic(),
            eligible_authorizations=[
                *realistic().eligible_authorizations,
                LighthouseEligibleAuthorizationArgs(OPS_GROUP, "Fabrikam operations", "Contributor", principal_type="Group"),
            ],
        ),
        [
            "eligible_authorizations[1]: uses Contributor like eligible_authorizations[0] with a different just-in-time "
            "policy; Azure requires the same duration, multifactor setting and approvers for the same role (ELIG): make "
            "them equal"
        ],
    ),
    (
        "managing tenant not a GUID",
        lambda: replace(realistic(), managing_tenant_id="fabrikam.onmicrosoft.com"),
        [
            "managing_tenant_id: 'fabrikam.onmicrosoft.com' is not a tenant ID (GUID); give the partner's managing tenant "
            "ID (SPEC managedByTenantId), e.g. from 'az account show --query tenantId'"
        ],
    ),
    (
        "principal not a GUID",
        lambda: with_authorization(1, principal_id="ops@fabrikam.com"),
        [
            "authorizations[1].principal_id: 'ops@fabrikam.com' is not an object ID (GUID); give the principal in the "
            "managing tenant's object ID"
        ],
    ),
    (
        "approver not a GUID",
        lambda: with_eligible(approvers=[LighthouseApproverArgs("approvers")]),
        [
            "eligible_authorizations[0].approvers[0].principal_id: 'approvers' is not an object ID (GUID); give the "
            "approving user or group's object ID"
        ],
    ),
    (
        "management group",
        lambda: replace(realistic(), scopes=["/providers/Microsoft.Management/managementGroups/contoso"]),
        [
            "scopes[0]: Azure Lighthouse cannot delegate a management group in one deployment (ONB); list each of its "
            "subscriptions (Azure Policy can onboard every subscription of a management group)"
        ],
    ),
    (
        "single resource",
        lambda: replace(realistic(), scopes=[f"{RG_APP}/providers/Microsoft.Storage/storageAccounts/data"]),
        [
            "scopes[0]: Azure Lighthouse delegates a subscription or a resource group, not a single resource (ARCH); give "
            "the resource group that contains it: /subscriptions/<id>/resourceGroups/<name>"
        ],
    ),
    (
        "scope not a resource ID",
        lambda: replace(realistic(), scopes=["11111111-1111-4111-8111-111111111111"]),
        [
            "scopes[0]: '11111111-1111-4111-8111-111111111111' is not an Azure resource ID; expected "
            "/subscriptions/<subscription-guid>, /subscriptions/<subscription-guid>/resourceGroups/<name>, "
            "/subscriptions/<subscription-guid>/resourceGroups/<name>/providers/<Namespace>/<type>/<name>, or "
            "/providers/Microsoft.Management/managementGroups/<id>; Azure Lighthouse delegates a subscription or a "
            "resource group"
        ],
    ),
    (
        "scope twice",
        lambda: replace(realistic(), scopes=[SUB_A, SUB_A.replace("/subscriptions/", "/SUBSCRIPTIONS/")]),
        ["scopes[1]: /SUBSCRIPTIONS/11111111-1111-4111-8111-111111111111 is already delegated by scopes[0]; remove one"],
    ),
    (
        "no scope",
        lambda: replace(realistic(), scopes=[]),
        ["scopes: give at least one delegated scope: /subscriptions/<id> or /subscriptions/<id>/resourceGroups/<name>"],
    ),
    (
        "no authorization",
        lambda: replace(realistic(), authorizations=[]),
        [
            "authorizations: give at least one permanent authorization (SPEC: required): the managing tenant's PAL-linked "
            "service principal with a PEC-eligible built-in role such as Contributor"
        ],
    ),
    (
        "duplicate authorization",
        lambda: replace(realistic(), authorizations=[*realistic().authorizations, realistic().authorizations[1]]),
        ["authorizations[5]: duplicates authorizations[1] (the same principal with Reader); remove one"],
    ),
    (
        "no PAL-linked principal",
        lambda: with_authorization(0, pal_linked=False),
        [
            "authorizations: this delegation earns no partner credit: no authorization names a PAL-linked principal (none "
            "sets pal_linked). Add a permanent authorization for the managing tenant's PAL-linked service principal with "
            "a PEC-eligible built-in role such as Contributor (just-in-time authorizations never earn credit), or set "
            "allow_no_partner_credit to true if the delegation is not meant to earn it"
        ],
    ),
    (
        "PAL-linked principal with a role that earns nothing",
        lambda: with_authorization(0, role="Reader"),
        [
            "authorizations: this delegation earns no partner credit: the PAL-linked principals hold no PEC-eligible role "
            "(Fabrikam delivery (PAL): Reader (not-eligible)). Add a permanent authorization for the managing tenant's "
            "PAL-linked service principal with a PEC-eligible built-in role such as Contributor (just-in-time "
            "authorizations never earn credit), or set allow_no_partner_credit to true if the delegation is not meant to "
            "earn it"
        ],
    ),
    (
        "offer name",
        lambda: replace(realistic(), offer_name=" "),
        ["offer_name: give the offer name as text"],
    ),
    (
        "display name",
        lambda: with_authorization(0, principal_display_name="Delivery\n"),
        [
            "authorizations[0].principal_display_name: the display name shown to the customer has leading or trailing "
            "spaces; remove them"
        ],
    ),
    (
        "principal type",
        lambda: with_authorization(1, principal_type="SecurityGroup"),
        ["authorizations[1].principal_type: 'SecurityGroup': use one of User, Group, ServicePrincipal, or leave it unset"],
    ),
]


@pytest.mark.parametrize(("rule", "make", "expected"), RULES, ids=[r[0] for r in RULES])
def test_each_rule_is_refused_with_its_message(
    rule: str, make: Callable[[], LighthouseDelegationArgs], expected: list[str]
) -> None:
    assert refused(make()) == expected


def test_the_component_name_goes_into_urns() -> None:
    _, problems = resolve_delegation("Contoso Prod", realistic())
    assert [p.render() for p in problems] == [
        "name: 'Contoso Prod': use 1 to 40 lower-case letters, digits and '-', starting and ending with a letter or digit"
    ]


def test_every_problem_is_reported_at_once() -> None:
    args = replace(
        realistic(),
        managing_tenant_id="nope",
        scopes=[SUB_A, "/providers/Microsoft.Management/managementGroups/mg"],
        authorizations=[
            dataclasses.replace(realistic().authorizations[0], role="Owner"),
            *realistic().authorizations[1:],
        ],
        eligible_authorizations=[
            dataclasses.replace(realistic().eligible_authorizations[0], maximum_activation_duration="PT10M")
        ],
    )
    assert [m.split(":")[0] for m in refused(args)] == [
        "managing_tenant_id",
        "authorizations[0].role",
        "eligible_authorizations[0].maximum_activation_duration",
        "scopes[1]",
    ]


def test_opting_out_of_partner_credit_is_a_warning_and_declares() -> None:
    evaluation = declare(replace(with_authorization(0, pal_linked=False), allow_no_partner_credit=True))
    assert len(evaluation.of_type(DEFINITION)) == 2
    assert evaluation.outputs["earnsCredit"] is False
    assert evaluation.outputs["credited"] == []
    assert evaluation.warnings == [
        "LighthouseDelegation 'contoso': this delegation earns no partner credit: no authorization names a PAL-linked "
        "principal (none sets pal_linked); allowed because allow_no_partner_credit is set"
    ]


def test_missing_delete_role_is_a_warning() -> None:
    args = realistic()
    evaluation = declare(replace(args, authorizations=[a for i, a in enumerate(args.authorizations) if i != 2]))
    assert evaluation.warnings == [
        "LighthouseDelegation 'contoso': no authorization holds Managed Services Registration Assignment Delete Role, so "
        "only the customer can remove this delegation; Microsoft advises adding one for an operator of the managing tenant"
    ]


def test_a_pal_linked_user_may_hold_an_eligible_authorization_too() -> None:
    """Declared a user, the PAL-linked principal is not taken as a service principal."""
    args = with_authorization(0, principal_type="User")
    args = replace(args, eligible_authorizations=[dataclasses.replace(args.eligible_authorizations[0], principal_id=LINKED_SP)])
    spec, problems = resolve_delegation("contoso", args)
    assert problems == [] and spec is not None


def test_a_spec_is_declared_as_resolved_and_only_for_its_name() -> None:
    spec, _ = resolve_delegation("contoso", realistic())
    assert spec is not None
    evaluation = evaluate(lambda: LighthouseDelegation("contoso", spec))
    assert len(evaluation.of_type(ASSIGNMENT)) == 3
    with pytest.raises(ValueError, match="the spec is for 'contoso', not 'other'"):
        evaluate(lambda: LighthouseDelegation("other", spec))


# --- the roles Lighthouse refuses -------------------------------------------------------------------------------


def permissions(actions: list[str], not_actions: list[str] | None = None, data: list[str] | None = None) -> list[dict[str, Any]]:
    return [{"actions": actions, "notActions": not_actions or [], "dataActions": data or [], "notDataActions": []}]


def test_unsupported_reasons_follow_the_rules_of_the_reference() -> None:
    assert unsupported_reasons(permissions(["*"])) == (AUTHORIZATION_WRITE,)  # Owner
    contributor = [
        "Microsoft.Authorization/*/Delete",
        "Microsoft.Authorization/*/Write",
        "Microsoft.Authorization/elevateAccess/Action",
    ]
    assert unsupported_reasons(permissions(["*"], contributor)) == ()
    assert unsupported_reasons(permissions(["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"])) == (
        AUTHORIZATION_WRITE,
    )
    assert unsupported_reasons(permissions(["Microsoft.Authorization/locks/*"])) == (AUTHORIZATION_WRITE,)
    assert unsupported_reasons(permissions(["microsoft.authorization/ROLEASSIGNMENTS/write"])) == (AUTHORIZATION_WRITE,)
    assert unsupported_reasons(permissions(["Microsoft.Authorization/roleAssignments/read"])) == ()
    assert unsupported_reasons(permissions(["Microsoft.Authorization/policyAssignments/write"])) == ()
    assert unsupported_reasons(permissions(["*/read"], data=["Microsoft.Storage/*/read"])) == (DATA_ACTIONS,)


def test_the_table_refuses_what_the_reference_names_and_keeps_what_microsoft_delegates() -> None:
    catalog = builtin_roles()
    assert UNSUPPORTED["8e3af657-a8ff-443c-a75c-2fe8c4bcb635"] == ("Owner", AUTHORIZATION_WRITE)
    assert UNSUPPORTED[UAA] == ("User Access Administrator", AUTHORIZATION_WRITE)
    for kept in (CONTRIBUTOR, READER, DELETE_ROLE, VM_CONTRIBUTOR, "ae349356-3a1b-4a5e-921d-050484c6347e"):
        assert kept not in UNSUPPORTED, catalog.resolve(kept).name
    assert len(UNSUPPORTED) == 349 and len(UNCHECKED) == 5
    for guid, (name, reasons) in UNSUPPORTED.items():
        assert catalog.resolve(guid).name == name
        assert set(reasons.split()) <= {DATA_ACTIONS, AUTHORIZATION_WRITE}
    assert set(UNCHECKED) <= {r.guid for r in (catalog.resolve(g) for g in UNCHECKED) if r.built_in}


def test_the_table_is_generated_from_role_files(tmp_path: Path) -> None:
    roles = {
        "Owner": ("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", permissions(["*"])),
        "Contributor": (CONTRIBUTOR, permissions(["*"], ["Microsoft.Authorization/*/Write", "Microsoft.Authorization/*/Delete"])),
        "Storage Blob Data Reader": ("2a2b9908-6ea1-4ae2-8e65-a410df84e7d1", permissions([], data=["x/read"])),
    }
    files = []
    for name, (guid, perms) in roles.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"name": guid, "roleName": name, "permissions": perms}))
        files.append(path)
    text = render_table(
        files, {CONTRIBUTOR: "Contributor", "a8889054-8d42-49c9-bc1c-52486c10e7cd": "Reservations Administrator"}, "test"
    )
    namespace: dict[str, Any] = {}
    exec(compile(text, "unsupported_roles.py", "exec"), namespace)
    assert namespace["UNSUPPORTED"] == {
        "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": ("Owner", AUTHORIZATION_WRITE),
        "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": ("Storage Blob Data Reader", DATA_ACTIONS),
    }
    assert namespace["UNCHECKED"] == {"a8889054-8d42-49c9-bc1c-52486c10e7cd": "Reservations Administrator"}
