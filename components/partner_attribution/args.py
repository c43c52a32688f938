"""Typed arguments of the DeliveryPrincipal component.

These are plain dataclasses so that a partner's own Pulumi program can build them directly;
the stack configuration loader (:mod:`partner_attribution.config`) builds the same objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi

GITHUB_ACTIONS_AUDIENCE = "api://AzureADTokenExchange"


@dataclass(frozen=True)
class RoleAssignmentArgs:
    """One Azure RBAC role for the delivery principal at one scope (AVM ``role_assignments`` style)."""

    role: str
    """Built-in role name (any letter case), role definition GUID, or role definition ID.
    GUIDs that are not built-in roles are treated as custom roles (never PAL-eligible)."""
    scope: pulumi.Input[str]
    """Azure resource ID of the scope: management group, subscription, resource group or resource.
    May be an Output of another resource (then ``key`` is required)."""
    description: str | None = None
    """Free text stored on the role assignment."""
    condition: str | None = None
    """ABAC condition expression (``conditionVersion`` 2.0)."""
    condition_version: str | None = None
    """Defaults to ``2.0`` when ``condition`` is set."""
    acknowledge_privileged: bool = False
    """Must be true to assign Owner or User Access Administrator: roles that can grant access."""
    key: str | None = None
    """Stable key for the child resource name. Derived from role and scope when the scope is a
    plain string; required when it is an Output. Changing it replaces the assignment."""


@dataclass(frozen=True)
class FederatedCredentialArgs:
    """A federated identity credential so a pipeline (GitHub Actions, Azure DevOps) can sign in
    as the principal without a secret."""

    name: str
    """Unique per principal: letters, digits, '-' and '_' (3 to 120 characters)."""
    issuer: str
    """Token issuer, e.g. ``https://token.actions.githubusercontent.com``."""
    subject: str
    """Subject claim, e.g. ``repo:contoso/landing-zone:environment:prod``."""
    audiences: Sequence[str] = (GITHUB_ACTIONS_AUDIENCE,)
    description: str | None = None


@dataclass(frozen=True)
class DeliveryPrincipalArgs:
    """Arguments of :class:`partner_attribution.DeliveryPrincipal`."""

    partner_id: str
    """Microsoft Associated Partner ID (the numeric PartnerID of the partner location) to link to."""
    role_assignments: Sequence[RoleAssignmentArgs]
    """Azure roles to assign; at least one PAL-eligible role is needed for partner credit."""
    credential_rotated_on: str
    """Date (YYYY-MM-DD) the link credential was last rotated. Changing it creates a new
    password and nothing else; the password is valid ``credential_lifetime_days`` from this date."""
    credential_lifetime_days: int = 180
    """Validity of the password, from ``credential_rotated_on`` (1 to 730 days)."""
    display_name: str | None = None
    """Entra display name of the application; defaults to the component name."""
    federated_credentials: Sequence[FederatedCredentialArgs] = ()
    owners: Sequence[pulumi.Input[str]] = ()
    """Object IDs of the application's and service principal's owners."""
    require_eligible_role: bool = False
    """Fail, instead of warning, when no role is PAL-eligible."""
    overwrite_existing_link: bool = False
    """Re-point an existing PAL link that names another partner ID (never done silently)."""
    cloud: str = "public"
    """``public``, ``usgovernment`` or ``china``."""
    link_timeout_seconds: int = 600
    """Retry budget of one PAL link operation, for Entra's replication delay."""
    credential_expiry_warning_days: int = 30
    """Warn at every preview when the password expires within this many days."""
    extra_link_options: dict[str, str] = field(default_factory=dict)
    """Endpoint overrides for the PAL link (``authority_host``, ``arm_endpoint``): private clouds and tests."""
