"""Names that go into URNs are frozen: a change here replaces resources in customers' tenants."""

from __future__ import annotations

from partner_attribution import naming
from partner_attribution.partner_link import PartnerAdminLink


def test_type_tokens_are_frozen() -> None:
    """The link's type changed once, in 0.3: from the Python dynamic resource to the plugin's custom resource, with
    an alias from the old type (same name and parent), so the engine moves each link instead of replacing it
    (tests/test_component.py, tests/engine/test_upgrade.py). The old type stays frozen: the alias names it."""
    assert naming.COMPONENT_TYPE == "partner-attribution:index:DeliveryPrincipal"
    assert naming.PAL_LINK_TYPE == "partner-attribution:index:PartnerAdminLink"
    assert naming.DYNAMIC_PAL_LINK_TYPE == "pulumi-python:dynamic/partner-attribution:PartnerAdminLink"


def test_child_names_are_frozen() -> None:
    assert [
        naming.application("p"),
        naming.service_principal("p"),
        naming.password("p"),
        naming.federated_credential("p", "github-main"),
        naming.role_assignment("p", "50dddaf6"),
        naming.partner_link("p"),
    ] == ["p-app", "p-sp", "p-password", "p-fic-github-main", "p-role-50dddaf6", "p-pal"]


def test_role_assignment_key_is_independent_of_case_and_frozen() -> None:
    contributor = "b24988ac-6180-42a0-ab88-20f7382dd24c"
    sub = "/subscriptions/11111111-1111-4111-8111-111111111111"
    assert naming.role_assignment_key(sub, contributor) == "977b8712"
    assert naming.role_assignment_key(sub.upper(), contributor.upper()) == "977b8712"
    assert naming.role_assignment_key(sub + "/resourceGroups/rg", contributor) != "977b8712"


def test_the_link_class_registers_under_the_frozen_type() -> None:
    """The engine's type for a Python dynamic resource is built from the class's module and name."""
    registered = PartnerAdminLink._resource_type_name  # type: ignore[attr-defined]
    assert f"pulumi-python:{registered}" == naming.DYNAMIC_PAL_LINK_TYPE
