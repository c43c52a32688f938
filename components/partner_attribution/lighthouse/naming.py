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


def registration_definition_id(managing_tenant_id: str, offer_name: str, subscription_scope: str) -> str:
    """The definition's GUID (its ``registrationDefinitionId``, the last segment of its resource ID):
    ``guid(lower(managing tenant), offer name, lower(/subscriptions/<id>))``. Same offer, same tenant, same
    subscription: same GUID, so a changed authorization updates the definition in place (a Lighthouse update is a
    new deployment of the same offer: FACTS.md §4, UPD); a new managing tenant needs a new definition (UPD)."""
    return arm_guid(managing_tenant_id.lower(), offer_name, subscription_scope.lower())


def registration_assignment_id(definition_guid: str, scope: str) -> str:
    """The assignment's GUID (its ``registrationAssignmentId``): ``guid(definition GUID, lower(scope))``."""
    return arm_guid(definition_guid.lower(), scope.lower())


def definition_resource_id(subscription_scope: str, definition_guid: str) -> str:
    """The definition's full resource ID, what an assignment's ``registrationDefinitionId`` property names."""
    return f"{subscription_scope}/providers/{DEFINITIONS}/{definition_guid}"


def assignment_resource_id(scope: str, assignment_guid: str) -> str:
    """The assignment's full resource ID."""
    return f"{scope}/providers/{ASSIGNMENTS}/{assignment_guid}"
