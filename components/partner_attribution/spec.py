"""A principal, resolved once: ``(name, DeliveryPrincipalArgs) → (PrincipalSpec, problems)``.

Roles are resolved against the catalog, scopes parsed, keys, role definition IDs, child names and the
credential's end date computed here and nowhere else. The stack configuration loader and the
component both call :func:`resolve_principal`, so every rule on a principal lives in this module (the
single-value rules it applies are in :mod:`.validators`) and both paths fail the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import cast

import pulumi

from . import naming
from .args import DeliveryPrincipalArgs, FederatedCredentialArgs, RoleAssignmentArgs
from .azure_ids import InvalidScopeError, parse_scope, role_definition_id
from .problems import Path, Problem
from .roles import Role, UnknownRoleError, builtin_roles
from .validators import (
    MAX_FEDERATED_CREDENTIALS,
    check_cloud,
    check_credential_lifetime,
    check_expiry_warning_days,
    check_federated_credential_name,
    check_issuer,
    check_link_timeout,
    check_object_id,
    check_partner_id,
    check_principal_name,
    check_rotation_date,
    check_subject,
    parse_date,
)

CONDITION_VERSION = "2.0"
"""The only ABAC condition version Azure RBAC accepts."""


@dataclass(frozen=True)
class RoleSpec:
    """One role assignment, resolved: what the component declares and the attribution document shows."""

    key: str
    """Stable key: given, or :func:`~partner_attribution.naming.role_assignment_key`."""
    role: Role
    scope: pulumi.Input[str]
    definition_id: pulumi.Input[str]
    """Role definition ID in the form Azure returns at the scope (:func:`~partner_attribution.azure_ids.role_definition_id`)."""
    resource_name: str
    description: str | None = None
    condition: str | None = None
    condition_version: str | None = None


@dataclass(frozen=True)
class FederatedCredentialSpec:
    """A federated identity credential to add to the application."""

    name: str
    resource_name: str
    issuer: str
    subject: str
    audiences: tuple[str, ...]
    description: str | None = None


@dataclass(frozen=True)
class PrincipalSpec:
    """A delivery principal with every derived value computed once."""

    name: str
    display_name: str
    partner_id: str
    roles: tuple[RoleSpec, ...]
    federated_credentials: tuple[FederatedCredentialSpec, ...]
    owners: tuple[pulumi.Input[str], ...]
    credential_rotated_on: str
    credential_end_date: str
    """RFC 3339 end of the link password: rotation date plus lifetime, midnight UTC."""
    overwrite_existing_link: bool
    cloud: str
    link_timeout_seconds: int
    credential_expiry_warning_days: int
    require_eligible_role: bool
    extra_link_options: Mapping[str, str] = field(default_factory=dict)

    @property
    def pal_eligible(self) -> bool:
        """Whether any of its roles is on the partner-earned-credit list."""
        return any(r.role.pal_eligible for r in self.roles)

    @property
    def application_name(self) -> str:
        return naming.application(self.name)

    @property
    def service_principal_name(self) -> str:
        return naming.service_principal(self.name)

    @property
    def password_name(self) -> str:
        return naming.password(self.name)

    @property
    def partner_link_name(self) -> str:
        return naming.partner_link(self.name)


def credential_end_date(rotated_on: dt.date, lifetime_days: int) -> str:
    """RFC 3339 end date of the link password, derived only from configuration, so every evaluation
    declares the same value (no clock)."""
    return f"{(rotated_on + dt.timedelta(days=lifetime_days)).isoformat()}T00:00:00Z"


def _definition_at(scope: pulumi.Input[str], role: Role) -> pulumi.Input[str]:
    """A plain value for a plain scope; for an Output scope, computed (and the scope checked) once known."""
    if isinstance(scope, str):
        return role_definition_id(parse_scope(scope), role.guid)
    return pulumi.Output.from_input(cast(pulumi.Output[str], scope)).apply(
        lambda s: role_definition_id(parse_scope(s), role.guid)
    )


def _check(path: Path, message: str | None) -> list[Problem]:
    return [] if message is None else [Problem(path, message)]


def _resolve_roles(name: str, assignments: list[RoleAssignmentArgs], path: Path) -> tuple[list[RoleSpec], list[Problem]]:
    problems: list[Problem] = []
    specs: list[RoleSpec] = []
    seen: dict[tuple[str, str], int] = {}
    keys: dict[str, int] = {}
    catalog = builtin_roles()
    for index, assignment in enumerate(assignments):
        here = (*path, index)
        role: Role | None = None
        try:
            role = catalog.resolve(assignment.role)
        except (UnknownRoleError, ValueError) as exc:
            problems.append(Problem((*here, "role"), str(exc)))
        scope_text = assignment.scope if isinstance(assignment.scope, str) else None
        scope_ok = scope_text is not None
        if scope_text is not None:
            try:
                parse_scope(scope_text)
            except InvalidScopeError as exc:
                problems.append(Problem((*here, "scope"), str(exc)))
                scope_ok = False
        elif assignment.key is None:
            problems.append(Problem((*here, "key"), "a key is required when the scope is an Output; give a short stable name"))
        if role is not None and role.privileged and not assignment.acknowledge_privileged:
            problems.append(
                Problem(
                    (*here, "role"),
                    f"{role.name} can grant access to others, which a delivery principal rarely needs; "
                    "prefer Contributor, or set «acknowledge_privileged» to true to keep it",
                )
            )
        if assignment.condition_version is not None and assignment.condition is None:
            problems.append(Problem((*here, "condition_version"), "set only together with «condition»"))
        if assignment.condition_version not in (None, CONDITION_VERSION):
            problems.append(Problem((*here, "condition_version"), f"Azure RBAC conditions use version '{CONDITION_VERSION}'"))
        if role is not None and scope_text is not None:
            pair = (role.guid, scope_text.lower())
            if pair in seen:
                problems.append(
                    Problem(here, f"duplicates «role_assignments»[{seen[pair]}] ({role.name} at {scope_text}); remove one")
                )
            else:
                seen[pair] = index
        if assignment.key is not None:
            if assignment.key in keys:
                problems.append(
                    Problem((*here, "key"), f"key {assignment.key!r} is used by «role_assignments»[{keys[assignment.key]}]")
                )
            keys[assignment.key] = index
        if role is None or not (scope_ok or (scope_text is None and assignment.key is not None)):
            continue
        key = assignment.key if assignment.key is not None else naming.role_assignment_key(cast(str, scope_text), role.guid)
        specs.append(
            RoleSpec(
                key=key,
                role=role,
                scope=assignment.scope,
                definition_id=_definition_at(assignment.scope, role),
                resource_name=naming.role_assignment(name, key),
                description=assignment.description,
                condition=assignment.condition,
                condition_version=assignment.condition_version or (CONDITION_VERSION if assignment.condition else None),
            )
        )
    return specs, problems


def _resolve_federated(
    name: str, credentials: list[FederatedCredentialArgs], path: Path
) -> tuple[list[FederatedCredentialSpec], list[Problem]]:
    problems: list[Problem] = []
    if len(credentials) > MAX_FEDERATED_CREDENTIALS:
        problems.append(Problem(path, f"Entra allows at most {MAX_FEDERATED_CREDENTIALS} per application"))
    names: dict[str, int] = {}
    specs = []
    for index, fic in enumerate(credentials):
        here = (*path, index)
        name_problem = check_federated_credential_name(fic.name)
        if name_problem is not None:
            problems.append(Problem((*here, "name"), name_problem))
        elif fic.name in names:
            problems.append(Problem((*here, "name"), f"{fic.name!r} is used by «federated_credentials»[{names[fic.name]}]"))
        names.setdefault(fic.name, index)
        problems += _check((*here, "issuer"), check_issuer(fic.issuer))
        problems += _check((*here, "subject"), check_subject(fic.subject))
        if not fic.audiences:
            problems.append(Problem((*here, "audiences"), "give at least one audience, usually 'api://AzureADTokenExchange'"))
        specs.append(
            FederatedCredentialSpec(
                name=fic.name,
                resource_name=naming.federated_credential(name, fic.name),
                issuer=fic.issuer,
                subject=fic.subject,
                audiences=tuple(fic.audiences),
                description=fic.description,
            )
        )
    return specs, problems


def resolve_principal(name: str, args: DeliveryPrincipalArgs) -> tuple[PrincipalSpec | None, list[Problem]]:
    """Check ``args`` and compute everything derived from them; a spec only when there is no problem.

    Problems come in argument order, each with its path in Python argument names
    (``role_assignments[0].scope``); the caller renders them in its own vocabulary."""
    problems: list[Problem] = []
    problems += _check(("name",), check_principal_name(name))
    problems += _check(("partner_id",), check_partner_id(args.partner_id))
    problems += _check(("credential_rotated_on",), check_rotation_date(args.credential_rotated_on))
    problems += _check(("credential_lifetime_days",), check_credential_lifetime(args.credential_lifetime_days))
    problems += _check(("cloud",), check_cloud(args.cloud))
    problems += _check(("link_timeout_seconds",), check_link_timeout(args.link_timeout_seconds))
    problems += _check(("credential_expiry_warning_days",), check_expiry_warning_days(args.credential_expiry_warning_days))

    if not args.role_assignments:
        problems.append(Problem(("role_assignments",), "give at least one role; PAL credit needs a PAL-eligible role"))
    roles, role_problems = _resolve_roles(name, list(args.role_assignments), ("role_assignments",))
    problems += role_problems
    all_resolved = bool(roles) and len(roles) == len(args.role_assignments)
    if args.require_eligible_role and all_resolved and not any(r.role.pal_eligible for r in roles):
        problems.append(
            Problem(
                ("role_assignments",),
                f"no role is PAL-eligible ({', '.join(r.role.name for r in roles)}) and «require_eligible_role» "
                "is set; add an eligible role such as Contributor at a scope the principal works on",
            )
        )
    federated, federated_problems = _resolve_federated(name, list(args.federated_credentials), ("federated_credentials",))
    problems += federated_problems
    for index, owner in enumerate(args.owners):
        if isinstance(owner, str):
            problems += _check(("owners", index), check_object_id(owner))
    if problems:
        return None, problems

    rotated_on = cast(dt.date, parse_date(args.credential_rotated_on))
    return (
        PrincipalSpec(
            name=name,
            display_name=args.display_name or name,
            partner_id=args.partner_id,
            roles=tuple(roles),
            federated_credentials=tuple(federated),
            owners=tuple(args.owners),
            credential_rotated_on=args.credential_rotated_on,
            credential_end_date=credential_end_date(rotated_on, args.credential_lifetime_days),
            overwrite_existing_link=args.overwrite_existing_link,
            cloud=args.cloud,
            link_timeout_seconds=args.link_timeout_seconds,
            credential_expiry_warning_days=args.credential_expiry_warning_days,
            require_eligible_role=args.require_eligible_role,
            extra_link_options=dict(args.extra_link_options),
        ),
        [],
    )
