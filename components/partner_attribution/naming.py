"""Names that go into URNs: the component's type token, the PAL link's type, and every child's name.

A resource's URN is built from its type and name (and its parent's type); change one and Pulumi
replaces the resource in the customer's tenant. These functions are the only place such names are
made, and ``tests/test_naming.py`` freezes them.
"""

from __future__ import annotations

from .azure_ids import arm_guid

COMPONENT_TYPE = "partner-attribution:index:DeliveryPrincipal"
"""Type token of :class:`~partner_attribution.component.DeliveryPrincipal`."""

PAL_LINK_MODULE = "partner-attribution"
PAL_LINK_NAME = "PartnerAdminLink"
PAL_LINK_TYPE = f"partner-attribution:index:{PAL_LINK_NAME}"
"""The type the engine records for the PAL link of every program, Python included: the plugin's custom resource
(:mod:`partner_attribution.plugin`)."""
DYNAMIC_PAL_LINK_TYPE = f"pulumi-python:dynamic/{PAL_LINK_MODULE}:{PAL_LINK_NAME}"
"""The type releases 0.1 and 0.2 recorded for a Python program's link, a
:class:`~partner_attribution.partner_link.PartnerAdminLink` (Python dynamic resources are
``pulumi-python:dynamic/<module>:<name>``). A link moves from it to :data:`PAL_LINK_TYPE` by alias, so it stays
frozen for as long as such stacks exist."""


def application(principal: str) -> str:
    """The Entra application: ``<principal>-app``."""
    return f"{principal}-app"


def service_principal(principal: str) -> str:
    """The service principal: ``<principal>-sp``."""
    return f"{principal}-sp"


def password(principal: str) -> str:
    """The link password (``password`` link credential): ``<principal>-password``."""
    return f"{principal}-password"


def federated_credential(principal: str, credential: str) -> str:
    """A federated credential the partner declares for its pipelines: ``<principal>-fic-<credential>``."""
    return f"{principal}-fic-{credential}"


def link_federated_credential(principal: str) -> str:
    """The federated credential a ``federated`` PAL link signs in through: ``<principal>-link-fic``."""
    return f"{principal}-link-fic"


LINK_FEDERATED_CREDENTIAL_DISPLAY_NAME = "partner-attribution-pal-link"
"""The link credential's name in Entra (immutable there: FACTS.md §2)."""


def role_assignment(principal: str, key: str) -> str:
    """A role assignment: ``<principal>-role-<key>``."""
    return f"{principal}-role-{key}"


def partner_link(principal: str) -> str:
    """The PAL link: ``<principal>-pal``."""
    return f"{principal}-pal"


def role_assignment_key(scope: str, role_guid: str) -> str:
    """The derived key of a role assignment: the first 8 hex digits of ``guid(lower(scope), roleGuid)``.

    Independent of list order and of the role's display name (Microsoft renames roles), so reordering
    roles or a renamed role replaces nothing."""
    return arm_guid(scope.lower(), role_guid.lower())[:8]
