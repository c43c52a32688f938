"""The rules a delivery principal's arguments must satisfy, shared by the stack configuration
loader and the component, so a partner's own program and the bundled one fail the same way.

Every rule reports a :class:`Problem` with a structured path; callers render the path in their
own vocabulary (config keys or Python argument names).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .args import DeliveryPrincipalArgs
from .azure_ids import InvalidScopeError, parse_scope
from .roles import GUID_PATTERN, Role, UnknownRoleError, builtin_roles

Path = tuple[str | int, ...]

PARTNER_ID_PATTERN = re.compile(r"^[0-9]{4,10}$")
FEDERATED_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$")
CLOUDS = ("public", "usgovernment", "china")
MAX_LIFETIME_DAYS = 730
MAX_FEDERATED_CREDENTIALS = 20  # Entra limit per application
MIN_LINK_TIMEOUT, MAX_LINK_TIMEOUT = 30, 3600


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the arguments, and what would be valid.

    Field names inside ``message`` are written ``«python_name»`` so each caller can show them
    in its own vocabulary (config keys for stack configuration, argument names for Python).
    """

    path: Path
    message: str

    def render(self, rename: dict[str, str] | None = None) -> str:
        text = self.message
        for name in re.findall(r"«(\w+)»", text):
            text = text.replace(f"«{name}»", (rename or {}).get(name, name))
        return f"{format_path(self.path, rename)}: {text}" if self.path else text


def check_partner_id(value: object, path: Path) -> list[Problem]:
    if not isinstance(value, str) or not PARTNER_ID_PATTERN.match(value):
        return [
            Problem(
                path,
                f"{value!r} is not a Microsoft partner ID; use the numeric Associated Partner ID "
                "of your partner location from Partner Center (4 to 10 digits, e.g. '1234567')",
            )
        ]
    return []


def parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else None
    except ValueError:
        return None


def credential_end_date(rotated_on: str, lifetime_days: int) -> str:
    """RFC 3339 end date of the link password: rotation date plus lifetime, at midnight UTC.

    Derived only from configuration, so every evaluation declares the same value."""
    start = parse_date(rotated_on)
    if start is None:
        raise ValueError(f"{rotated_on!r} is not a date (YYYY-MM-DD)")
    return f"{(start + dt.timedelta(days=lifetime_days)).isoformat()}T00:00:00Z"


def _resolve_role(reference: str, path: Path) -> tuple[Role | None, list[Problem]]:
    try:
        return builtin_roles().resolve(reference), []
    except UnknownRoleError as exc:
        return None, [Problem(path, str(exc))]
    except ValueError as exc:
        return None, [Problem(path, str(exc))]


def validate_principal(args: DeliveryPrincipalArgs, path: Path = ()) -> list[Problem]:
    """All problems with one principal's arguments, in argument order."""
    problems: list[Problem] = []
    problems += check_partner_id(args.partner_id, (*path, "partner_id"))

    if parse_date(args.credential_rotated_on) is None:
        problems.append(
            Problem(
                (*path, "credential_rotated_on"),
                f"{args.credential_rotated_on!r} is not a date; use YYYY-MM-DD, e.g. the day you rotate the credential",
            )
        )
    if not 1 <= args.credential_lifetime_days <= MAX_LIFETIME_DAYS:
        problems.append(
            Problem(
                (*path, "credential_lifetime_days"),
                f"{args.credential_lifetime_days} is out of range; use 1 to {MAX_LIFETIME_DAYS} days",
            )
        )
    if args.cloud not in CLOUDS:
        problems.append(Problem((*path, "cloud"), f"{args.cloud!r} is not a known cloud; use one of {', '.join(CLOUDS)}"))
    if not MIN_LINK_TIMEOUT <= args.link_timeout_seconds <= MAX_LINK_TIMEOUT:
        problems.append(
            Problem(
                (*path, "link_timeout_seconds"),
                f"{args.link_timeout_seconds} is out of range; use {MIN_LINK_TIMEOUT} to {MAX_LINK_TIMEOUT} seconds",
            )
        )
    if args.credential_expiry_warning_days < 0:
        problems.append(Problem((*path, "credential_expiry_warning_days"), "must be 0 or more days"))

    if not args.role_assignments:
        problems.append(Problem((*path, "role_assignments"), "give at least one role; PAL credit needs a PAL-eligible role"))
    seen: dict[tuple[str, str], int] = {}
    keys: dict[str, int] = {}
    resolved: list[Role] = []
    for index, assignment in enumerate(args.role_assignments):
        here = (*path, "role_assignments", index)
        role, role_problems = _resolve_role(assignment.role, (*here, "role"))
        problems += role_problems
        if role is not None:
            resolved.append(role)
        scope_text = assignment.scope if isinstance(assignment.scope, str) else None
        if scope_text is not None:
            try:
                parse_scope(scope_text)
            except InvalidScopeError as exc:
                problems.append(Problem((*here, "scope"), str(exc)))
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
        if assignment.condition_version not in (None, "2.0"):
            problems.append(Problem((*here, "condition_version"), "Azure RBAC conditions use version '2.0'"))
        if role is not None and scope_text is not None:
            pair = (role.guid, scope_text.lower())
            if pair in seen:
                problems.append(
                    Problem(
                        here,
                        f"duplicates «role_assignments»[{seen[pair]}] ({role.name} at {scope_text}); remove one",
                    )
                )
            else:
                seen[pair] = index
        if assignment.key is not None:
            if assignment.key in keys:
                problems.append(
                    Problem((*here, "key"), f"key {assignment.key!r} is used by «role_assignments»[{keys[assignment.key]}]")
                )
            keys[assignment.key] = index

    all_resolved = bool(resolved) and len(resolved) == len(args.role_assignments)
    if args.require_eligible_role and all_resolved and not any(r.pal_eligible for r in resolved):
        problems.append(
            Problem(
                (*path, "role_assignments"),
                f"no role is PAL-eligible ({', '.join(r.name for r in resolved)}) and «require_eligible_role» "
                "is set; add an eligible role such as Contributor at a scope the principal works on",
            )
        )

    names: dict[str, int] = {}
    if len(args.federated_credentials) > MAX_FEDERATED_CREDENTIALS:
        problems.append(
            Problem((*path, "federated_credentials"), f"Entra allows at most {MAX_FEDERATED_CREDENTIALS} per application")
        )
    for index, fic in enumerate(args.federated_credentials):
        here = (*path, "federated_credentials", index)
        if not FEDERATED_NAME_PATTERN.match(fic.name):
            problems.append(
                Problem(
                    (*here, "name"),
                    f"{fic.name!r}: use 3 to 120 letters, digits, '-' or '_', starting with a letter or digit",
                )
            )
        elif fic.name in names:
            problems.append(Problem((*here, "name"), f"{fic.name!r} is used by «federated_credentials»[{names[fic.name]}]"))
        names.setdefault(fic.name, index)
        if not fic.issuer.startswith("https://"):
            problems.append(Problem((*here, "issuer"), f"{fic.issuer!r}: the issuer must be an https:// URL"))
        if not fic.subject.strip():
            problems.append(Problem((*here, "subject"), "the subject must not be empty"))
        if not fic.audiences:
            problems.append(Problem((*here, "audiences"), "give at least one audience, usually 'api://AzureADTokenExchange'"))

    for index, owner in enumerate(args.owners):
        if isinstance(owner, str) and not GUID_PATTERN.match(owner):
            problems.append(Problem((*path, "owners", index), f"{owner!r} is not an object ID (GUID)"))
    return problems


def format_path(path: Iterable[str | int], rename: dict[str, str] | None = None) -> str:
    """Render ``("role_assignments", 0, "scope")`` as ``role_assignments[0].scope`` (after renaming)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = (rename or {}).get(part, part)
            out += f".{name}" if out else name
    return out
