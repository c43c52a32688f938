"""A principal, resolved once: ``(name, DeliveryPrincipalArgs) → (PrincipalSpec, problems)``.

Roles are resolved against the catalog, scopes parsed, keys, role definition IDs, child names and the
credential's end date computed here and nowhere else. The stack configuration loader and the
component both call :func:`resolve_principal`, so every rule on a principal lives in this module (the
single-value rules it applies are in :mod:`.validators`) and both paths fail the same way.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import cast

import pulumi

from . import naming
from .args import DeliveryPrincipalArgs, ExistingApplicationArgs, FederatedCredentialArgs, RoleAssignmentArgs
from .azure_ids import GUID_PATTERN, InvalidScopeError, parse_scope, role_definition_id
from .pal.federation import EXCHANGE_AUDIENCES
from .problems import Path, Problem
from .roles import Role, UnknownRoleError, builtin_roles
from .validators import (
    MAX_FEDERATED_CREDENTIALS,
    check_audience,
    check_audiences,
    check_cloud,
    check_credential_lifetime,
    check_display_name,
    check_expiry_warning_days,
    check_federated_credential_name,
    check_issuer,
    check_link_credential,
    check_link_timeout,
    check_object_id,
    check_partner_id,
    check_principal_name,
    check_role_key,
    check_rotation_date,
    check_subject,
    parse_date,
)
from .visible import visible

CONDITION_VERSION = "2.0"
"""The only ABAC condition version Azure RBAC accepts."""
AZURE_DEVOPS_ISSUER_RETIRES = "2027-07-01"


@dataclass(frozen=True)
class LinkTrust:
    """The pipeline token a federated link signs in with: issuer, subject and audience, resolved."""

    issuer: str
    subject: str
    audience: str


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
    existing_assignment_name: str | None = None
    """The GUID of a role assignment that exists already: adopted (imported) and retained on destroy."""

    @property
    def existing_assignment_id(self) -> str | None:
        """The adopted assignment's resource ID, what ``pulumi import`` takes."""
        if self.existing_assignment_name is None:
            return None
        return f"{self.scope}/providers/Microsoft.Authorization/roleAssignments/{self.existing_assignment_name}"


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
    credential_rotated_on: str | None
    credential_end_date: str | None
    """RFC 3339 end of the link password: rotation date plus lifetime, midnight UTC (password links the stack
    creates; None otherwise)."""
    overwrite_existing_link: bool
    cloud: str
    link_timeout_seconds: int
    credential_expiry_warning_days: int
    require_eligible_role: bool
    extra_link_options: Mapping[str, str] = field(default_factory=dict)
    link_credential: str = "password"
    """``password`` or ``federated``."""
    link_trust: LinkTrust | None = None
    """For ``federated``: the issuer, subject and audience the link's federated credential trusts."""
    existing: ExistingApplicationArgs | None = None
    """An application that exists already: no application or service principal is declared for it."""
    link_client_secret: pulumi.Input[str] | None = None
    """An existing principal's password for its link."""
    advice: tuple[str, ...] = ()
    """Warnings for the preview: things that are allowed but likely to bite."""

    @property
    def federated(self) -> bool:
        return self.link_credential == "federated"

    @property
    def declares_link_federated_credential(self) -> bool:
        """Whether the stack adds the link's federated credential to the application."""
        return self.federated and (self.existing is None or self.existing.add_link_federated_credential)

    @property
    def declares_password(self) -> bool:
        return not self.federated and self.existing is None

    @property
    def link_federated_credential_name(self) -> str:
        return naming.link_federated_credential(self.name)

    @property
    def pal_eligible(self) -> bool:
        """Whether any of its roles is on the partner-earned-credit list."""
        return any(r.role.pal_eligible for r in self.roles)

    @property
    def delegated_only(self) -> bool:
        """No role in its own tenant: it earns credit through Azure Lighthouse delegations (docs/lighthouse.md)."""
        return not self.roles

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
    adoptions: dict[str, int] = {}
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
        duplicate = False
        if role is not None and scope_text is not None:
            pair = (role.guid, scope_text.lower())
            if pair in seen:
                duplicate = True
                problems.append(
                    Problem(here, f"duplicates «role_assignments»[{seen[pair]}] ({role.name} at {scope_text}); remove one")
                )
            else:
                seen[pair] = index
        if assignment.key is not None:
            problems += _check((*here, "key"), check_role_key(assignment.key))
        adopted, problem = _existing_assignment(assignment.existing_assignment, scope_text)
        problems += [Problem((*here, "existing_assignment"), problem)] if problem else []
        if adopted is not None:
            # One assignment has one role, scope and principal: adopting it twice means one import can never match.
            if adopted.lower() in adoptions:
                problems.append(
                    Problem(
                        (*here, "existing_assignment"),
                        f"{adopted} is adopted by «role_assignments»[{adoptions[adopted.lower()]}] already; one role "
                        "assignment holds one role at one scope: give each role the assignment that holds it",
                    )
                )
            adoptions.setdefault(adopted.lower(), index)
        if role is None or not (scope_ok or (scope_text is None and assignment.key is not None)):
            continue
        key = assignment.key if assignment.key is not None else naming.role_assignment_key(cast(str, scope_text), role.guid)
        # Explicit and derived keys share one namespace (the resource name): a key copied from another role's
        # derived one would register two resources under one URN.
        if key in keys:
            if not duplicate:  # a duplicate role and scope has the same derived key: said once, above
                problems.append(
                    Problem(
                        (*here, "key") if assignment.key is not None else here,
                        f"key {key!r} is the resource name of «role_assignments»[{keys[key]}] too; give this role another key",
                    )
                )
            continue
        keys[key] = index
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
                existing_assignment_name=adopted,
            )
        )
    return specs, problems


_ASSIGNMENT_ID = re.compile(r"\A(?P<scope>/.+)/providers/Microsoft\.Authorization/roleAssignments/(?P<name>[^/]+)\Z", re.I)


def _existing_assignment(value: object, scope: str | None) -> tuple[str | None, str | None]:
    """(the GUID of an existing role assignment, a problem): its resource ID must be at the role's own scope."""
    if value is None:
        return None, None
    how = (
        "give the existing role assignment's resource ID, as az role assignment list --assignee <client ID> --role "
        '<role> --scope <scope> --query "[].id" -o tsv prints it, or its name (a GUID)'
    )
    if not isinstance(value, str):
        return None, how
    match = _ASSIGNMENT_ID.match(value)
    name = match["name"] if match else value
    if not GUID_PATTERN.match(name):
        return None, f"{value!r} is not a role assignment ID or name; {how}"
    if match and scope is None:
        return None, "give the name (the GUID) only: the scope is an Output, so the ID's scope can't be compared"
    if match and scope is not None and match["scope"].lower() != scope.lower():
        return None, (
            f"{value!r} is a role assignment at {match['scope']}, not at this role's scope {scope}; "
            "give the assignment at the same scope, or move the role's scope"
        )
    return name, None


def _resolve_federated(
    name: str, credentials: list[FederatedCredentialArgs], path: Path, link_credential: bool
) -> tuple[list[FederatedCredentialSpec], list[Problem]]:
    problems: list[Problem] = []
    total = len(credentials) + int(link_credential)
    if total > MAX_FEDERATED_CREDENTIALS:
        counted = f"{len(credentials)} of yours and the link's" if link_credential else f"{len(credentials)}"
        problems.append(
            Problem(
                path,
                f"Entra allows at most {MAX_FEDERATED_CREDENTIALS} federated credentials per application; this one would have "
                f"{total} ({counted}); remove {total - MAX_FEDERATED_CREDENTIALS}",
            )
        )
    names: dict[str, int] = {}
    pairs: dict[tuple[str, str], int] = {}
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
        problems += _check((*here, "audiences"), check_audiences(list(fic.audiences)))
        pair = (fic.issuer, fic.subject)
        if pair in pairs:
            problems.append(
                Problem(
                    here,
                    f"trusts the same issuer and subject as «federated_credentials»[{pairs[pair]}]; Entra allows each pair "
                    "once per application (Microsoft Graph: 'must be unique on the app'): remove one",
                )
            )
        pairs.setdefault(pair, index)
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


def _resolve_link(name: str, args: DeliveryPrincipalArgs, today: dt.date) -> tuple[LinkTrust | None, list[Problem], list[str]]:
    """The link credential's rules: what each choice needs, and nothing it would ignore."""
    problems: list[Problem] = []
    advice: list[str] = []
    problems += _check(("link_credential",), check_link_credential(args.link_credential))
    if problems:
        return None, problems, advice  # the other rules depend on which credential it is
    federated = args.link_credential == "federated"
    existing = args.existing_application
    if existing is not None:
        problems += _check(("existing_application", "client_id"), check_object_id(existing.client_id))
        if existing.object_id is not None:
            problems += _check(("existing_application", "object_id"), check_object_id(existing.object_id))
        if not federated and args.link_client_secret is None:
            problems.append(
                Problem(
                    ("link_client_secret",),
                    "an existing principal's password link needs its client secret: give «link_client_secret» "
                    "as a Pulumi secret, or use the federated link credential",
                )
            )
        if args.credential_rotated_on is not None:
            problems.append(
                Problem(
                    ("credential_rotated_on",), "not used for an existing principal (the stack creates no password); remove it"
                )
            )
    elif args.link_client_secret is not None:
        problems.append(
            Problem(("link_client_secret",), "only for an existing principal; the stack creates this principal's password")
        )
    if federated:
        if args.link_client_secret is not None:
            problems.append(Problem(("link_client_secret",), "a federated link uses no secret; remove it"))
        if existing is None and args.credential_rotated_on is not None:
            problems.append(
                Problem(("credential_rotated_on",), "a federated link has no password to rotate; remove the credential")
            )
    elif existing is None:
        if args.credential_rotated_on is None:
            problems.append(
                Problem(
                    ("credential_rotated_on",), "required for the password link credential; give YYYY-MM-DD, e.g. today's date"
                )
            )
        else:
            problems += _check(("credential_rotated_on",), check_rotation_date(args.credential_rotated_on, today))
        problems += _check(("credential_lifetime_days",), check_credential_lifetime(args.credential_lifetime_days))
    if not federated:
        return None, problems, advice  # a stack-wide trust may be set for other principals; this one uses a password
    federation = args.link_federation
    if federation is None:
        problems.append(
            Problem(
                ("link_federation",), "required for the federated link credential: the issuer and subject of the pipeline's token"
            )
        )
        return None, problems, advice
    problems += _check(("link_federation", "issuer"), check_issuer(federation.issuer))
    problems += _check(("link_federation", "subject"), check_subject(federation.subject))
    if federation.audience is not None:
        problems += _check(("link_federation", "audience"), check_audience(federation.audience))
    audience = federation.audience or EXCHANGE_AUDIENCES.get(args.cloud, EXCHANGE_AUDIENCES["public"])
    for what, value in (("issuer", federation.issuer), ("subject", federation.subject)):
        if isinstance(value, str) and not value.isascii():
            # Entra matches exactly: a Cyrillic 'а' for a Latin 'a' looks right and never matches what GitHub or
            # Azure DevOps present (their identifiers are ASCII).
            advice.append(
                f"DeliveryPrincipal {name!r}: its linkFederation {what} has characters outside ASCII, which look like "
                f"others but never match what a pipeline presents; exactly: {visible(value)}"
            )
    if federation.issuer.startswith("https://vstoken.dev.azure.com/"):
        advice.append(
            f"DeliveryPrincipal {name!r}: its link trusts the Azure DevOps issuer, which Microsoft retires on "
            f"{AZURE_DEVOPS_ISSUER_RETIRES} for public-cloud service connections of single-tenant apps; convert the service "
            "connection to the Entra issuer and set linkFederation's issuer and subject to what it shows "
            "(docs/link-credentials.md)"
        )
    return LinkTrust(federation.issuer, federation.subject, audience), problems, advice


def resolve_principal(
    name: str, args: DeliveryPrincipalArgs, *, today: dt.date | None = None
) -> tuple[PrincipalSpec | None, list[Problem]]:
    """Check ``args`` and compute everything derived from them; a spec only when there is no problem.

    Problems come in argument order, each with its path in Python argument names
    (``role_assignments[0].scope``); the caller renders them in its own vocabulary. ``today`` (UTC by
    default) bounds the credential's rotation date."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    problems: list[Problem] = []
    problems += _check(("name",), check_principal_name(name))
    problems += _check(("partner_id",), check_partner_id(args.partner_id))
    if args.display_name is not None:
        problems += _check(("display_name",), check_display_name(args.display_name))
    trust, link_problems, advice = _resolve_link(name, args, today)
    problems += link_problems
    problems += _check(("cloud",), check_cloud(args.cloud))
    problems += _check(("link_timeout_seconds",), check_link_timeout(args.link_timeout_seconds))
    problems += _check(("credential_expiry_warning_days",), check_expiry_warning_days(args.credential_expiry_warning_days))

    # No role at all is allowed: a managing-tenant principal exists to be linked and named in customers' Azure
    # Lighthouse delegations, where it earns the credit (docs/lighthouse.md). «require_eligible_role» judges the
    # roles a principal holds, so it does not apply to one that holds none.
    roles, role_problems = _resolve_roles(name, list(args.role_assignments), ("role_assignments",))
    problems += role_problems
    all_resolved = bool(roles) and len(roles) == len(args.role_assignments)
    if args.require_eligible_role and all_resolved and not any(r.role.pal_eligible for r in roles):
        problems.append(
            Problem(
                ("role_assignments",),
                f"no role is PEC-eligible ({', '.join(r.role.name for r in roles)}) and «require_eligible_role» "
                "is set; add an eligible role such as Contributor at a scope the principal works on",
            )
        )
    link_fic = args.link_credential == "federated" and (
        args.existing_application is None or args.existing_application.add_link_federated_credential
    )
    federated, federated_problems = _resolve_federated(
        name, list(args.federated_credentials), ("federated_credentials",), link_fic
    )
    problems += federated_problems
    if trust is not None and link_fic:
        for index, fic in enumerate(federated):
            if (fic.issuer, fic.subject) == (trust.issuer, trust.subject):
                problems.append(
                    Problem(
                        ("federated_credentials", index),
                        "trusts the same issuer and subject as the link's federated credential, which Entra allows once per "
                        "application; remove it: the link's credential lets this pipeline sign in too",
                    )
                )
    for index, owner in enumerate(args.owners):
        if isinstance(owner, str):
            problems += _check(("owners", index), check_object_id(owner))
    if args.existing_application is not None and args.owners:
        problems.append(Problem(("owners",), "the stack declares no application for an existing principal; remove owners"))
    if problems:
        return None, problems

    rotated_on = parse_date(args.credential_rotated_on) if args.credential_rotated_on is not None else None
    password = args.link_credential == "password" and args.existing_application is None
    return (
        PrincipalSpec(
            name=name,
            display_name=args.display_name or name,
            partner_id=args.partner_id,
            roles=tuple(roles),
            federated_credentials=tuple(federated),
            owners=tuple(args.owners),
            credential_rotated_on=args.credential_rotated_on if password else None,
            credential_end_date=credential_end_date(rotated_on, args.credential_lifetime_days)
            if password and rotated_on
            else None,
            overwrite_existing_link=args.overwrite_existing_link,
            cloud=args.cloud,
            link_timeout_seconds=args.link_timeout_seconds,
            credential_expiry_warning_days=args.credential_expiry_warning_days,
            require_eligible_role=args.require_eligible_role,
            extra_link_options=dict(args.extra_link_options),
            link_credential=args.link_credential,
            link_trust=trust,
            existing=args.existing_application,
            link_client_secret=args.link_client_secret,
            advice=tuple(advice),
        ),
        [],
    )
