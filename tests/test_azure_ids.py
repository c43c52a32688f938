"""Scopes, role definition IDs in the form Azure returns them, and Bicep-compatible assignment names."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from partner_attribution.azure_ids import InvalidScopeError, parse_scope, role_assignment_name, role_definition_id

SUB = "11111111-1111-4111-8111-111111111111"


@pytest.mark.parametrize(
    ("scope", "kind"),
    [
        (f"/subscriptions/{SUB}", "subscription"),
        (f"/subscriptions/{SUB}/resourceGroups/rg-app_prod.1", "resource group"),
        (f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1", "resource"),
        (
            f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/a",
            "resource",
        ),
        ("/providers/Microsoft.Management/managementGroups/contoso", "management group"),
    ],
)
def test_scope_forms(scope: str, kind: str) -> None:
    assert parse_scope(scope).kind == kind


@pytest.mark.parametrize(
    ("scope", "message"),
    [
        ("subscriptions/x", "is not an Azure resource ID"),
        (f"/subscriptions/{SUB}/", "remove the trailing slash"),
        ("/subscriptions/not-a-guid", "subscription ID 'not-a-guid' is not a GUID"),
        (f"/subscriptions/{SUB}/resourceGroups", "is not a scope Azure RBAC accepts"),
        ("/providers/Microsoft.Management/managementGroup/x", "is not a scope Azure RBAC accepts"),
    ],
)
def test_invalid_scopes(scope: str, message: str) -> None:
    with pytest.raises(InvalidScopeError, match=message):
        parse_scope(scope)


def test_role_definition_id_form_matches_azure() -> None:
    guid = "b24988ac-6180-42a0-ab88-20f7382dd24c"
    assert role_definition_id(parse_scope(f"/subscriptions/{SUB.upper()}/resourceGroups/rg"), guid) == (
        f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
    )
    assert role_definition_id(parse_scope("/providers/Microsoft.Management/managementGroups/mg"), guid.upper()) == (
        f"/providers/Microsoft.Authorization/roleDefinitions/{guid}"
    )


def test_assignment_name_is_bicep_guid() -> None:
    """Bicep guid(a, b, c): UUIDv5 over 'a-b-c' in namespace 11fb06fb-712d-4ddd-98c7-e71bbd588830,
    recomputed here by hand from RFC 4122 section 4.3."""
    parts = (f"/subscriptions/{SUB}", "/providers/x/roleDefinitions/y", "00000000-0000-4000-8000-000000000001")
    digest = bytearray(
        hashlib.sha1(uuid.UUID("11fb06fb-712d-4ddd-98c7-e71bbd588830").bytes + "-".join(parts).encode()).digest()[:16]
    )
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    assert role_assignment_name(*parts) == str(uuid.UUID(bytes=bytes(digest)))
    assert role_assignment_name(*parts) != role_assignment_name(parts[0], parts[1], "00000000-0000-4000-8000-000000000002")
