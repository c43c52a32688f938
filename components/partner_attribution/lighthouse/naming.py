"""Names of a Lighthouse delegation: its type token, its children's names (URNs) and the GUIDs Azure names the
registrations by. Changing any of them replaces the delegation in the customer's tenant, so they are made here only
and frozen by ``tests/test_lighthouse.py`` and ``tests/snapshots/lighthouse_names.json``.
"""

from __future__ import annotations

from ..azure_ids import arm_guid

COMPONENT_TYPE = "partner-attribution:index:LighthouseDelegation"
"""Type token of :class:`~partner_attribution.lighthouse.LighthouseDelegation`."""

DEFINITIONS = "Microsoft.ManagedServices/registrationDefinitions"
ASSIGNMENTS = "Microsoft.ManagedServices/registrationAssignments"


def scope_key(scope: str) -> str:
    """A scope's short key in child names: the first 8 hex digits of ``guid(lower(scope))``, independent of letter
    case and of list order (the same scheme as a role assignment's key)."""
    return arm_guid(scope.lower())[:8]


def definition(delegation: str, subscription_scope: str) -> str:
    """The registration definition in one subscription: ``<delegation>-definition-<key of /subscriptions/<id>>``."""
    return f"{delegation}-definition-{scope_key(subscription_scope)}"


def assignment(delegation: str, scope: str) -> str:
    """The registration assignment at one delegated scope: ``<delegation>-assignment-<key of the scope>``."""
    return f"{delegation}-assignment-{scope_key(scope)}"


def registration_definition_id(managing_tenant_id: str, offer_name: str, subscription_scope: str, owner: str) -> str:
    """The definition's GUID (its ``registrationDefinitionId``, the last segment of its resource ID):
    ``guid(lower(managing tenant), offer name, lower(/subscriptions/<id>), owner)``, where ``owner`` is
    :func:`definition_owner` (the stack and the delegation's name).

    Everything that makes two definitions distinct is in it, so two delegations never share one, within a stack or
    across two stacks of the same managing tenant and subscription (sharing one, the last write would replace the
    other's authorizations, and destroying either would delete both). Authorizations are not in it: changing who is
    authorized updates the definition in place, as a Lighthouse update with the same offer does (FACTS.md §4, UPD),
    and a new GUID at the same scope with the same offer name is what Azure refuses (ONB). A new offer name, managing
    tenant (UPD), stack or delegation name is a new definition: :data:`DEFINITION_REPLACED_WHEN`."""
    return arm_guid(managing_tenant_id.lower(), offer_name, subscription_scope.lower(), owner)


def definition_owner(project: str, stack: str, delegation: str) -> str:
    """What owns a definition: ``<project>/<stack>/<delegation name>``, the parts of its Pulumi URN a GUID can use."""
    return f"{project}/{stack}/{delegation}"


DEFINITION_REPLACED_WHEN = (
    "a new offer name, managing tenant, delegation name, Pulumi project or stack name replaces the registration "
    "definitions and assignments (a new GUID); a change of authorizations or description updates them in place"
)
"""What replaces a delegation's registrations, shown by the plan (``lighthouse[].replacedWhen``)."""


def registration_assignment_id(definition_guid: str, scope: str) -> str:
    """The assignment's GUID (its ``registrationAssignmentId``): ``guid(definition GUID, lower(scope))``."""
    return arm_guid(definition_guid.lower(), scope.lower())


def definition_resource_id(subscription_scope: str, definition_guid: str) -> str:
    """The definition's full resource ID, what an assignment's ``registrationDefinitionId`` property names."""
    return f"{subscription_scope}/providers/{DEFINITIONS}/{definition_guid}"


def assignment_resource_id(scope: str, assignment_guid: str) -> str:
    """The assignment's full resource ID."""
    return f"{scope}/providers/{ASSIGNMENTS}/{assignment_guid}"
