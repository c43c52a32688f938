"""A Lighthouse delegation, resolved once: ``(name, LighthouseDelegationArgs) → (DelegationSpec, problems)``.

Every rule of a delegation lives here, each with its source; sources are the keys of
``reference/lighthouse/FACTS.md`` (TUR: "Tenants, users and roles in Azure Lighthouse scenarios"; ONB:
"Onboard a customer to Azure Lighthouse"; ELIG: "Create eligible authorizations"; ARCH: "Azure Lighthouse
architecture"; PEC-2023 and CSP-LH: linking the partner ID with Lighthouse; SPEC: the Microsoft.ManagedServices
2022-10-01 REST specification; POL: "Deploy a policy that can be remediated within a delegated subscription",
learn.microsoft.com/azure/lighthouse/how-to/deploy-policy-remediation, ms.date 01/20/2026). Every problem is reported
at once, with its path in Python argument names
(``authorizations[0].role``), before anything is declared; the component and a stack configuration loader call
:func:`resolve_delegation` alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import pulumi

from ..azure_ids import GUID_PATTERN, InvalidScopeError, parse_scope
from ..problems import Path, Problem
from ..roles import Role, UnknownRoleError, builtin_roles
from ..validators import CONTROL_CHARACTERS, check_cloud, check_principal_name
from . import naming
from .args import (
    LighthouseApproverArgs,
    LighthouseAuthorizationArgs,
    LighthouseDelegationArgs,
    LighthouseEligibleAuthorizationArgs,
    StackPrincipalReference,
)
from .role_support import AUTHORIZATION_WRITE, DATA_ACTIONS
from .unsupported_roles import UNCHECKED, UNSUPPORTED

OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
REGISTRATION_ASSIGNMENT_DELETE_ROLE = "91c1777a-f3dc-4fae-b103-61d183457e46"
"""Managed Services Registration Assignment Delete Role: lets the managing tenant remove the delegation (TUR, REM)."""
PRINCIPAL_TYPES = ("User", "Group", "ServicePrincipal")
MULTI_FACTOR_AUTH_PROVIDERS = ("Azure", "None")
"""SPEC ``JustInTimeAccessPolicy.multiFactorAuthProvider`` enum."""
MIN_ACTIVATION_SECONDS, MAX_ACTIVATION_SECONDS = 30 * 60, 8 * 3600
"""ELIG: maximum activation duration from 30 minutes to 8 hours."""
MAX_APPROVERS = 10
"""ELIG: at most 10 approvers per eligible authorization."""
DELEGABLE_SCOPES = ("subscription", "resource group")
"""ARCH, ONB: an assignment delegates a subscription or a resource group."""
_DURATION = re.compile(r"\APT(?:(?P<h>[0-9]+)H)?(?:(?P<m>[0-9]+)M)?(?:(?P<s>[0-9]+)S)?\Z")
"""ASCII digits only (``\\d`` would take Arabic-Indic ones), to the end of the string (``$`` would take ``PT4H\\n``)."""


@dataclass(frozen=True)
class AuthorizationSpec:
    """A permanent authorization, resolved."""

    principal_id: pulumi.Input[str]
    principal_display_name: str
    role: Role
    pal_linked: bool
    principal_type: str | None
    delegated_roles: tuple[Role, ...] = ()
    """For User Access Administrator: the roles it may assign to managed identities."""

    @property
    def role_definition_id(self) -> str:
        """The role's GUID, the form of ``roleDefinitionId`` in the REST examples and Microsoft's templates."""
        return self.role.guid

    @property
    def delegated_role_definition_ids(self) -> list[str]:
        return [r.guid for r in self.delegated_roles]

    @property
    def earns_credit(self) -> bool:
        """PAL-linked and PEC-eligible: what makes Microsoft attribute the delegated usage to the partner (PEC-2023)."""
        return self.pal_linked and self.role.pal_eligible


@dataclass(frozen=True)
class ApproverSpec:
    """A just-in-time approver."""

    principal_id: pulumi.Input[str]
    principal_display_name: str | None


@dataclass(frozen=True)
class EligibleAuthorizationSpec:
    """A just-in-time authorization, resolved. It never earns partner credit (PEC-2023)."""

    principal_id: pulumi.Input[str]
    principal_display_name: str
    role: Role
    principal_type: str | None
    maximum_activation_duration: str
    multi_factor_auth_provider: str
    approvers: tuple[ApproverSpec, ...]

    @property
    def role_definition_id(self) -> str:
        return self.role.guid


@dataclass(frozen=True)
class AssignmentSpec:
    """A registration assignment: the definition delegated at one scope."""

    scope: str
    kind: str
    """``subscription`` or ``resource group``."""
    resource_name: str
    assignment_id: str
    """The GUID Azure names it by (``registrationAssignmentId``)."""
    definition_resource_id: str
    """Full resource ID of its definition (the ``registrationDefinitionId`` property)."""

    @property
    def resource_id(self) -> str:
        return naming.assignment_resource_id(self.scope, self.assignment_id)


@dataclass(frozen=True)
class DefinitionSpec:
    """A registration definition, in one subscription (ARCH), with its assignments."""

    subscription_id: str
    scope: str
    """``/subscriptions/<id>``: where the definition is created."""
    resource_name: str
    definition_id: str
    """The GUID Azure names it by (``registrationDefinitionId`` in the path)."""
    assignments: tuple[AssignmentSpec, ...]

    @property
    def resource_id(self) -> str:
        return naming.definition_resource_id(self.scope, self.definition_id)


@dataclass(frozen=True)
class DelegationSpec:
    """A delegation with every derived value computed once."""

    name: str
    offer_name: str
    description: str | None
    managing_tenant_id: str
    """Lower case."""
    authorizations: tuple[AuthorizationSpec, ...]
    eligible_authorizations: tuple[EligibleAuthorizationSpec, ...]
    definitions: tuple[DefinitionSpec, ...]
    allow_no_partner_credit: bool
    advice: tuple[str, ...] = ()
    """Warnings for the preview: allowed, but likely to bite."""

    @property
    def credited(self) -> tuple[AuthorizationSpec, ...]:
        """The permanent authorizations that earn partner credit."""
        return tuple(a for a in self.authorizations if a.earns_credit)

    @property
    def earns_credit(self) -> bool:
        return bool(self.credited)

    @property
    def every_authorization(self) -> tuple[AuthorizationSpec | EligibleAuthorizationSpec, ...]:
        """Permanent authorizations, then eligible ones (the order of the component's ``authorizations`` output)."""
        return (*self.authorizations, *self.eligible_authorizations)

    @property
    def assignments(self) -> tuple[AssignmentSpec, ...]:
        return tuple(a for d in self.definitions for a in d.assignments)


def _text_problem(value: object, what: str, *, required: bool = True) -> str | None:
    if not isinstance(value, str) or (required and not value.strip()):
        return f"give the {what} as text"
    if value != value.strip():
        return f"the {what} has leading or trailing spaces; remove them"
    if CONTROL_CHARACTERS.search(value):
        return (
            f"the {what} contains a control or invisible character (a line break, tab, zero-width or direction "
            "override); use printable characters only"
        )
    return None


def _object_id(value: object, whose: str) -> str | None:
    """A plain principal ID must be a GUID; an Output (or a managing stack's principal, by name) is taken as it is."""
    if isinstance(value, StackPrincipalReference):
        return None
    if isinstance(value, str):
        return None if GUID_PATTERN.match(value) else f"{value!r} is not an object ID (GUID); give the {whose}'s object ID"
    if isinstance(value, pulumi.Output) or hasattr(value, "__await__"):
        return None
    return f"give the {whose}'s object ID as a GUID string or a Pulumi Output"


def _principal_key(value: pulumi.Input[str]) -> object:
    """Equal for the same principal: a GUID compared case-insensitively, an Output by identity."""
    if isinstance(value, StackPrincipalReference):
        return ("managing stack", value.name)
    return value.lower() if isinstance(value, str) else ("output", id(value))


def _activation_seconds(value: object) -> int | None:
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match is None or not any(match.groupdict().values()):
        return None
    return sum(int(match[unit] or 0) * factor for unit, factor in (("h", 3600), ("m", 60), ("s", 1)))


def _unsupported_message(role: Role) -> str | None:
    """Why Lighthouse refuses ``role`` in any authorization (TUR), or None; User Access Administrator is ruled on
    separately."""
    if not role.built_in:
        return (
            f"{role.guid} is not an Azure built-in role; Azure Lighthouse does not support custom roles (TUR): "
            "use a built-in role such as Contributor"
        )
    if role.guid == OWNER:
        return (
            "Azure Lighthouse does not support Owner (TUR); use Contributor, and User Access Administrator with "
            "«delegated_role_definition_ids» if the principal must assign roles to managed identities"
        )
    if role.guid == USER_ACCESS_ADMINISTRATOR:
        return None
    if role.guid in UNCHECKED:
        return (
            f"{role.name} is a tenant-level role, not one of a subscription or resource group, and its permissions are "
            "not in the table this project checks (lighthouse/unsupported_roles.py); use a role such as Contributor"
        )
    reasons = UNSUPPORTED[role.guid][1].split() if role.guid in UNSUPPORTED else []
    found = []
    if DATA_ACTIONS in reasons:
        found.append("has DataActions")
    if AUTHORIZATION_WRITE in reasons:
        found.append("can write or delete role assignments, role definitions or locks (Microsoft.Authorization)")
    if not found:
        return None
    return (
        f"{role.name} {' and '.join(found)}, which Azure Lighthouse does not support (TUR); use a role without them, "
        "such as Contributor (or Reader to read), and User Access Administrator with «delegated_role_definition_ids» "
        "to assign roles to managed identities"
    )


def _undelegable_message(role: Role) -> str | None:
    """Why User Access Administrator may not assign ``role`` to managed identities, or None. POL: the delegated roles
    may include any built-in role Azure Lighthouse supports (TUR) except User Access Administrator or Owner."""
    if role.guid in (USER_ACCESS_ADMINISTRATOR, OWNER):
        return (
            f"{role.name} can't be delegated: User Access Administrator may assign any built-in role Azure Lighthouse "
            "supports to managed identities, except User Access Administrator or Owner (POL); list roles such as "
            "Contributor"
        )
    refusal = _unsupported_message(role)
    if refusal is None:
        return None
    return f"can't be delegated: User Access Administrator may only assign roles Azure Lighthouse supports (POL): {refusal}"


def _resolve_role(reference: object, path: Path) -> tuple[Role | None, list[Problem]]:
    """A role reference resolved against the catalog; None with a problem when it is not a built-in role name, GUID
    or role definition ID."""
    if not isinstance(reference, str):
        return None, [Problem(path, "give the role as a built-in role name, role definition GUID or role definition ID")]
    try:
        return builtin_roles().resolve(reference), []
    except UnknownRoleError as exc:
        hint = f"; did you mean {', '.join(repr(s) for s in exc.suggestions)}?" if exc.suggestions else ""
        message = f"{reference!r} is not an Azure built-in role name{hint} Azure Lighthouse accepts built-in roles only (TUR)"
        return None, [Problem(path, message)]
    except ValueError as exc:
        return None, [Problem(path, str(exc))]


def _check_type(value: object, path: Path) -> list[Problem]:
    if value is None or value in PRINCIPAL_TYPES:
        return []
    return [Problem(path, f"{value!r}: use one of {', '.join(PRINCIPAL_TYPES)}, or leave it unset")]


def _resolve_authorizations(
    authorizations: Sequence[LighthouseAuthorizationArgs],
) -> tuple[list[AuthorizationSpec], list[Problem]]:
    problems: list[Problem] = []
    specs: list[AuthorizationSpec] = []
    seen: dict[tuple[object, str], int] = {}
    if not authorizations:
        problems.append(
            Problem(
                ("authorizations",),
                "give at least one permanent authorization (SPEC: required): the managing tenant's PAL-linked service "
                "principal with a PEC-eligible built-in role such as Contributor",
            )
        )
    for index, auth in enumerate(authorizations):
        here: Path = ("authorizations", index)
        problem = _object_id(auth.principal_id, "principal in the managing tenant")
        problems += [Problem((*here, "principal_id"), problem)] if problem else []
        problem = _text_problem(auth.principal_display_name, "display name shown to the customer")
        problems += [Problem((*here, "principal_display_name"), problem)] if problem else []
        problems += _check_type(auth.principal_type, (*here, "principal_type"))
        role, role_problems = _resolve_role(auth.role, (*here, "role"))
        problems += role_problems
        refusal = _unsupported_message(role) if role is not None else None
        if refusal is not None:
            problems.append(Problem((*here, "role"), refusal))
        delegated: list[Role] = []
        delegated_ok = True
        if role is not None and role.guid == USER_ACCESS_ADMINISTRATOR and not auth.delegated_role_definition_ids:
            # TUR, ONB: only to assign roles to managed identities, listed in delegatedRoleDefinitionIds; SPEC: required.
            problems.append(
                Problem(
                    (*here, "delegated_role_definition_ids"),
                    "User Access Administrator is supported by Azure Lighthouse only to assign roles to managed identities "
                    "(TUR): list the built-in roles it may assign in «delegated_role_definition_ids», e.g. ['Contributor']",
                )
            )
        if role is not None and role.guid != USER_ACCESS_ADMINISTRATOR and auth.delegated_role_definition_ids:
            problems.append(
                Problem(
                    (*here, "delegated_role_definition_ids"),
                    f"only User Access Administrator uses «delegated_role_definition_ids» (SPEC), not {role.name}; "
                    "remove them, or make the role User Access Administrator",
                )
            )
        delegated_seen: dict[str, int] = {}
        for position, reference in enumerate(auth.delegated_role_definition_ids):
            where: Path = (*here, "delegated_role_definition_ids", position)
            delegated_role, delegated_problems = _resolve_role(reference, where)
            problems += delegated_problems
            if delegated_role is None:
                delegated_ok = False
                continue
            if not delegated_role.built_in:
                problems.append(
                    Problem(
                        where,
                        f"{delegated_role.guid} is not a built-in role; Azure Lighthouse supports built-in roles only (TUR)",
                    )
                )
                delegated_ok = False
            elif (refusal := _undelegable_message(delegated_role)) is not None:
                problems.append(Problem(where, refusal))
                delegated_ok = False
            elif delegated_role.guid in delegated_seen:
                problems.append(
                    Problem(where, f"{delegated_role.name} is listed twice (also at [{delegated_seen[delegated_role.guid]}])")
                )
            delegated_seen.setdefault(delegated_role.guid, position)
            delegated.append(delegated_role)
        if role is None:
            continue
        pair = (_principal_key(auth.principal_id), role.guid)
        if pair in seen:
            problems.append(
                Problem(here, f"duplicates «authorizations»[{seen[pair]}] (the same principal with {role.name}); remove one")
            )
        seen.setdefault(pair, index)
        if delegated_ok:
            specs.append(
                AuthorizationSpec(
                    principal_id=auth.principal_id,
                    principal_display_name=auth.principal_display_name,
                    role=role,
                    pal_linked=auth.pal_linked,
                    principal_type=auth.principal_type,
                    delegated_roles=tuple(delegated) if role.guid == USER_ACCESS_ADMINISTRATOR else (),
                )
            )
    return specs, problems


def _service_principals(authorizations: Sequence[LighthouseAuthorizationArgs]) -> dict[object, tuple[int, str]]:
    """Principals known to be service principals: declared so, or PAL-linked with no type given (the managing stack's
    delivery principal): key → (authorization index, why)."""
    known: dict[object, tuple[int, str]] = {}
    for index, auth in enumerate(authorizations):
        if auth.principal_type == "ServicePrincipal":
            known.setdefault(_principal_key(auth.principal_id), (index, "a service principal"))
        elif auth.pal_linked and auth.principal_type is None:
            known.setdefault(
                _principal_key(auth.principal_id), (index, "PAL-linked with no «principal_type», so taken as a service principal")
            )
    return known


def _resolve_approvers(approvers: Sequence[LighthouseApproverArgs], path: Path) -> tuple[list[ApproverSpec], list[Problem]]:
    problems: list[Problem] = []
    if len(approvers) > MAX_APPROVERS:
        problems.append(
            Problem(path, f"{len(approvers)} approvers; Azure Lighthouse allows at most {MAX_APPROVERS} (ELIG): remove some")
        )
    seen: dict[object, int] = {}
    for index, approver in enumerate(approvers):
        here: Path = (*path, index)
        problem = _object_id(approver.principal_id, "approving user or group")
        problems += [Problem((*here, "principal_id"), problem)] if problem else []
        if approver.principal_display_name is not None:
            problem = _text_problem(approver.principal_display_name, "approver's display name")
            problems += [Problem((*here, "principal_display_name"), problem)] if problem else []
        problems += _check_type(approver.principal_type, (*here, "principal_type"))
        if approver.principal_type == "ServicePrincipal":
            problems.append(
                Problem(
                    (*here, "principal_type"),
                    "approvers are users or groups, not service principals (ELIG); name a user or group",
                )
            )
        key = _principal_key(approver.principal_id)
        if key in seen:
            problems.append(Problem(here, f"the same approver as [{seen[key]}]; remove one"))
        seen.setdefault(key, index)
    return [ApproverSpec(a.principal_id, a.principal_display_name) for a in approvers], problems


def _policy_key(spec: EligibleAuthorizationSpec) -> tuple[object, ...]:
    return (
        spec.maximum_activation_duration,
        spec.multi_factor_auth_provider,
        tuple(sorted(str(_principal_key(a.principal_id)) for a in spec.approvers)),
    )


def _resolve_eligible(
    eligible: Sequence[LighthouseEligibleAuthorizationArgs],
    authorizations: Sequence[LighthouseAuthorizationArgs],
    cloud: str,
) -> tuple[list[EligibleAuthorizationSpec], list[Problem], list[str]]:
    problems: list[Problem] = []
    advice: list[str] = []
    specs: list[EligibleAuthorizationSpec] = []
    if eligible and cloud != "public":
        problems.append(
            Problem(
                ("eligible_authorizations",),
                f"just-in-time (eligible) authorizations are not supported in national clouds (ELIG), and «cloud» is "
                f"{cloud!r}; remove them or make them permanent authorizations",
            )
        )
    service_principals = _service_principals(authorizations)
    permanent_principals = {_principal_key(a.principal_id) for a in authorizations}
    seen: dict[tuple[object, str], int] = {}
    by_role: dict[str, tuple[int, tuple[object, ...]]] = {}
    for index, item in enumerate(eligible):
        here: Path = ("eligible_authorizations", index)
        problem = _object_id(item.principal_id, "user or group in the managing tenant")
        problems += [Problem((*here, "principal_id"), problem)] if problem else []
        problem = _text_problem(item.principal_display_name, "display name shown to the customer")
        problems += [Problem((*here, "principal_display_name"), problem)] if problem else []
        problems += _check_type(item.principal_type, (*here, "principal_type"))
        key = _principal_key(item.principal_id)
        # ELIG, ONB: a service principal cannot activate an eligible authorization.
        if item.principal_type == "ServicePrincipal":
            problems.append(
                Problem(
                    (*here, "principal_type"),
                    "a service principal cannot use a just-in-time (eligible) authorization (ELIG): it has no way to "
                    "activate it; give it a permanent authorization in «authorizations» instead",
                )
            )
        elif key in service_principals:
            at, why = service_principals[key]
            problems.append(
                Problem(
                    (*here, "principal_id"),
                    f"names the principal of «authorizations»[{at}], which is {why}; a service principal cannot use a "
                    "just-in-time (eligible) authorization (ELIG): remove this one, or set that authorization's "
                    "«principal_type» to 'User' or 'Group' if it is one",
                )
            )
        role, role_problems = _resolve_role(item.role, (*here, "role"))
        problems += role_problems
        if role is not None and role.guid == USER_ACCESS_ADMINISTRATOR:
            problems.append(
                Problem(
                    (*here, "role"),
                    "User Access Administrator cannot be a just-in-time (eligible) authorization (ELIG); make it a permanent "
                    "authorization with «delegated_role_definition_ids»",
                )
            )
        elif role is not None:
            refusal = _unsupported_message(role)
            if refusal is not None:
                problems.append(Problem((*here, "role"), refusal))
        seconds = _activation_seconds(item.maximum_activation_duration)
        if seconds is None or not MIN_ACTIVATION_SECONDS <= seconds <= MAX_ACTIVATION_SECONDS:
            shown = "is not an ISO 8601 duration" if seconds is None else "is out of range"
            problems.append(
                Problem(
                    (*here, "maximum_activation_duration"),
                    f"{item.maximum_activation_duration!r} {shown}; use PT30M to PT8H, e.g. 'PT4H' or 'PT1H30M' (ELIG)",
                )
            )
        if item.multi_factor_auth_provider not in MULTI_FACTOR_AUTH_PROVIDERS:
            problems.append(
                Problem(
                    (*here, "multi_factor_auth_provider"),
                    f"{item.multi_factor_auth_provider!r}: use 'Azure' (require multifactor authentication) or 'None' (SPEC)",
                )
            )
        approvers, approver_problems = _resolve_approvers(list(item.approvers), (*here, "approvers"))
        problems += approver_problems
        if role is None:
            continue
        pair = (key, role.guid)
        if pair in seen:
            problems.append(
                Problem(
                    here, f"duplicates «eligible_authorizations»[{seen[pair]}] (the same principal with {role.name}); remove one"
                )
            )
        seen.setdefault(pair, index)
        spec = EligibleAuthorizationSpec(
            principal_id=item.principal_id,
            principal_display_name=item.principal_display_name,
            role=role,
            principal_type=item.principal_type,
            maximum_activation_duration=item.maximum_activation_duration,
            multi_factor_auth_provider=item.multi_factor_auth_provider,
            approvers=tuple(approvers),
        )
        # ELIG: eligible authorizations with the same role must have the same access policy.
        policy = _policy_key(spec)
        if role.guid in by_role and by_role[role.guid][1] != policy:
            problems.append(
                Problem(
                    here,
                    f"uses {role.name} like «eligible_authorizations»[{by_role[role.guid][0]}] with a different just-in-time "
                    "policy; Azure requires the same duration, multifactor setting and approvers for the same role (ELIG): "
                    "make them equal",
                )
            )
        by_role.setdefault(role.guid, (index, policy))
        # ELIG: without a permanent authorization (e.g. Reader) the user cannot elevate in the portal.
        if isinstance(item.principal_id, str) and key not in permanent_principals:
            advice.append(
                f"eligible_authorizations[{index}] ({item.principal_display_name}) has no permanent authorization for the "
                "same principal; Microsoft advises pairing it with one such as Reader, or the user cannot elevate in "
                "the Azure portal"
            )
        specs.append(spec)
    return specs, problems, advice


def _resolve_scopes(name: str, args: LighthouseDelegationArgs, owner: str) -> tuple[list[DefinitionSpec], list[Problem]]:
    problems: list[Problem] = []
    if not args.scopes:
        problems.append(
            Problem(
                ("scopes",), "give at least one delegated scope: /subscriptions/<id> or /subscriptions/<id>/resourceGroups/<name>"
            )
        )
    by_subscription: dict[str, list[tuple[str, str]]] = {}
    seen: dict[str, int] = {}
    for index, scope in enumerate(args.scopes):
        here: Path = ("scopes", index)
        if not isinstance(scope, str):
            problems.append(
                Problem(
                    here,
                    "give the scope as a plain string: the registrations' names are derived from it, and a definition "
                    "is created in its subscription (ARCH)",
                )
            )
            continue
        try:
            parsed = parse_scope(scope)
        except InvalidScopeError as exc:
            problems.append(Problem(here, f"{exc}; Azure Lighthouse delegates a subscription or a resource group"))
            continue
        if parsed.kind == "management group":
            problems.append(
                Problem(
                    here,
                    "Azure Lighthouse cannot delegate a management group in one deployment (ONB); list each of its "
                    "subscriptions (Azure Policy can onboard every subscription of a management group)",
                )
            )
            continue
        if parsed.kind not in DELEGABLE_SCOPES:
            problems.append(
                Problem(
                    here,
                    "Azure Lighthouse delegates a subscription or a resource group, not a single resource (ARCH); give the "
                    "resource group that contains it: /subscriptions/<id>/resourceGroups/<name>",
                )
            )
            continue
        if scope.lower() in seen:
            problems.append(Problem(here, f"{scope} is already delegated by «scopes»[{seen[scope.lower()]}]; remove one"))
            continue
        seen[scope.lower()] = index
        by_subscription.setdefault(str(parsed.subscription_id), []).append((scope, parsed.kind))
    if problems or not isinstance(args.managing_tenant_id, str) or not isinstance(args.offer_name, str):
        return [], problems
    definitions = []
    for subscription_id, scopes in by_subscription.items():
        subscription_scope = f"/subscriptions/{subscription_id}"
        definition_guid = naming.registration_definition_id(args.managing_tenant_id, args.offer_name, subscription_scope, owner)
        definition_resource_id = naming.definition_resource_id(subscription_scope, definition_guid)
        definitions.append(
            DefinitionSpec(
                subscription_id=subscription_id,
                scope=subscription_scope,
                resource_name=naming.definition(name, subscription_scope),
                definition_id=definition_guid,
                assignments=tuple(
                    AssignmentSpec(
                        scope=scope,
                        kind=kind,
                        resource_name=naming.assignment(name, scope),
                        assignment_id=naming.registration_assignment_id(definition_guid, scope),
                        definition_resource_id=definition_resource_id,
                    )
                    for scope, kind in scopes
                ),
            )
        )
    return definitions, problems


def _credit_gap(authorizations: Sequence[AuthorizationSpec]) -> str | None:
    """Why no authorization earns partner credit, or None when one does. The attribution rule (PEC-2023, CSP-LH): a
    permanent authorization for a PAL-linked principal with a PEC-eligible built-in role; eligible (just-in-time)
    authorizations never earn credit."""
    if any(a.earns_credit for a in authorizations):
        return None
    linked = [a for a in authorizations if a.pal_linked]
    if linked:
        held = ", ".join(f"{a.principal_display_name}: {a.role.name} ({a.role.pal.value})" for a in linked)
        return f"the PAL-linked principals hold no PEC-eligible role ({held})"
    return "no authorization names a PAL-linked principal (none sets «pal_linked»)"


def resolve_delegation(
    name: str, args: LighthouseDelegationArgs, *, project: str | None = None, stack: str | None = None
) -> tuple[DelegationSpec | None, list[Problem]]:
    """Check ``args`` and compute everything derived from them; a spec only when there is no problem.

    ``project`` and ``stack`` (default: the running Pulumi program's) are part of each registration definition's
    GUID, with the delegation's ``name`` (:func:`.naming.registration_definition_id`).

    Problems come in argument order, each with its path in Python argument names (``authorizations[1].role``); the
    caller renders them in its own vocabulary. Nothing here depends on a clock or on Azure."""
    problems: list[Problem] = []
    problem = check_principal_name(name)
    problems += [Problem(("name",), problem)] if problem else []
    problem = _text_problem(args.offer_name, "offer name")
    problems += [Problem(("offer_name",), problem)] if problem else []
    if args.description is not None and not isinstance(args.description, str):
        problems.append(Problem(("description",), "give the description as text"))
    if not (isinstance(args.managing_tenant_id, str) and GUID_PATTERN.match(args.managing_tenant_id)):
        problems.append(
            Problem(
                ("managing_tenant_id",),
                f"{args.managing_tenant_id!r} is not a tenant ID (GUID); give the partner's managing tenant ID (SPEC "
                "managedByTenantId), e.g. from 'az account show --query tenantId'",
            )
        )
    problem = check_cloud(args.cloud)
    problems += [Problem(("cloud",), problem)] if problem else []
    authorizations, authorization_problems = _resolve_authorizations(list(args.authorizations))
    problems += authorization_problems
    eligible, eligible_problems, advice = _resolve_eligible(
        list(args.eligible_authorizations), list(args.authorizations), args.cloud
    )
    problems += eligible_problems
    owner = naming.definition_owner(
        project if project is not None else pulumi.get_project() or "",
        stack if stack is not None else pulumi.get_stack() or "",
        name,
    )
    definitions, scope_problems = _resolve_scopes(name, args, owner)
    problems += scope_problems

    # Judged on valid authorizations only: a refused role is reported once, by its own rule.
    gap = _credit_gap(authorizations) if authorizations and not authorization_problems else None
    if gap is not None and not args.allow_no_partner_credit:
        problems.append(
            Problem(
                ("authorizations",),
                f"this delegation earns no partner credit: {gap}. Add a permanent authorization for the "
                "managing tenant's PAL-linked service principal with a PEC-eligible built-in role such as Contributor "
                "(just-in-time authorizations never earn credit), or set «allow_no_partner_credit» to true if the "
                "delegation is not meant to earn it",
            )
        )
    if problems:
        return None, problems

    if gap is not None:
        warning = f"this delegation earns no partner credit: {gap}; allowed because «allow_no_partner_credit» is set"
        advice.insert(0, Problem((), warning).render())
    if not any(a.role.guid == REGISTRATION_ASSIGNMENT_DELETE_ROLE for a in authorizations):
        # TUR, ONB, REM: without it only the customer can remove the delegation.
        advice.append(
            "no authorization holds Managed Services Registration Assignment Delete Role, so only the customer can remove "
            "this delegation; Microsoft advises adding one for an operator of the managing tenant"
        )
    return (
        DelegationSpec(
            name=name,
            offer_name=args.offer_name,
            description=args.description,
            managing_tenant_id=args.managing_tenant_id.lower(),
            authorizations=tuple(authorizations),
            eligible_authorizations=tuple(eligible),
            definitions=tuple(definitions),
            allow_no_partner_credit=args.allow_no_partner_credit,
            advice=tuple(advice),
        ),
        [],
    )


def references(spec: DelegationSpec) -> tuple[StackPrincipalReference, ...]:
    """The managing stack's principals the spec names by name (stand-ins not yet bound), each once, in order."""
    found = [a.principal_id for a in spec.every_authorization if isinstance(a.principal_id, StackPrincipalReference)]
    return tuple(dict.fromkeys(found))


def bind_principals(spec: DelegationSpec, object_id: Callable[[StackPrincipalReference], pulumi.Input[str]]) -> DelegationSpec:
    """The same spec with every :class:`StackPrincipalReference` replaced by ``object_id(reference)`` (an Output read
    through the managing stack's ``StackReference``). Names and GUIDs do not depend on principal IDs, so nothing else
    changes."""

    def bound(value: pulumi.Input[str]) -> pulumi.Input[str]:
        return object_id(value) if isinstance(value, StackPrincipalReference) else value

    return replace(
        spec,
        authorizations=tuple(replace(a, principal_id=bound(a.principal_id)) for a in spec.authorizations),
        eligible_authorizations=tuple(replace(a, principal_id=bound(a.principal_id)) for a in spec.eligible_authorizations),
    )
