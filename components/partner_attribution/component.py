"""``DeliveryPrincipal``: one delivery service principal with its roles and its PAL link.

For a component named ``platform`` it declares, each with ``parent=self``:

* ``platform-app``: ``azuread.Application``
* ``platform-sp``: ``azuread.ServicePrincipal``
* ``platform-password``: ``azuread.ApplicationPassword``, the credential the PAL link signs in with
* ``platform-fic-<name>``: ``azuread.ApplicationFederatedIdentityCredential`` per federated credential
* ``platform-role-<key>``: ``azure_native.authorization.RoleAssignment`` per role and scope
* ``platform-pal``: :class:`~partner_attribution.partner_link.PartnerAdminLink`

Child names are part of every resource's URN: renaming one replaces the resource in the
customer's tenant. They are made in :mod:`.naming`; ``tests/test_naming.py`` and ``tests/snapshots/`` freeze them.
"""

from __future__ import annotations

import datetime as dt
import functools

import pulumi
import pulumi_azuread as azuread
from pulumi_azure_native import authorization

from .args import DeliveryPrincipalArgs
from .azure_ids import role_assignment_name
from .naming import COMPONENT_TYPE
from .partner_link import PartnerAdminLink, PartnerAdminLinkArgs
from .problems import Problem
from .spec import PrincipalSpec, RoleSpec, resolve_principal


def today() -> dt.date:
    """Today's date (UTC); only the credential expiry warning depends on it, never an input."""
    return dt.datetime.now(dt.timezone.utc).date()


class DeliveryPrincipalArgsError(pulumi.RunError, ValueError):
    """The component's arguments are invalid; raised before any child resource is declared."""

    def __init__(self, name: str, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(
            f"DeliveryPrincipal {name!r} has invalid arguments:\n" + "\n".join(f"  - {p.render()}" for p in problems)
        )


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
    client_secret: pulumi.Output[str]
    """The link credential's value, a Pulumi secret."""
    credential_end_date: pulumi.Output[str]
    """When the link credential expires (RFC 3339)."""
    role_assignment_ids: pulumi.Output[dict[str, str]]
    """Azure resource ID of each role assignment, by assignment key."""
    partner_id: pulumi.Output[str]
    """The partner ID the PAL link reports (after a refresh: the live one)."""
    link_state: pulumi.Output[str]
    pal_eligible: pulumi.Output[bool]
    """Whether any assigned role earns partner credit."""

    spec: PrincipalSpec
    """The resolved arguments: roles, keys, definition IDs, child names, credential dates."""

    def __init__(
        self, name: str, args: DeliveryPrincipalArgs | PrincipalSpec, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        """Declare the principal's resources. ``args`` may be a :class:`PrincipalSpec` already resolved
        (by the stack configuration loader) for ``name``; otherwise it is resolved here first.

        Raises:
            DeliveryPrincipalArgsError: the arguments break a rule; nothing is declared.
        """
        if isinstance(args, PrincipalSpec):
            if args.name != name:
                raise ValueError(f"the spec is for {args.name!r}, not {name!r}")
            spec = args
        else:
            resolved, problems = resolve_principal(name, args)
            if resolved is None:
                raise DeliveryPrincipalArgsError(name, problems)
            spec = resolved
        super().__init__(COMPONENT_TYPE, name, None, opts)
        self.spec = spec
        child = pulumi.ResourceOptions(parent=self)
        owners = list(spec.owners) or None

        application = azuread.Application(spec.application_name, display_name=spec.display_name, owners=owners, opts=child)
        principal = azuread.ServicePrincipal(
            spec.service_principal_name, client_id=application.client_id, owners=owners, opts=child
        )
        password = azuread.ApplicationPassword(
            spec.password_name,
            application_id=application.id,
            display_name="partner-attribution PAL link",
            end_date=spec.credential_end_date,
            rotate_when_changed={"rotatedOn": spec.credential_rotated_on},
            opts=child,
        )
        for fic in spec.federated_credentials:
            azuread.ApplicationFederatedIdentityCredential(
                fic.resource_name,
                application_id=application.id,
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
                principal_id=principal.object_id,
                principal_type="ServicePrincipal",  # the SDK default "User" fails for new SPs (PrincipalNotFound)
                role_definition_id=role.definition_id,
                scope=role.scope,
                role_assignment_name=_assignment_name(role, principal.object_id),
                description=role.description,
                condition=role.condition,
                condition_version=role.condition_version,
                opts=child,
            )

        self._warn(spec)
        link = PartnerAdminLink(
            spec.partner_link_name,
            PartnerAdminLinkArgs(
                partner_id=spec.partner_id,
                tenant_id=principal.application_tenant_id,
                client_id=application.client_id,
                client_secret=password.value,
                cloud=spec.cloud,
                overwrite_existing=spec.overwrite_existing_link,
                timeout_seconds=spec.link_timeout_seconds,
                **spec.extra_link_options,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[principal, password, *assignments.values()]),
        )

        self.client_id = application.client_id
        self.object_id = principal.object_id
        self.tenant_id = principal.application_tenant_id
        self.client_secret = pulumi.Output.secret(password.value)
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
                "client_secret": self.client_secret,
                "credential_end_date": self.credential_end_date,
                "role_assignment_ids": self.role_assignment_ids,
                "partner_id": self.partner_id,
                "link_state": self.link_state,
                "pal_eligible": self.pal_eligible,
            }
        )

    def _warn(self, spec: PrincipalSpec) -> None:
        """Preview warnings: no PAL-eligible role, a link credential near or past its end."""
        if not spec.pal_eligible:
            pulumi.log.warn(
                f"DeliveryPrincipal {spec.name!r}: none of its roles ({', '.join(r.role.name for r in spec.roles)}) "
                "is PAL-eligible, so its work earns no partner credit; add an eligible role such as Contributor "
                "(see docs/roles.md) or set requireEligibleRole to make this an error",
                resource=self,
            )
        end_date = spec.credential_end_date
        days_left = (dt.date.fromisoformat(end_date[:10]) - today()).days
        if days_left <= spec.credential_expiry_warning_days:
            state = "expired" if days_left < 0 else f"expires in {days_left} days"
            pulumi.log.warn(
                f"DeliveryPrincipal {spec.name!r}: the PAL link credential {state} ({end_date}); rotate it by setting "
                "credential.rotatedOn to today's date and running pulumi up",
                resource=self,
            )
