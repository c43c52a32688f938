"""Typed arguments of the DeliveryPrincipal component.

These are plain dataclasses so that a partner's own Pulumi program can build them directly;
the stack configuration loader (:mod:`partner_attribution.config`) builds the same objects.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi

GITHUB_ACTIONS_AUDIENCE = "api://AzureADTokenExchange"
GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com"
AZURE_DEVOPS_ISSUER = "https://vstoken.dev.azure.com/{organization_id}"
_GITHUB_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_GITHUB_REF = re.compile(r"[^\s:~^?*\[\\\x00-\x1f\x7f]+")
"""A branch or environment name as it appears in a subject: no spaces, ':' (the subject's separator) or control
characters (git's check-ref-format forbids most of the rest)."""
LinkCredential = Literal["password", "federated"]
"""How a principal's PAL link signs in as the principal: ``password`` (an ``ApplicationPassword`` the stack
creates, kept as a Pulumi secret) or ``federated`` (the pipeline's OIDC token; no secret anywhere)."""


@dataclass(frozen=True)
class RoleAssignmentArgs:
    """One Azure RBAC role for the delivery principal at one scope (AVM ``role_assignments`` style)."""

    role: str
    """Built-in role name (any letter case), role definition GUID, or role definition ID.
    GUIDs that are not built-in roles are treated as custom roles (never PEC-eligible)."""
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
    """Stable key for the child resource name: 1 to 80 letters, digits, '.', '_', '-' or '/', unique among the
    principal's roles (derived keys included). Derived from role and scope when the scope is a plain string; required
    when it is an Output. Changing it replaces the assignment."""
    existing_assignment: str | None = None
    """The role assignment the principal already holds for this role at this scope, as its resource ID
    (``<scope>/providers/Microsoft.Authorization/roleAssignments/<GUID>``, what ``az role assignment list --query
    "[].id"`` prints) or its name (the GUID). The stack adopts it, as ``pulumi import`` does, instead of creating one,
    which Azure refuses with 409 ``RoleAssignmentExists``; destroying the stack leaves it. Its description and
    condition must be the ones it has (an import whose inputs differ fails the preview)."""


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
    """Audiences the token must carry; default the token-exchange audience ``api://AzureADTokenExchange``."""
    description: str | None = None
    """Free text stored on the credential."""


@dataclass(frozen=True)
class LinkFederationArgs:
    """Whose OIDC token the delivery principals trust for their PAL link (``link_credential="federated"``):
    the pipeline that runs ``pulumi up`` and the scheduled drift preview. One issuer and subject for the stack;
    build it with :meth:`github_actions` or :meth:`azure_devops`, or give both explicitly."""

    issuer: str
    """Token issuer, e.g. ``https://token.actions.githubusercontent.com``."""
    subject: str
    """Subject claim the pipeline presents, matched exactly (case-sensitive)."""
    audience: str | None = None
    """Audience of the token; default: the token-exchange audience of the stack's cloud
    (``api://AzureADTokenExchange`` in the public cloud)."""

    @classmethod
    def github_actions(
        cls,
        repository: str,
        *,
        branch: str | None = None,
        environment: str | None = None,
        owner_id: int | None = None,
        repository_id: int | None = None,
    ) -> LinkFederationArgs:
        """Trust a GitHub Actions workflow of ``owner/repo`` on ``branch`` (a scheduled workflow runs on the
        default branch) or in ``environment`` (which wins when the job names one). Repositories created after
        2026-07-15 present immutable subjects ``repo:owner@ID/repo@ID:…``: give ``owner_id`` and
        ``repository_id`` for those (``reference/federation/FACTS.md`` §6)."""
        if (branch is None) == (environment is None):
            raise ValueError("give exactly one of branch or environment")
        if not _GITHUB_REPOSITORY.fullmatch(repository):
            raise ValueError(f"repository {repository!r}: use owner/repo (letters, digits, '-', '_', '.')")
        if branch is not None and (branch.startswith("refs/") or not _GITHUB_REF.fullmatch(branch)):
            raise ValueError(f"branch {branch!r}: give the branch name alone, e.g. main (the subject adds refs/heads/)")
        if environment is not None and not _GITHUB_REF.fullmatch(environment):
            raise ValueError(f"environment {environment!r}: give the environment's name, e.g. production")
        owner, _, name = repository.partition("/")
        if owner_id is not None and repository_id is not None:
            repository = f"{owner}@{owner_id}/{name}@{repository_id}"
        elif (owner_id is None) != (repository_id is None):
            raise ValueError("give both owner_id and repository_id for an immutable subject, or neither")
        context = f"environment:{environment}" if environment is not None else f"ref:refs/heads/{branch}"
        return cls(GITHUB_ACTIONS_ISSUER, f"repo:{repository}:{context}")

    @classmethod
    def azure_devops(cls, organization_id: str, organization: str, project: str, service_connection: str) -> LinkFederationArgs:
        """Trust an Azure DevOps service connection through the Azure DevOps issuer
        (``https://vstoken.dev.azure.com/<organization ID>``, subject ``sc://<org>/<project>/<connection>``). That
        issuer retires on 2027-07-01 for public-cloud service connections of single-tenant apps; with the Entra
        issuer that replaces it, copy the issuer and subject from the service connection and give them
        explicitly (FACTS.md §7)."""
        from .azure_ids import GUID_PATTERN

        if not GUID_PATTERN.match(organization_id):
            raise ValueError(f"organizationId {organization_id!r} is not a GUID (the organization's ID, not its name)")
        for label, part in (("organization", organization), ("project", project), ("serviceConnection", service_connection)):
            if not part.strip() or "/" in part or part != part.strip():
                raise ValueError(f"{label} {part!r}: give the name alone, without '/' or surrounding spaces")
        return cls(
            AZURE_DEVOPS_ISSUER.format(organization_id=organization_id), f"sc://{organization}/{project}/{service_connection}"
        )


@dataclass(frozen=True)
class ExistingApplicationArgs:
    """A delivery principal that already exists (a customer's admin created it, or another library does):
    the stack declares no application or service principal for it, only its role assignments, the federated
    credential its link trusts (when ``add_link_federated_credential``) and its PAL link. ``pulumi destroy`` deletes
    only what the stack added (role assignments, that federated credential); the application, its service principal
    and its PAL link stay."""

    client_id: str
    """Application (client) ID."""
    object_id: str | None = None
    """Object ID of its service principal; looked up by client ID when not given."""
    add_link_federated_credential: bool = True
    """Add the link's federated credential to the application (needs the right to update it); false when the
    customer's admin adds it by hand."""


@dataclass(frozen=True)
class DeliveryPrincipalArgs:
    """Arguments of :class:`partner_attribution.DeliveryPrincipal`."""

    partner_id: str
    """Microsoft Associated Partner ID (the numeric PartnerID of the partner location) to link to."""
    role_assignments: Sequence[RoleAssignmentArgs]
    """Azure roles to assign; at least one PEC-eligible role is needed for partner credit through them. Empty for a
    managing-tenant principal that exists to be linked and named in customers' Azure Lighthouse delegations, where it
    earns the credit (docs/lighthouse.md)."""
    credential_rotated_on: str | None = None
    """Date (YYYY-MM-DD, not in the future) the link password was last rotated (``link_credential="password"``,
    required then). Changing it creates a new password and nothing else; the password is valid
    ``credential_lifetime_days`` from this date."""
    credential_lifetime_days: int = 180
    """Validity of the password, from ``credential_rotated_on`` (1 to 730 days)."""
    display_name: str | None = None
    """Entra display name of the application; defaults to the component name."""
    federated_credentials: Sequence[FederatedCredentialArgs] = ()
    """Federated identity credentials for the partner's own pipelines to sign in as the principal without a secret;
    with the link's, at most 20 per application."""
    owners: Sequence[pulumi.Input[str]] = ()
    """Object IDs of the application's and service principal's owners."""
    require_eligible_role: bool = False
    """Fail, instead of warning, when no role is PEC-eligible."""
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
    link_credential: LinkCredential = "password"
    """How the PAL link signs in as the principal: ``password`` or ``federated`` (see :data:`LinkCredential`)."""
    link_federation: LinkFederationArgs | None = None
    """Required with ``link_credential="federated"``: the pipeline token the principal trusts."""
    existing_application: ExistingApplicationArgs | None = None
    """Link a principal that already exists instead of creating one."""
    link_client_secret: pulumi.Input[str] | None = None
    """An existing principal's password for its link (``link_credential="password"``), e.g. from
    ``pulumi config set --secret``; kept a Pulumi secret."""
