"""Typed arguments of the :class:`~partner_attribution.lighthouse.LighthouseDelegation` component.

Plain dataclasses, like :mod:`partner_attribution.args`, so a partner's own Pulumi program builds them directly and
a stack configuration loader can build the same objects. The rules they must satisfy are in :mod:`.spec`; the
Lighthouse model is explained in ``docs/lighthouse.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi

PrincipalType = Literal["User", "Group", "ServicePrincipal"]
"""What kind of Entra principal of the managing tenant an authorization names (Lighthouse accepts users, security
groups and service principals: ``reference/lighthouse/FACTS.md`` §2)."""
MultiFactorAuthProvider = Literal["Azure", "None"]
"""The ``multiFactorAuthProvider`` enum of the just-in-time access policy (Microsoft.ManagedServices 2022-10-01)."""


@dataclass(frozen=True)
class StackPrincipalReference:
    """A principal of the managing stack named in the stack configuration (``principal: <name>``).

    A stand-in while the configuration is checked: the bundled program replaces it with the principal's object ID,
    read through a ``pulumi.StackReference`` to the managing stack's ``attribution`` output, before anything is
    declared (:func:`partner_attribution.lighthouse.spec.bind_principals`). A component never declares one."""

    name: str
    """The delivery principal's name in the managing stack (``attribution.principals[].name``)."""


@dataclass(frozen=True)
class LighthouseAuthorizationArgs:
    """A permanent authorization: a principal of the managing tenant holds a built-in role on every delegated scope."""

    principal_id: pulumi.Input[str]
    """Object ID of the user, security group or service principal in the managing tenant. A plain string must be a
    GUID; an Output (e.g. ``DeliveryPrincipal.object_id`` or a ``StackReference`` output) is taken as it is."""
    principal_display_name: str
    """Shown to the customer in the portal next to the authorization (``principalIdDisplayName``); Microsoft asks
    for one so the customer understands what the access is for."""
    role: str
    """Built-in role name (any letter case), role definition GUID or role definition ID. Lighthouse accepts built-in
    roles only, never Owner, nor roles with DataActions or with write/delete on ``Microsoft.Authorization``."""
    pal_linked: bool = False
    """Whether this principal is linked to the partner's Associated Partner ID with PAL in the managing tenant. True
    for the managing stack's ``DeliveryPrincipal`` (it makes the link); for a plain object ID, whatever the partner
    says. Partner credit comes only from a PAL-linked principal holding a PEC-eligible role permanently."""
    principal_type: PrincipalType | None = None
    """``User``, ``Group`` or ``ServicePrincipal`` when known. A PAL-linked principal whose type is not given is taken
    to be a service principal (the managing stack's delivery principal is one), so it can never also be named in a
    just-in-time authorization."""
    delegated_role_definition_ids: Sequence[str] = ()
    """Only with User Access Administrator, and required then: the built-in roles (name, GUID or role definition ID)
    the principal may assign to managed identities in the customer's tenant (``delegatedRoleDefinitionIds``)."""


@dataclass(frozen=True)
class LighthouseApproverArgs:
    """A user or group of the managing tenant that approves just-in-time activations."""

    principal_id: pulumi.Input[str]
    """Object ID of the user or group (a GUID when a plain string)."""
    principal_display_name: str | None = None
    """Display name shown with the approver."""
    principal_type: PrincipalType | None = None
    """``User`` or ``Group`` when known; approvers cannot be service principals."""


@dataclass(frozen=True)
class LighthouseEligibleAuthorizationArgs:
    """A just-in-time (eligible) authorization: the principal activates the role through Privileged Identity
    Management for a limited time. It earns no partner credit, and a service principal cannot activate one."""

    principal_id: pulumi.Input[str]
    """Object ID of the user or security group in the managing tenant (a GUID when a plain string)."""
    principal_display_name: str
    """Shown to the customer next to the authorization (``principalIdDisplayName``)."""
    role: str
    """Built-in role name, GUID or role definition ID: a role Lighthouse supports, other than User Access
    Administrator."""
    principal_type: PrincipalType | None = None
    """``User`` or ``Group`` when known; ``ServicePrincipal`` is refused."""
    maximum_activation_duration: str = "PT8H"
    """Longest activation, ISO 8601 duration from ``PT30M`` to ``PT8H`` (``maximumActivationDuration``)."""
    multi_factor_auth_provider: MultiFactorAuthProvider = "Azure"
    """``Azure`` to require Microsoft Entra multifactor authentication at activation, or ``None``. Azure's own default
    is ``None``; this component asks for MFA unless told otherwise."""
    approvers: Sequence[LighthouseApproverArgs] = ()
    """Up to 10 users or groups of the managing tenant who approve each activation; none means no approval."""


@dataclass(frozen=True)
class LighthouseDelegationArgs:
    """Arguments of :class:`~partner_attribution.lighthouse.LighthouseDelegation`: one Lighthouse offer, delegated from
    the customer's tenant to the partner's (managing) tenant at one or more subscriptions or resource groups."""

    offer_name: str
    """The offer's name, shown to the customer (``registrationDefinitionName``; Microsoft's templates call it
    ``mspOfferName``). Part of every registration's GUID: renaming it makes a new delegation."""
    managing_tenant_id: str
    """Tenant ID (GUID) of the partner's managing tenant (``managedByTenantId``), where the authorized principals
    live and where the PAL link is made."""
    authorizations: Sequence[LighthouseAuthorizationArgs]
    """Permanent authorizations; at least one. For partner credit, one of them names a PAL-linked principal with a
    PEC-eligible role (e.g. Contributor)."""
    scopes: Sequence[str]
    """Delegated scopes, plain strings: ``/subscriptions/<id>`` or ``/subscriptions/<id>/resourceGroups/<name>``. A
    registration definition is declared in each subscription concerned and an assignment at each scope."""
    description: str | None = None
    """The offer's description, shown to the customer."""
    eligible_authorizations: Sequence[LighthouseEligibleAuthorizationArgs] = ()
    """Just-in-time authorizations (users and groups only; they earn no partner credit)."""
    allow_no_partner_credit: bool = False
    """Declare the delegation even when no permanent authorization earns partner credit (a warning instead of an
    error). Say so only when the delegation is not meant to earn credit."""
    cloud: str = "public"
    """``public``, ``usgovernment`` or ``china``: just-in-time authorizations are not available in national clouds."""
