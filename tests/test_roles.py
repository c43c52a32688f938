"""The built-in role catalog: generated from the reference, eligibility as Microsoft lists it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from partner_attribution.roles import PalEligibility, UnknownRoleError, builtin_roles

ROOT = Path(__file__).resolve().parents[1]


def test_catalog_matches_the_reference_files() -> None:
    """Package data is generated, never hand-edited: regenerating from reference/ changes nothing."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_role_catalog.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_catalog_counts() -> None:
    catalog = builtin_roles()
    assert len(catalog) == 933
    roles = [catalog.resolve(r) for r in ("Owner", "Contributor", "Reader")]
    assert [r.pal for r in roles] == [PalEligibility.ELIGIBLE, PalEligibility.ELIGIBLE, PalEligibility.NOT_ELIGIBLE]


@pytest.mark.parametrize(
    ("reference", "name", "eligible"),
    [
        ("contributor", "Contributor", True),
        ("READER", "Reader", False),
        ("b24988ac-6180-42a0-ab88-20f7382dd24c", "Contributor", True),
        (
            "/providers/Microsoft.Authorization/roleDefinitions/B24988AC-6180-42A0-AB88-20F7382DD24C",
            "Contributor",
            True,
        ),
        (
            "/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7",
            "Reader",
            False,
        ),
        ("AcrPull", "AcrPull", True),  # listed as 'ACRPull' on the PEC page, matched by GUID
        ("Resource Policy Contributor", "Resource Policy Contributor", True),  # '(Preview)' dropped since
        ("Key Vault Secrets User", "Key Vault Secrets User", False),  # not on the list: no credit documented
    ],
)
def test_resolve(reference: str, name: str, eligible: bool) -> None:
    role = builtin_roles().resolve(reference)
    assert (role.name, role.pal_eligible) == (name, eligible)


def test_custom_role_guid_is_never_eligible() -> None:
    role = builtin_roles().resolve("0badc0de-0000-4000-8000-000000000001")
    assert role.pal is PalEligibility.CUSTOM and not role.pal_eligible and not role.built_in


def test_unknown_role_suggests_close_names() -> None:
    with pytest.raises(UnknownRoleError) as error:
        builtin_roles().resolve("Virtual Machine Contribtor")
    assert error.value.suggestions[0] == "Virtual Machine Contributor"


def test_malformed_role_definition_id() -> None:
    with pytest.raises(ValueError, match="is not a role definition GUID"):
        builtin_roles().resolve("/providers/Microsoft.Authorization/roleDefinitions/not-a-guid")
