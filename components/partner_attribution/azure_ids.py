"""Azure resource ID forms used by role assignments: scopes, role definition IDs, assignment names."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

_SEGMENT = r"[^/\x00-\x20\x7f]+"  # no control characters or spaces in a resource ID segment
_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
GUID_PATTERN = re.compile(rf"^{_GUID}\Z")  # \Z, not $: "$" also matches before a trailing newline
"""A GUID in its usual 8-4-4-4-12 hexadecimal form, any letter case: the one GUID rule of the package."""

_RESOURCE_GROUP = r"(?=[^/]{1,90}(?:/|\Z))[-\w._()]*[-\w_()]"
"""A resource group name: 1 to 90 letters or digits (Unicode: ``Char.IsLetterOrDigit``), '-', '_', '(', ')' and '.',
not ending with '.' (Microsoft Learn: Azure.Provisioning.Resources.ResourceGroup.Name, "period (except at end), and
Unicode characters that match the allowed characters"; SynapseWorkspaceData.ManagedResourceGroupName, "no longer
than 90 characters ... cannot end with '.'")."""
_MANAGEMENT_GROUP = r"(?-i:[A-Za-z0-9._()-]{1,90})"  # (?-i:): case-insensitive, [a-z] would take the Kelvin sign
"""A management group ID: 1 to 90 ASCII letters, digits, '-', '_', '.', '(' and ')' (Microsoft's Enterprise Policy as
Code, Azure/enterprise-azure-policy-as-code ``Test-HydrationManagementGroupName.ps1``; Az.Resources
``Get-AzManagementGroupNameAvailability`` answers "invalid characters" for ``testMG!``)."""

_SCOPE_FORMS: list[tuple[str, re.Pattern[str]]] = [
    (
        "management group",
        re.compile(rf"^/providers/Microsoft\.Management/managementGroups/(?P<mg>{_MANAGEMENT_GROUP})\Z", re.I),
    ),
    ("subscription", re.compile(rf"^/subscriptions/(?P<sub>{_GUID})\Z", re.I)),
    (
        "resource group",
        re.compile(rf"^/subscriptions/(?P<sub>{_GUID})/resourceGroups/(?P<rg>{_RESOURCE_GROUP})\Z", re.I),
    ),
    (
        "resource",
        re.compile(
            rf"^/subscriptions/(?P<sub>{_GUID})/resourceGroups/(?P<rg>{_RESOURCE_GROUP})"
            rf"/providers/(?P<ns>[A-Za-z0-9]+\.[A-Za-z0-9.]+)(/{_SEGMENT}/{_SEGMENT})+\Z",
            re.I,
        ),
    ),
]

SCOPE_FORMS_HELP = (
    "/subscriptions/<subscription-guid>, /subscriptions/<subscription-guid>/resourceGroups/<name>, "
    "/subscriptions/<subscription-guid>/resourceGroups/<name>/providers/<Namespace>/<type>/<name>, "
    "or /providers/Microsoft.Management/managementGroups/<id>"
)

ARM_GUID_NAMESPACE = uuid.UUID("11fb06fb-712d-4ddd-98c7-e71bbd588830")
"""Namespace of the ARM/Bicep ``guid()`` function: a UUIDv5 over the arguments joined by '-'
(documented on the Bicep string functions page:
learn.microsoft.com/azure/azure-resource-manager/bicep/bicep-functions-string#guid)."""


@dataclass(frozen=True)
class Scope:
    """A validated role assignment scope."""

    id: str
    kind: str
    """``management group``, ``subscription``, ``resource group`` or ``resource``."""
    subscription_id: str | None


class InvalidScopeError(ValueError):
    """A scope that is not one of the Azure resource ID forms a role can be assigned at."""


def parse_scope(scope: str) -> Scope:
    """Classify ``scope``; raise :class:`InvalidScopeError` naming the valid forms when it fits none.

    Trailing slashes are not accepted: Azure returns scopes without them, and a scope written
    differently from the way Azure returns it shows as a diff on every refresh.
    """
    if not scope.startswith("/"):
        raise InvalidScopeError(f"{scope!r} is not an Azure resource ID; expected {SCOPE_FORMS_HELP}")
    if scope != "/" and scope.endswith("/"):
        raise InvalidScopeError(f"{scope!r} ends with '/'; remove the trailing slash")
    for kind, pattern in _SCOPE_FORMS:
        match = pattern.match(scope)
        if match:
            sub = match.groupdict().get("sub")
            return Scope(id=scope, kind=kind, subscription_id=sub.lower() if sub else None)
    if scope.lower().startswith("/subscriptions/"):
        sub = scope.split("/")[2] if len(scope.split("/")) > 2 else ""
        if not re.fullmatch(_GUID, sub):
            raise InvalidScopeError(f"{scope!r}: subscription ID {sub!r} is not a GUID")
    raise InvalidScopeError(f"{scope!r} is not a scope Azure RBAC accepts; expected {SCOPE_FORMS_HELP}")


def role_definition_id(scope: Scope, role_guid: str) -> str:
    """The role definition ID in the form Azure returns for an assignment at ``scope``.

    Azure reports ``/subscriptions/<sub>/providers/Microsoft.Authorization/roleDefinitions/<guid>``
    for assignments at or below a subscription and the tenant-level form
    ``/providers/Microsoft.Authorization/roleDefinitions/<guid>`` at management groups. Writing the
    same form keeps ``pulumi refresh`` from reporting a difference: ARM rewrites the subscription
    part of a role definition ID to the assignment's own (Azure/azure-rest-api-specs#10939,
    hashicorp/terraform-provider-azurerm#8558), and azure-native replaces a RoleAssignment whose
    scope or principalId changes (pulumi/pulumi-azure-native#771).
    """
    prefix = f"/subscriptions/{scope.subscription_id}" if scope.subscription_id else ""
    return f"{prefix}/providers/Microsoft.Authorization/roleDefinitions/{role_guid.lower()}"


def arm_guid(*parts: str) -> str:
    """The value of ARM/Bicep ``guid(part1, part2, ...)``: deterministic, stable across runs."""
    return str(uuid.uuid5(ARM_GUID_NAMESPACE, "-".join(parts)))


def role_assignment_name(scope: str, role_definition: str, principal_object_id: str) -> str:
    """Deterministic role assignment name: Bicep's ``guid(scope, roleDefinitionId, principalId)``."""
    return arm_guid(scope, role_definition, principal_object_id)
