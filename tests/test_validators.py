"""The single-value rules (validators) and the principal resolver (spec): one rule, one place, both paths."""

from __future__ import annotations

import pytest

from conftest import config_with, principal
from partner_attribution.args import DeliveryPrincipalArgs, RoleAssignmentArgs
from partner_attribution.config import ConfigurationError, load_stack_config
from partner_attribution.spec import resolve_principal
from partner_attribution.validators import (
    check_cloud,
    check_credential_lifetime,
    check_federated_credential_name,
    check_issuer,
    check_link_timeout,
    check_object_id,
    check_partner_id,
    check_principal_name,
    check_rotation_date,
)

SUB = "/subscriptions/11111111-1111-4111-8111-111111111111"


@pytest.mark.parametrize(
    ("check", "valid", "invalid"),
    [
        (check_partner_id, ["1234", "1234567", "1234567890"], ["123", "12345678901", "12a4567", 1234567, None]),
        (check_cloud, ["public", "usgovernment", "china"], ["Public", "azure", ""]),
        (check_link_timeout, [30, 600, 3600], [29, 3601, True, 60.5]),
        (check_credential_lifetime, [1, 730], [0, 731, False]),
        (check_principal_name, ["a", "platform-delivery", "x" * 40], ["", "-a", "a-", "A", "a_b", "x" * 41]),
        (check_rotation_date, ["2026-11-01", "2024-02-29"], ["2026-11-1", "2025-02-29", "01/11/2026", 20261101]),
        (check_federated_credential_name, ["abc", "github-main_1"], ["ab", "-abc", "a b c", "x" * 121]),
        (check_issuer, ["https://token.actions.githubusercontent.com"], ["http://issuer", "issuer"]),
        (check_object_id, ["00000000-0000-4000-8000-000000000001"], ["0000", "{00000000-0000-4000-8000-000000000001}"]),
    ],
)
def test_validator(check, valid: list[object], invalid: list[object]) -> None:  # type: ignore[no-untyped-def]
    assert [v for v in valid if check(v) is not None] == []
    assert [v for v in invalid if check(v) is None] == []


def test_principal_name_rule_holds_on_both_paths() -> None:
    """The name rule lived only on the config path; now the component refuses the same name the same way."""
    args = DeliveryPrincipalArgs(
        partner_id="1234567", role_assignments=[RoleAssignmentArgs("Contributor", SUB)], credential_rotated_on="2026-11-01"
    )
    spec, problems = resolve_principal("Ops_Team", args)
    assert spec is None
    assert [p.render() for p in problems] == [
        "name: 'Ops_Team': use 1 to 40 lower-case letters, digits and '-', starting and ending with a letter or digit"
    ]
    with pytest.raises(ConfigurationError) as error:
        load_stack_config(config_with([principal("Ops_Team")]))
    assert error.value.problems == [f"principals[0].{problems[0].render()}"]


def test_a_principal_is_resolved_once_with_everything_derived() -> None:
    args = DeliveryPrincipalArgs(
        partner_id="1234567",
        role_assignments=[
            RoleAssignmentArgs("contributor", SUB),
            RoleAssignmentArgs("Reader", SUB + "/resourceGroups/rg", key="rg-read"),
        ],
        credential_rotated_on="2026-11-01",
        credential_lifetime_days=30,
    )
    spec, problems = resolve_principal("ops", args)
    assert problems == [] and spec is not None
    assert [(r.key, r.role.name, r.resource_name, r.definition_id) for r in spec.roles] == [
        (
            "977b8712",
            "Contributor",
            "ops-role-977b8712",
            f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c",
        ),
        (
            "rg-read",
            "Reader",
            "ops-role-rg-read",
            f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7",
        ),
    ]
    assert (spec.credential_end_date, spec.pal_eligible, spec.partner_link_name) == ("2026-12-01T00:00:00Z", True, "ops-pal")


def test_stack_wide_values_are_reported_once_at_their_own_key() -> None:
    with pytest.raises(ConfigurationError) as error:
        load_stack_config(config_with([principal("a"), principal("b")], cloud="mars", linkTimeoutSeconds="5"))
    assert error.value.problems == [
        "cloud: 'mars' is not a known cloud; use one of public, usgovernment, china",
        "linkTimeoutSeconds: 5 is out of range; use 30 to 3600 seconds",
    ]


def test_role_key_is_accepted_in_the_stack_file() -> None:
    config = load_stack_config(config_with([principal(roles=[{"role": "Contributor", "scope": SUB, "key": "connectivity"}])]))
    assert config.principals[0].roles[0].resource_name == "delivery-role-connectivity"
