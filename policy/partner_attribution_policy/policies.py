"""The pack's policies as plain functions: ``check(graph, config, today) -> [Violation]``.

Each :class:`PolicySpec` carries what the pack reports about a policy (name, description, remediation,
default enforcement level, configuration schema) and its check. A check reads a :class:`~.graph.StackGraph`,
the policy's parsed configuration (:func:`.config.parse`) and today's date, and never reads a value the
engine does not know yet: an unknown value is no violation.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from partner_attribution.roles import Role, UnknownRoleError, builtin_roles

from . import config as config_module
from .graph import (
    APPLICATION_PASSWORD_TYPE,
    PAL_LINK_TYPE,
    PROVIDER_TYPES,
    REGISTRATION_DEFINITION_TYPE,
    Principal,
    StackGraph,
    StackResource,
    is_unknown,
    known_str,
    role_guid,
)

GRAPH_DEFAULT_PASSWORD_DAYS = 730
"""Microsoft Graph makes a password valid for two years when no end date is given (passwordCredential endDateTime)."""


@dataclass(frozen=True)
class Violation:
    """One violation: a message and the URN of the resource it is about (None: the stack as a whole)."""

    message: str
    urn: str | None = None


class NotApplicable(Exception):  # noqa: N818 - named after the SDK's "not applicable" outcome
    """The policy does not apply to this stack or configuration; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


Check = Callable[[StackGraph, Mapping[str, Any], dt.date], list[Violation]]


@dataclass(frozen=True)
class PolicySpec:
    """A policy as the pack reports it, with its check."""

    name: str
    display_name: str
    description: str
    remediation: str
    enforcement_level: str
    """Default level: ``advisory``, ``mandatory`` or ``disabled``; the partner overrides it in the pack's config."""
    check: Check

    @property
    def config_schema(self) -> dict[str, dict[str, Any]]:
        return config_module.SCHEMAS[self.name]

    def run(self, graph: StackGraph, raw_config: Mapping[str, Any] | None, today: dt.date) -> list[Violation]:
        """Parse the configuration and run the check.

        Raises:
            config.ConfigError: the configuration breaks the policy's schema.
            NotApplicable: the policy does not apply (e.g. the value it checks against is not configured).
        """
        return self.check(graph, config_module.parse(self.name, raw_config), today)


def _excepted(principal: Principal, exceptions: list[str]) -> bool:
    return bool(principal.names & set(exceptions))


def _names(resources: tuple[StackResource, ...] | list[StackResource]) -> str:
    return ", ".join(repr(r.name) for r in resources)


# --- 1. every role-assigned service principal has a PAL link ---------------------------------------------------


def check_link_required(graph: StackGraph, config: Mapping[str, Any], today: dt.date) -> list[Violation]:
    """A service principal that receives an Azure role assignment in the stack needs a PAL link in the stack."""
    violations = []
    for principal in graph.principals:
        if not principal.assignments or principal.linked or _excepted(principal, config["exceptions"]):
            continue
        app = f" (application {principal.application.name!r})" if principal.application else ""
        violations.append(
            Violation(
                f"service principal {principal.resource.name!r}{app} receives {len(principal.assignments)} Azure role "
                f"assignment(s) ({_names(principal.assignments)}) but no PAL link depends on it or on its application, "
                "so the Azure consumption it drives is not attributed to the partner",
                principal.resource.urn,
            )
        )
    return violations


# --- 2. every PAL link names the partner's ID ------------------------------------------------------------------


def check_link_partner_id(graph: StackGraph, config: Mapping[str, Any], today: dt.date) -> list[Violation]:
    """Every PAL link's ``partnerId`` is the configured partner ID."""
    expected = config["partnerId"]
    if expected is None:
        raise NotApplicable("partnerId is not set in the pack's configuration")
    violations = []
    for link in graph.of_type(PAL_LINK_TYPE):
        raw = link.props.get("partnerId")
        if is_unknown(raw):
            continue
        actual = known_str(int(raw) if isinstance(raw, float) and raw.is_integer() else raw)
        if actual is None:
            violations.append(Violation(f"PAL link {link.name!r} names no partner ID; expected {expected}", link.urn))
        elif actual != expected:
            violations.append(
                Violation(
                    f"PAL link {link.name!r} names partner ID {actual}, not the partner's {expected}: the consumption "
                    "of its principal is attributed to another partner",
                    link.urn,
                )
            )
    return violations


# --- 3. a linked principal holds a PEC-eligible role -----------------------------------------------------------


def assigned_role(assignment: StackResource) -> tuple[Role | None, bool]:
    """The role a role assignment grants and whether it is known: ``(role, True)``, ``(None, True)`` when the
    definition is not a role definition ID, ``(None, False)`` while it is unknown."""
    definition = assignment.props.get("roleDefinitionId")
    if is_unknown(definition):
        return None, False
    guid = role_guid(definition)
    if guid is not None:
        return builtin_roles().resolve(guid), True
    name = assignment.props.get("roleDefinitionName")  # the classic azure provider takes a role name instead
    if is_unknown(name):
        return None, False
    if known_str(name):
        try:
            return builtin_roles().resolve(str(name)), True
        except (UnknownRoleError, ValueError):
            return None, True
    return None, True


def check_eligible_role(graph: StackGraph, config: Mapping[str, Any], today: dt.date) -> list[Violation]:
    """A linked service principal holds at least one PEC-eligible built-in role in the stack."""
    violations = []
    for principal in graph.principals:
        if not principal.linked or _excepted(principal, config["exceptions"]):
            continue
        roles = [assigned_role(a) for a in principal.assignments]
        if any(not known for _, known in roles) or any(role is not None and role.pal_eligible for role, _ in roles):
            continue
        if not roles:
            held = "holds no Azure role assignment in this stack"
        else:
            held = "holds only roles that earn no partner earned credit (PEC): " + ", ".join(
                f"{role.name} ({role.pal.value})" if role else "an unrecognised role" for role, _ in roles
            )
        violations.append(
            Violation(
                f"service principal {principal.resource.name!r} is linked with PAL ({_names(principal.links)}) but "
                f"{held}; its link earns nothing until it holds a PEC-eligible role such as Contributor",
                principal.resource.urn,
            )
        )
    return violations


# --- 4. no long-lived link passwords ---------------------------------------------------------------------------

_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(h|m|s|ms|us|µs|ns)")
"""ASCII digits, as Go's time.ParseDuration reads them (``\\d`` would take Arabic-Indic digits, which Go refuses)."""
_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def parse_go_duration(text: str) -> dt.timedelta | None:
    """A Go duration such as ``17520h`` or ``2400h30m`` (azuread's ``endDateRelative``); None if it is not one."""
    if not text or _DURATION_PART.sub("", text) != "":
        return None
    return dt.timedelta(seconds=sum(float(n) * _SECONDS[unit] for n, unit in _DURATION_PART.findall(text)))


def parse_end_date(text: str) -> dt.date | None:
    """The date of an RFC 3339 timestamp (or a plain date); None if it is neither."""
    try:
        return dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00")).date()
    except ValueError:
        try:
            return dt.date.fromisoformat(text.strip())
        except ValueError:
            return None


def password_days_left(password: StackResource, today: dt.date) -> tuple[int | None, str]:
    """Days the password stays valid from ``today`` and how that was found; ``(None, why)`` when it cannot be known."""
    end_date = password.props.get("endDate")
    if is_unknown(end_date):
        return None, "endDate is unknown"
    if known_str(end_date):
        parsed = parse_end_date(str(end_date))
        if parsed is None:
            return None, f"endDate {end_date!r} is not a date"
        return (parsed - today).days, f"valid until {parsed.isoformat()}"
    relative = password.props.get("endDateRelative")
    if is_unknown(relative):
        return None, "endDateRelative is unknown"
    if known_str(relative):
        duration = parse_go_duration(str(relative))
        if duration is None:
            return None, f"endDateRelative {relative!r} is not a duration"
        return duration.days, f"endDateRelative {relative}"
    return GRAPH_DEFAULT_PASSWORD_DAYS, "no endDate, so Microsoft Graph's default of two years applies"


def check_password_lifetime(graph: StackGraph, config: Mapping[str, Any], today: dt.date) -> list[Violation]:
    """Passwords on delivery applications are short-lived, or (``forbidPasswords``) absent."""
    delivery = graph.delivery_applications
    max_days: int = config["maxLifetimeDays"]
    forbid: bool = config["forbidPasswords"]
    violations = []
    for password in graph.of_type(APPLICATION_PASSWORD_TYPE):
        app = graph.application_of_password(password)
        if app is None or app.urn not in delivery:
            continue
        if forbid:
            violations.append(
                Violation(
                    f"password {password.name!r} on delivery application {app.name!r}: passwords are forbidden "
                    "(forbidPasswords); link with workload identity federation instead",
                    password.urn,
                )
            )
            continue
        days, how = password_days_left(password, today)
        if days is not None and days > max_days:
            violations.append(
                Violation(
                    f"password {password.name!r} on delivery application {app.name!r} is valid for {days} days from "
                    f"{today.isoformat()} ({how}), longer than the maximum of {max_days} days",
                    password.urn,
                )
            )
    if forbid:
        for link in graph.of_type(PAL_LINK_TYPE):
            kind = link.props.get("credentialType")
            if is_unknown(kind):
                continue
            if (known_str(kind) or "client_secret") == "client_secret":
                violations.append(
                    Violation(
                        f"PAL link {link.name!r} signs in with a client secret; passwords are forbidden "
                        "(forbidPasswords): set linkCredential to federated",
                        link.urn,
                    )
                )
    return violations


# --- 5. CUA: providers carry the partner's CUA GUID ------------------------------------------------------------


def is_default_provider(provider: StackResource) -> bool:
    """Whether a provider resource is one the engine made from the stack's configuration: named ``default`` or
    ``default_1_2_3`` **and** without a parent. The engine registers a default provider with no parent
    (pulumi/pulumi ``pkg/resource/deploy/source_eval.go``, ``newRegisterDefaultProviderEvent``: the goal's parent is
    empty), so its URN's type has no ``$``; a program's own provider is parented (to the stack at least), so one named
    ``default`` is still checked."""
    named_default = provider.name == "default" or provider.name.startswith("default_")
    qualified_type = provider.urn.split("::")[2] if provider.urn.count("::") >= 3 else ""
    return named_default and "$" not in qualified_type and not provider.parent


def check_cua(graph: StackGraph, config: Mapping[str, Any], today: dt.date) -> list[Violation]:
    """Every explicit azure-native and azuread provider has ``partnerId`` equal to the configured CUA GUID."""
    expected = config["cuaPartnerId"]
    if expected is None:
        raise NotApplicable("cuaPartnerId is not set in the pack's configuration")
    violations = []
    for provider in graph.of_type(*PROVIDER_TYPES):
        package = provider.type.rsplit(":", 1)[-1]
        raw = provider.props.get("partnerId")
        if is_unknown(raw):
            continue
        actual = known_str(raw)
        if actual is None and is_default_provider(provider):
            continue  # its inputs are the stack's azure-native:* / azuread:* settings; ARM_PARTNER_ID is not among them
        if actual is None:
            violations.append(
                Violation(f"{package} provider {provider.name!r} sets no partnerId; set it to {expected}", provider.urn)
            )
        elif actual.lower() != expected.lower():
            violations.append(
                Violation(
                    f"{package} provider {provider.name!r} sets partnerId {actual}, not the partner's CUA GUID {expected}",
                    provider.urn,
                )
            )
    return violations


# --- 6. Lighthouse: a permanent, PEC-eligible authorization for a linked principal -----------------------------


def _authorizations(value: Any) -> list[Mapping[str, Any]] | None:
    if value is None:
        return []
    if is_unknown(value) or not isinstance(value, (list, tuple)):
        return None
    if any(not isinstance(a, Mapping) for a in value):
        return None
    return list(value)


def check_lighthouse(graph: StackGraph, config: Mapping[str, Any], today: dt.date) -> list[Violation]:
    """A Lighthouse registration definition authorizes a linked principal permanently with a PEC-eligible built-in role."""
    linked = {i.lower() for i in config["linkedPrincipalIds"]}
    violations = []
    for definition in graph.of_type(REGISTRATION_DEFINITION_TYPE):
        properties = definition.props.get("properties")
        if is_unknown(properties):
            continue
        properties = properties if isinstance(properties, Mapping) else {}
        permanent = _authorizations(properties.get("authorizations"))
        eligible = _authorizations(properties.get("eligibleAuthorizations"))
        if permanent is None or eligible is None:
            continue
        if any(is_unknown(a.get("principalId")) or is_unknown(a.get("roleDefinitionId")) for a in permanent):
            continue
        if not linked:
            violations.append(
                Violation(
                    f"registration definition {definition.name!r}: the pack is told of no linked principal "
                    "(linkedPrincipalIds is empty), so no authorization can be shown to earn partner earned credit",
                    definition.urn,
                )
            )
            continue
        reasons: list[str] = []
        satisfied = False
        for authorization in permanent:
            principal_id = (known_str(authorization.get("principalId")) or "").lower()
            if principal_id not in linked:
                continue
            guid = role_guid(authorization.get("roleDefinitionId"))
            role = builtin_roles().resolve(guid) if guid else None
            if role is not None and role.pal_eligible:
                satisfied = True
                break
            held = f"{role.name} ({role.pal.value})" if role else f"{authorization.get('roleDefinitionId')!r}"
            reasons.append(
                f"linked principal {principal_id} is authorized with {held}, which earns no partner earned credit (PEC)"
            )
        if satisfied:
            continue
        for authorization in eligible:
            principal_id = (known_str(authorization.get("principalId")) or "").lower()
            if principal_id in linked:
                reasons.append(
                    f"linked principal {principal_id} is only in eligibleAuthorizations (just-in-time), "
                    "which earn no partner earned credit (PEC)"
                )
        if not reasons:
            authorized = sorted({(known_str(a.get("principalId")) or "?").lower() for a in permanent})
            reasons.append(
                "no permanent authorization names a linked principal (authorized: " + (", ".join(authorized) or "none") + ")"
            )
        violations.append(
            Violation(
                f"registration definition {definition.name!r} has no permanent, PEC-eligible authorization for a "
                "linked principal: " + "; ".join(reasons),
                definition.urn,
            )
        )
    return violations


POLICIES: tuple[PolicySpec, ...] = (
    PolicySpec(
        name="pal-link-required",
        display_name="Role-assigned service principals have a PAL link",
        description="Every service principal that receives an Azure role assignment in the stack is linked to the "
        "partner ID with a Partner Admin Link (a PartnerAdminLink resource depending on it or on its application).",
        remediation="Declare the principal with the DeliveryPrincipal component, or add a PartnerAdminLink for it "
        "(partner_attribution.partner_link). If it is linked outside this stack, list its resource name in this "
        "policy's 'exceptions'.",
        enforcement_level="mandatory",
        check=check_link_required,
    ),
    PolicySpec(
        name="pal-link-partner-id",
        display_name="PAL links name the partner's ID",
        description="Every PAL link in the stack names the partner's Associated Partner ID (pack config 'partnerId').",
        remediation="Set the link's partner_id (the stack's partner-attribution:partnerId) to the partner's "
        "Associated Partner ID; re-pointing an existing link to another partner needs overwriteExistingLink.",
        enforcement_level="mandatory",
        check=check_link_partner_id,
    ),
    PolicySpec(
        name="pal-eligible-role",
        display_name="Linked principals hold a PEC-eligible role",
        description="Every service principal linked with PAL holds at least one Azure built-in role in the stack "
        "that earns partner credit (PEC-eligible), per the project's role catalog.",
        remediation="Assign a PEC-eligible role (e.g. Contributor) on the scopes the principal works on; Reader "
        "and other read-only roles earn nothing (docs/roles.md). Principals meant to earn nothing can be listed "
        "in 'exceptions'.",
        enforcement_level="advisory",
        check=check_eligible_role,
    ),
    PolicySpec(
        name="link-password-lifetime",
        display_name="No long-lived passwords on delivery applications",
        description="A password on a delivery application (one whose service principal is linked with PAL or "
        "holds a role in the stack) is valid for at most 'maxLifetimeDays' days; with 'forbidPasswords' no "
        "delivery application has a password and PAL links sign in with workload identity federation.",
        remediation="Give the password an endDate within the limit (DeliveryPrincipal: credential.lifetimeDays) "
        "and rotate it; or link with workload identity federation (credential_type: federated) and remove it.",
        enforcement_level="mandatory",
        check=check_password_lifetime,
    ),
    PolicySpec(
        name="cua-partner-id",
        display_name="Providers carry the partner's CUA GUID",
        description="Every explicit azure-native and azuread provider resource sets partnerId to the partner's "
        "customer usage attribution GUID (pack config 'cuaPartnerId'). A default provider's inputs are the stack's "
        "azure-native:* / azuread:* settings: a partnerId there must be the GUID too; without one it is not judged, "
        "since ARM_PARTNER_ID in the environment is not visible to the analyzer.",
        remediation="Set partnerId on the provider (e.g. azure_native.Provider(..., partner_id=...)), or for "
        "default providers: pulumi config set azure-native:partnerId <guid> and azuread:partnerId <guid>.",
        enforcement_level="mandatory",
        check=check_cua,
    ),
    PolicySpec(
        name="lighthouse-pal-authorization",
        display_name="Lighthouse delegations earn partner credit",
        description="Every Azure Lighthouse registration definition in the stack has a permanent authorization "
        "(not a just-in-time eligible one) for a principal linked with PAL ('linkedPrincipalIds') with a "
        "PEC-eligible built-in role.",
        remediation="Add to properties.authorizations an entry for the PAL-linked service principal of the "
        "managing tenant with a PEC-eligible built-in role such as Contributor; eligible (JIT) authorizations "
        "earn nothing and cannot be used by service principals.",
        enforcement_level="mandatory",
        check=check_lighthouse,
    ),
)
"""Every policy of the pack, in the order the pack reports them."""
