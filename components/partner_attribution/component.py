"""``DeliveryPrincipal``: one delivery service principal with its roles and its PAL link.

For a component named ``platform`` it declares, each with ``parent=self``:

* ``platform-app``: ``azuread.Application``
* ``platform-sp``: ``azuread.ServicePrincipal``
* ``platform-password``: ``azuread.ApplicationPassword``, the credential the PAL link signs in with
* ``platform-fic-<name>``: ``azuread.ApplicationFederatedIdentityCredential`` per federated credential
* ``platform-role-<key>``: ``azure_native.authorization.RoleAssignment`` per role and scope
* ``platform-pal``: :class:`~partner_attribution.partner_link.PartnerAdminLink`

Child names are part of every resource's URN: renaming one replaces the resource in the
customer's tenant. ``tests/snapshots/`` guards them.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any, cast

import pulumi
import pulumi_azuread as azuread
from pulumi_azure_native import authorization

from .args import DeliveryPrincipalArgs, RoleAssignmentArgs
from .azure_ids import arm_guid, parse_scope, role_assignment_name, role_definition_id
from .partner_link import PartnerAdminLink, PartnerAdminLinkArgs
from .roles import Role, builtin_roles
from .validation import Problem, credential_end_date, validate_principal

COMPONENT_TYPE = "partner-attribution:index:DeliveryPrincipal"


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


@dataclass(frozen=True)
class PlannedRoleAssignment:
    """A role assignment as declared: what the plan and the attribution report show."""

    key: str
    role: Role
    scope: pulumi.Input[str]
    definition: pulumi.Input[str]
    """Role definition ID in the form Azure returns at the scope."""
    resource_name: str


def _definition_at(scope: pulumi.Input[str], role: Role) -> pulumi.Input[str]:
    """The role definition ID for ``role`` in the form Azure returns at ``scope``: a plain value for a
    plain scope, computed (and the scope checked) once an Output scope is known."""
    if isinstance(scope, str):
        return role_definition_id(parse_scope(scope), role.guid)
    return pulumi.Output.from_input(cast(pulumi.Output[str], scope)).apply(
        lambda s: role_definition_id(parse_scope(s), role.guid)
    )


def _assignment_name(
    scope: pulumi.Input[str], definition: pulumi.Input[str], object_id: pulumi.Output[str]
) -> pulumi.Output[str]:
    """Bicep's guid(scope, roleDefinitionId, principalId), with as few Outputs as the inputs allow."""
    if isinstance(scope, str) and isinstance(definition, str):
        return object_id.apply(functools.partial(role_assignment_name, scope, definition))
    return pulumi.Output.all(scope, definition, object_id).apply(lambda parts: role_assignment_name(*parts))


def assignment_key(assignment: RoleAssignmentArgs, role: Role) -> str:
    """The stable key of a role assignment: given, or derived from role and scope."""
    if assignment.key is not None:
        return assignment.key
    assert isinstance(assignment.scope, str), "validated: a key is required for Output scopes"
    return arm_guid(assignment.scope.lower(), role.guid)[:8]


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

    def __init__(self, name: str, args: DeliveryPrincipalArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        problems = validate_principal(args)
        if problems:
            raise DeliveryPrincipalArgsError(name, problems)
        super().__init__(COMPONENT_TYPE, name, None, opts)
        self.configured_partner_id = args.partner_id
        self.end_date = credential_end_date(args.credential_rotated_on, args.credential_lifetime_days)
        child = pulumi.ResourceOptions(parent=self)
        display_name = args.display_name or name
        catalog = builtin_roles()

        application = azuread.Application(f"{name}-app", display_name=display_name, owners=list(args.owners) or None, opts=child)
        principal = azuread.ServicePrincipal(
            f"{name}-sp", client_id=application.client_id, owners=list(args.owners) or None, opts=child
        )
        end_date = self.end_date
        password = azuread.ApplicationPassword(
            f"{name}-password",
            application_id=application.id,
            display_name="partner-attribution PAL link",
            end_date=end_date,
            rotate_when_changed={"rotatedOn": args.credential_rotated_on},
            opts=child,
        )
        for fic in args.federated_credentials:
            azuread.ApplicationFederatedIdentityCredential(
                f"{name}-fic-{fic.name}",
                application_id=application.id,
                display_name=fic.name,
                issuer=fic.issuer,
                subject=fic.subject,
                audiences=list(fic.audiences),
                description=fic.description,
                opts=child,
            )

        self.planned_roles: list[PlannedRoleAssignment] = []
        assignments: dict[str, authorization.RoleAssignment] = {}
        for assignment in args.role_assignments:
            role = catalog.resolve(assignment.role)
            key = assignment_key(assignment, role)
            resource_name = f"{name}-role-{key}"
            definition = _definition_at(assignment.scope, role)
            assignments[key] = authorization.RoleAssignment(
                resource_name,
                principal_id=principal.object_id,
                principal_type="ServicePrincipal",  # the SDK default "User" fails for new SPs (PrincipalNotFound)
                role_definition_id=definition,
                scope=assignment.scope,
                role_assignment_name=_assignment_name(assignment.scope, definition, principal.object_id),
                description=assignment.description,
                condition=assignment.condition,
                condition_version=assignment.condition_version or ("2.0" if assignment.condition else None),
                opts=child,
            )
            self.planned_roles.append(PlannedRoleAssignment(key, role, assignment.scope, definition, resource_name))

        eligible = [p.role.name for p in self.planned_roles if p.role.pal_eligible]
        if not eligible:
            pulumi.log.warn(
                f"DeliveryPrincipal {name!r}: none of its roles ({', '.join(p.role.name for p in self.planned_roles)}) "
                "is PAL-eligible, so its work earns no partner credit; add an eligible role such as Contributor "
                "(see docs/roles.md) or set requireEligibleRole to make this an error",
                resource=self,
            )
        days_left = (dt.date.fromisoformat(end_date[:10]) - today()).days
        if days_left <= args.credential_expiry_warning_days:
            state = "expired" if days_left < 0 else f"expires in {days_left} days"
            pulumi.log.warn(
                f"DeliveryPrincipal {name!r}: the PAL link credential {state} ({end_date}); rotate it by setting "
                "credential.rotatedOn to today's date and running pulumi up",
                resource=self,
            )

        link = PartnerAdminLink(
            f"{name}-pal",
            PartnerAdminLinkArgs(
                partner_id=args.partner_id,
                tenant_id=principal.application_tenant_id,
                client_id=application.client_id,
                client_secret=password.value,
                cloud=args.cloud,
                overwrite_existing=args.overwrite_existing_link,
                timeout_seconds=args.link_timeout_seconds,
                **args.extra_link_options,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[principal, password, *assignments.values()]),
        )

        self.client_id = application.client_id
        self.object_id = principal.object_id
        self.tenant_id = principal.application_tenant_id
        self.client_secret = pulumi.Output.secret(password.value)
        self.credential_end_date = pulumi.Output.from_input(end_date)
        self.role_assignment_ids = pulumi.Output.all(**{k: a.id for k, a in assignments.items()})
        self.partner_id = link.partner_id
        self.link_state = link.state
        self.pal_eligible = pulumi.Output.from_input(bool(eligible))
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

    LIVE_FIELDS = ("clientId", "objectId", "tenantId", "partnerId", "linkState")

    def live_outputs(self) -> list[pulumi.Output[Any]]:
        """The Outputs the ``attribution`` entry needs, in :attr:`LIVE_FIELDS` order."""
        return [self.client_id, self.object_id, self.tenant_id, self.partner_id, self.link_state]

    def attribution(self, name: str, display_name: str, live: list[Any]) -> dict[str, Any]:
        """This principal's entry of the ``attribution`` stack output (no secret), given the resolved
        :meth:`live_outputs`. Scopes given as Outputs must be resolved by the caller."""
        return {
            "name": name,
            "displayName": display_name,
            **dict(zip(self.LIVE_FIELDS, live, strict=True)),
            "configuredPartnerId": self.configured_partner_id,
            "palEligible": any(p.role.pal_eligible for p in self.planned_roles),
            "credentialEndDate": self.end_date,
            "roles": [
                {
                    "role": p.role.name,
                    "roleDefinitionId": p.definition,
                    "scope": p.scope,
                    "palEligible": p.role.pal_eligible,
                    "palListing": p.role.pal.value,
                }
                for p in self.planned_roles
            ],
        }
