"""``DeliveryPrincipal``: one delivery service principal with its roles and its PAL link.

For a component named ``platform`` it declares, each with ``parent=self``:

* ``platform-app``: ``azuread.Application``
* ``platform-sp``: ``azuread.ServicePrincipal``
* ``platform-password``: ``azuread.ApplicationPassword``, the credential the PAL link signs in with
* ``platform-fic-<name>``: ``azuread.ApplicationFederatedIdentityCredential`` per federated credential
* ``platform-role-<key>``: ``azure_native.authorization.RoleAssignment`` per role and scope
* ``platform-pal``: the plugin's ``partner-attribution:index:PartnerAdminLink`` (:mod:`.plugin.program_link`)

Child names are part of every resource's URN: renaming one replaces the resource in the
customer's tenant. They are made in :mod:`.naming`; ``tests/test_naming.py`` and ``tests/snapshots/`` freeze them.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any, ClassVar, cast

import pulumi
import pulumi_azuread as azuread
from pulumi_azure_native import authorization

from .args import DeliveryPrincipalArgs
from .azure_ids import role_assignment_name
from .naming import COMPONENT_TYPE, LINK_FEDERATED_CREDENTIAL_DISPLAY_NAME
from .pal.federation import find_token_source, no_token_source_message
from .partner_link import CLIENT_SECRET, FEDERATED, PartnerAdminLinkArgs
from .plugin.program_link import ProgramPartnerAdminLink
from .problems import InvalidArgumentsError, resolved
from .spec import LinkTrust, PrincipalSpec, RoleSpec, resolve_principal


def today() -> dt.date:
    """Today's date (UTC); only the credential expiry warning depends on it, never an input."""
    return dt.datetime.now(dt.timezone.utc).date()


class DeliveryPrincipalArgsError(InvalidArgumentsError):
    """The component's arguments are invalid; raised before any child resource is declared."""

    kind = "DeliveryPrincipal"


def _assignment_name(role: RoleSpec, object_id: pulumi.Output[str]) -> pulumi.Output[str]:
    """Bicep's guid(scope, roleDefinitionId, principalId), with as few Outputs as the inputs allow."""
    if isinstance(role.scope, str) and isinstance(role.definition_id, str):
        return object_id.apply(functools.partial(role_assignment_name, role.scope, role.definition_id))
    return pulumi.Output.all(role.scope, role.definition_id, object_id).apply(lambda parts: role_assignment_name(*parts))


class DeliveryPrincipal(pulumi.ComponentResource):
    """A service principal that delivers customer work, with Azure roles and a PAL link to the partner."""

    client_id: pulumi.Output[str]
    """Application (client) ID."""
    object_id: pulumi.Output[str]
    """Object ID of the service principal: the identity that roles and the PAL link attach to."""
    tenant_id: pulumi.Output[str]
    """Tenant of the service principal: where its roles and its PAL link are."""
    client_secret: pulumi.Output[str] | None
    """The link password, a Pulumi secret; None for a federated link (no secret exists)."""
    credential_end_date: pulumi.Output[str | None]
    """When the link password expires (RFC 3339); None when the stack creates no password."""
    role_assignment_ids: pulumi.Output[dict[str, str]]
    """Azure resource ID of each role assignment, by assignment key."""
    partner_id: pulumi.Output[str]
    """The partner ID the PAL link reports (after a refresh: the live one)."""
    link_state: pulumi.Output[str]
    """The PAL link's state as the API reports it (``Active`` when linked)."""
    pal_eligible: pulumi.Output[bool]
    """Whether any assigned role earns partner credit."""

    spec: PrincipalSpec
    """The resolved arguments: roles, keys, definition IDs, child names, credential dates."""

    link_resource: ClassVar[Any] = ProgramPartnerAdminLink
    """What declares the PAL link, called as ``(name, PartnerAdminLinkArgs, opts)``: the plugin's custom resource,
    moved by alias from the dynamic resource of releases 0.1 and 0.2 (:mod:`partner_attribution.plugin.program_link`).
    The plugin's own DeliveryPrincipal (a component it constructs) declares the same resource without the alias."""

    def __init__(
        self, name: str, args: DeliveryPrincipalArgs | PrincipalSpec, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        """Declare the principal's resources. ``args`` may be a :class:`PrincipalSpec` already resolved
        (by the stack configuration loader) for ``name``; otherwise it is resolved here first.

        Raises:
            DeliveryPrincipalArgsError: the arguments break a rule; nothing is declared.
        """
        spec = resolved(name, args, PrincipalSpec, resolve_principal, DeliveryPrincipalArgsError)
        super().__init__(COMPONENT_TYPE, name, None, opts)
        self.spec = spec
        child = pulumi.ResourceOptions(parent=self)

        identity = self._identity(spec, child)
        password: azuread.ApplicationPassword | None = None
        if spec.declares_password:
            password = azuread.ApplicationPassword(
                spec.password_name,
                application_id=identity.application_id,
                display_name="partner-attribution PAL link",
                end_date=spec.credential_end_date,
                rotate_when_changed={"rotatedOn": cast(str, spec.credential_rotated_on)},
                opts=child,
            )
        link_credential: azuread.ApplicationFederatedIdentityCredential | None = None
        if spec.declares_link_federated_credential:
            trust = cast(LinkTrust, spec.link_trust)
            link_credential = azuread.ApplicationFederatedIdentityCredential(
                spec.link_federated_credential_name,
                application_id=identity.application_id,
                display_name=LINK_FEDERATED_CREDENTIAL_DISPLAY_NAME,
                issuer=trust.issuer,
                subject=trust.subject,
                audiences=[trust.audience],
                description="partner-attribution: the PAL link signs in as this principal with the pipeline's token",
                opts=child,
            )
        for fic in spec.federated_credentials:
            azuread.ApplicationFederatedIdentityCredential(
                fic.resource_name,
                application_id=identity.application_id,
                display_name=fic.name,
                issuer=fic.issuer,
                subject=fic.subject,
                audiences=list(fic.audiences),
                description=fic.description,
                opts=child,
            )

        assignments: dict[str, authorization.RoleAssignment] = {}
        for role in spec.roles:
            assignments[role.key] = authorization.RoleAssignment(
                role.resource_name,
                principal_id=identity.object_id,
                principal_type="ServicePrincipal",  # the SDK default "User" fails for new SPs (PrincipalNotFound)
                role_definition_id=role.definition_id,
                scope=role.scope,
                role_assignment_name=role.existing_assignment_name or _assignment_name(role, identity.object_id),
                description=role.description,
                condition=role.condition,
                condition_version=role.condition_version,
                # An assignment the principal holds already is adopted (as pulumi import does) and left on destroy.
                opts=pulumi.ResourceOptions(
                    parent=self,
                    depends_on=identity.depends_on,
                    import_=role.existing_assignment_id,
                    retain_on_delete=True if role.existing_assignment_name else None,
                ),
            )

        self._warn(spec)
        secret = password.value if password is not None else spec.link_client_secret
        link_trust = spec.link_trust
        link = self.link_resource(
            spec.partner_link_name,
            PartnerAdminLinkArgs(
                partner_id=spec.partner_id,
                tenant_id=identity.tenant_id,
                client_id=identity.client_id,
                client_secret=None if spec.federated else secret,
                cloud=spec.cloud,
                overwrite_existing=spec.overwrite_existing_link,
                timeout_seconds=spec.link_timeout_seconds,
                credential_type=FEDERATED if spec.federated else CLIENT_SECRET,
                token_audience=link_trust.audience if link_trust else None,
                trusted_issuer=link_trust.issuer if link_trust else None,
                trusted_subject=link_trust.subject if link_trust else None,
                **spec.extra_link_options,
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[
                    *identity.depends_on,
                    *(r for r in (password, link_credential) if r is not None),
                    *assignments.values(),
                ],
                # A principal that exists outside the stack keeps its link when the stack is destroyed.
                retain_on_delete=spec.existing is not None,
            ),
        )

        self.client_id = identity.client_id
        self.object_id = identity.object_id
        self.tenant_id = identity.tenant_id
        self.client_secret = pulumi.Output.secret(secret) if secret is not None and not spec.federated else None
        self.credential_end_date = pulumi.Output.from_input(spec.credential_end_date)
        self.role_assignment_ids = pulumi.Output.all(**{k: a.id for k, a in assignments.items()})
        self.partner_id = link.partner_id
        self.link_state = link.state
        self.pal_eligible = pulumi.Output.from_input(spec.pal_eligible)
        self.register_outputs(
            {
                "client_id": self.client_id,
                "object_id": self.object_id,
                "tenant_id": self.tenant_id,
                **({"client_secret": self.client_secret} if self.client_secret is not None else {}),
                "credential_end_date": self.credential_end_date,
                "role_assignment_ids": self.role_assignment_ids,
                "partner_id": self.partner_id,
                "link_state": self.link_state,
                "pal_eligible": self.pal_eligible,
            }
        )

    @staticmethod
    def _identity(spec: PrincipalSpec, child: pulumi.ResourceOptions) -> _Identity:
        """The application and service principal: declared, or looked up for one that exists already."""
        if spec.existing is None:
            owners = list(spec.owners) or None
            application = azuread.Application(spec.application_name, display_name=spec.display_name, owners=owners, opts=child)
            principal = azuread.ServicePrincipal(
                spec.service_principal_name, client_id=application.client_id, owners=owners, opts=child
            )
            return _Identity(
                application.client_id, application.id, principal.object_id, principal.application_tenant_id, [principal]
            )
        existing = spec.existing
        # Look-ups go through the component's providers too (the CUA providers, when the program passes them).
        lookup = pulumi.InvokeOptions(parent=child.parent)
        client_id = pulumi.Output.from_input(existing.client_id)
        if existing.object_id is not None:
            object_id: pulumi.Output[str] = pulumi.Output.from_input(existing.object_id)
        else:
            object_id = azuread.get_service_principal_output(client_id=existing.client_id, opts=lookup).object_id
        application_id: pulumi.Output[str] = (
            azuread.get_application_output(client_id=existing.client_id, opts=lookup).id
            if spec.declares_link_federated_credential or spec.federated_credentials
            else pulumi.Output.from_input("")
        )
        tenant_id = azuread.get_client_config_output(opts=lookup).tenant_id
        return _Identity(client_id, application_id, object_id, tenant_id, [])

    def _warn(self, spec: PrincipalSpec) -> None:
        """Preview warnings: no PEC-eligible role, a link password near or past its end, a federated link with no
        pipeline token where the preview runs, and the spec's advice."""
        for advice in spec.advice:
            pulumi.log.warn(advice, resource=self)
        if not spec.pal_eligible and not spec.delegated_only:  # a principal with no role earns through Lighthouse
            # What is known (docs/roles.md): the link associates the partner with the identity whatever its roles,
            # and Microsoft attributes by "the account's permissions (Azure role) and scope", each programme with
            # its own role rules (learn.microsoft.com/azure/cost-management-billing/manage/link-partner-id,
            # MicrosoftDocs/azure-docs @ 012ad308); the catalog's list is the partner-earned-credit (PEC) list
            # (learn.microsoft.com/partner-center/billing/azure-roles-perms-pec, 2022 copy).
            pulumi.log.warn(
                f"DeliveryPrincipal {spec.name!r}: none of its roles ({', '.join(r.role.name for r in spec.roles)}) "
                "is on Microsoft's list of roles eligible for partner earned credit (PEC), so its work earns no PEC. "
                "Its PAL link still associates the partner with it; which roles count for other incentives is up "
                "to each programme. Add a PEC-eligible role such as Contributor (see docs/roles.md) or set "
                "requireEligibleRole to make this an error",
                resource=self,
            )
        if spec.federated and pulumi.runtime.is_dry_run() and find_token_source() is None:
            trust = cast(LinkTrust, spec.link_trust)
            message = no_token_source_message(f"DeliveryPrincipal {spec.name!r}", trust.issuer, trust.subject)
            pulumi.log.warn(f"{message} Here, pulumi up would stop at the link.", resource=self)
        end_date = spec.credential_end_date
        if end_date is None:
            return
        days_left = (dt.date.fromisoformat(end_date[:10]) - today()).days
        if days_left <= spec.credential_expiry_warning_days:
            state = "expired" if days_left < 0 else f"expires in {days_left} days"
            pulumi.log.warn(
                f"DeliveryPrincipal {spec.name!r}: the PAL link credential {state} ({end_date}); rotate it by setting "
                "credential.rotatedOn to today's date and running pulumi up",
                resource=self,
            )


@dataclass(frozen=True)
class _Identity:
    client_id: pulumi.Output[str]
    application_id: pulumi.Output[str]
    """``/applications/<object ID>``: what federated credentials and passwords attach to."""
    object_id: pulumi.Output[str]
    tenant_id: pulumi.Output[str]
    depends_on: list[pulumi.Resource]
