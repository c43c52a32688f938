"""The stack configuration's Lighthouse section: ``partner-attribution:lighthouse`` and ``managingStack``.

Shape only (keys, types, which of ``principalId`` or ``principal``), in config-key vocabulary; every rule on values is
:func:`.spec.resolve_delegation`'s, whose problems are rendered here with config keys (``lighthouse[0].authorizations[1]
.role``). ``principal: <name>`` names a delivery principal of the managing stack: it becomes a
:class:`~.args.StackPrincipalReference`, which the program binds to the object ID read through a ``StackReference``
to ``managingStack``'s ``attribution`` output. Called by :func:`partner_attribution.config.load_stack_config`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ..config_shape import Field, check_mapping, first_use
from ..problems import Problem
from ..validators import check_principal_name
from .args import (
    LighthouseApproverArgs,
    LighthouseAuthorizationArgs,
    LighthouseDelegationArgs,
    LighthouseEligibleAuthorizationArgs,
    StackPrincipalReference,
)
from .spec import DelegationSpec, resolve_delegation

CONFIG_KEYS = {
    "offer_name": "offerName",
    "managing_tenant_id": "managingTenantId",
    "principal_id": "principalId",
    "principal_display_name": "displayName",
    "principal_type": "principalType",
    "pal_linked": "palLinked",
    "delegated_role_definition_ids": "delegatedRoles",
    "eligible_authorizations": "eligibleAuthorizations",
    "maximum_activation_duration": "maximumActivationDuration",
    "multi_factor_auth_provider": "multiFactorAuthProvider",
    "allow_no_partner_credit": "allowNoPartnerCredit",
}
"""Python argument names of :class:`~.args.LighthouseDelegationArgs` → configuration keys."""

MANAGING_STACK = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*\Z")
"""``org/project/stack``, the fully qualified name a ``StackReference`` takes (``organization/...`` on a self-managed
backend)."""


def _schemas() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
    delegation = {
        "name": Field(str, True, "a lower-case name such as 'contoso-operations' (it prefixes every child's name)"),
        "offerName": Field(str, True, "the offer's name shown to the customer"),
        "description": Field(str, describe="a string"),
        "managingTenantId": Field(str, True, "the partner's managing tenant ID (GUID)"),
        "scopes": Field(list, True, "a list of /subscriptions/<id> or /subscriptions/<id>/resourceGroups/<name>"),
        "authorizations": Field(list, True, "a list of {principalId | principal, displayName, role}"),
        "eligibleAuthorizations": Field(list, describe="a list of {principalId, displayName, role, approvers?}"),
        "allowNoPartnerCredit": Field(bool, describe="true or false"),
    }
    authorization = {
        "principalId": Field(str, describe="the object ID (GUID) of a user, group or service principal of the managing tenant"),
        "principal": Field(str, describe="the name of a delivery principal of the managing stack"),
        "displayName": Field(str, True, "the name the customer sees next to the authorization"),
        "role": Field(str, True, "a built-in role name or role definition ID"),
        "palLinked": Field(bool, describe="true or false"),
        "principalType": Field(str, describe="User, Group or ServicePrincipal"),
        "delegatedRoles": Field(list, describe="a list of built-in roles (User Access Administrator only)"),
    }
    eligible = {
        "principalId": Field(str, describe="the object ID (GUID) of a user or group of the managing tenant"),
        "principal": Field(str, describe="not usable: the managing stack's principals are service principals"),
        "displayName": Field(str, True, "the name the customer sees next to the authorization"),
        "role": Field(str, True, "a built-in role name or role definition ID"),
        "principalType": Field(str, describe="User or Group"),
        "maximumActivationDuration": Field(str, describe="an ISO 8601 duration from PT30M to PT8H"),
        "multiFactorAuthProvider": Field(str, describe="Azure or None"),
        "approvers": Field(list, describe="a list of {principalId, displayName?, principalType?}"),
    }
    approver = {
        "principalId": Field(str, True, "the object ID (GUID) of a user or group of the managing tenant"),
        "displayName": Field(str, describe="a string"),
        "principalType": Field(str, describe="User or Group"),
    }
    return delegation, authorization, eligible, approver


def _principal(entry: dict[str, Any], here: str, managing_stack: str | None, problems: list[str]) -> Any:
    """``principalId`` or ``principal`` (exactly one); None when neither is usable."""
    if ("principalId" in entry) == ("principal" in entry):
        problems.append(
            f"{here}: give exactly one of principalId (an object ID of the managing tenant) or principal (the name of a "
            "delivery principal of the managing stack, with managingStack set)"
        )
        return None
    if "principalId" in entry:
        return entry["principalId"]
    name = entry["principal"]
    if (message := check_principal_name(name)) is not None:
        problems.append(f"{here}.principal: {message}")
        return None
    if managing_stack is None:
        problems.append(
            f"{here}.principal: {name!r} names a principal of the managing stack, but partner-attribution:managingStack "
            "is not set; set it to the managing stack's org/project/stack, or give principalId"
        )
        return None
    return StackPrincipalReference(name)


def _strings(value: list[Any], here: str, what: str, problems: list[str]) -> list[str]:
    out = []
    for index, item in enumerate(value):
        if isinstance(item, str):
            out.append(item)
        else:
            problems.append(f"{here}[{index}]: expected {what}, got {item!r}")
    return out


def check_managing_stack(value: str) -> str | None:
    """The problem with a ``managingStack`` value, or None."""
    if MANAGING_STACK.match(value):
        return None
    return (
        f"{value!r} is not a fully qualified stack name; give the managing stack as org/project/stack (on a "
        "self-managed backend: organization/project/stack), as pulumi stack ls --all shows it"
    )


def load_lighthouse(raw: list[Any], managing_stack: str | None, cloud: str, problems: list[str]) -> tuple[DelegationSpec, ...]:
    """Check the ``lighthouse`` list and resolve each delegation; problems are appended in config-key terms.

    A delegation with any problem is left out (the caller raises with every problem before declaring anything)."""
    delegation_schema, authorization_schema, eligible_schema, approver_schema = _schemas()
    specs: list[DelegationSpec] = []
    names: dict[str, int] = {}
    offers: dict[tuple[str, str, str], int] = {}
    for index, raw_entry in enumerate(raw):
        here = f"lighthouse[{index}]"
        before = len(problems)
        entry = check_mapping(raw_entry, delegation_schema, here, problems)
        if entry is None:
            continue
        name = entry.get("name")
        first_use(name, index, names, here, "lighthouse", problems)
        authorizations = []
        for position, raw_auth in enumerate(entry.get("authorizations", [])):
            where = f"{here}.authorizations[{position}]"
            auth = check_mapping(raw_auth, authorization_schema, where, problems)
            if auth is None:
                continue
            principal = _principal(auth, where, managing_stack, problems)
            if principal is None or not {"displayName", "role"} <= auth.keys():
                continue
            authorizations.append(
                LighthouseAuthorizationArgs(
                    principal_id=principal,
                    principal_display_name=auth["displayName"],
                    role=auth["role"],
                    # A managing stack's principal is PAL-linked by construction (its stack makes the link); an
                    # object ID counts only when palLinked says so.
                    pal_linked=auth.get("palLinked", isinstance(principal, StackPrincipalReference)),
                    principal_type=auth.get("principalType"),
                    delegated_role_definition_ids=tuple(
                        _strings(auth.get("delegatedRoles", []), f"{where}.delegatedRoles", "a role name or ID", problems)
                    ),
                )
            )
        eligible = []
        for position, raw_auth in enumerate(entry.get("eligibleAuthorizations", [])):
            where = f"{here}.eligibleAuthorizations[{position}]"
            auth = check_mapping(raw_auth, eligible_schema, where, problems)
            if auth is None:
                continue
            if "principal" in auth:
                problems.append(
                    f"{where}.principal: the managing stack's delivery principals are service principals, which cannot "
                    "use a just-in-time authorization (ELIG); give principalId of a user or group instead"
                )
                continue
            if "principalId" not in auth:
                problems.append(f"{where}.principalId: required; give the object ID (GUID) of a user or group")
                continue
            approvers = []
            for number, raw_approver in enumerate(auth.get("approvers", [])):
                approver = check_mapping(raw_approver, approver_schema, f"{where}.approvers[{number}]", problems)
                if approver is not None and "principalId" in approver:
                    approvers.append(
                        LighthouseApproverArgs(
                            approver["principalId"], approver.get("displayName"), approver.get("principalType")
                        )
                    )
            if not {"displayName", "role"} <= auth.keys():
                continue
            eligible.append(
                LighthouseEligibleAuthorizationArgs(
                    principal_id=auth["principalId"],
                    principal_display_name=auth["displayName"],
                    role=auth["role"],
                    principal_type=auth.get("principalType"),
                    maximum_activation_duration=auth.get("maximumActivationDuration", "PT8H"),
                    multi_factor_auth_provider=auth.get("multiFactorAuthProvider", "Azure"),
                    approvers=tuple(approvers),
                )
            )
        scopes = _strings(entry.get("scopes", []), f"{here}.scopes", "a scope as text", problems)
        if len(problems) > before or not {"name", "offerName", "managingTenantId"} <= entry.keys():
            continue  # shape problems first: the rules on values need a complete entry
        args = LighthouseDelegationArgs(
            offer_name=entry["offerName"],
            managing_tenant_id=entry["managingTenantId"],
            authorizations=authorizations,
            scopes=scopes,
            description=entry.get("description"),
            eligible_authorizations=eligible,
            allow_no_partner_credit=entry.get("allowNoPartnerCredit", False),
            cloud=cloud,
        )
        spec, delegation_problems = resolve_delegation(entry["name"], args)
        for problem in delegation_problems:
            if problem.path[:1] == ("cloud",):
                continue  # reported once, at partner-attribution:cloud
            problems.append(_render(problem.under("lighthouse", index)))
        if spec is not None:
            problems += _same_offer_at_one_scope(spec, index, offers)
            specs.append(spec)
    return tuple(specs)


def _same_offer_at_one_scope(spec: DelegationSpec, index: int, offers: dict[tuple[str, str, str], int]) -> list[str]:
    """Two delegations of one offer (name and managing tenant) at one scope: Azure refuses a second assignment with
    the same offer name at a scope (ONB), and the two would be one delegation under two owners."""
    problems = []
    for assignment in spec.assignments:
        key = (spec.managing_tenant_id, spec.offer_name, assignment.scope.lower())
        if key in offers:
            problems.append(
                f"lighthouse[{index}].scopes: {assignment.scope} is already delegated to managing tenant "
                f"{spec.managing_tenant_id} with offer {spec.offer_name!r} by lighthouse[{offers[key]}]; Azure allows one "
                "assignment per offer name at a scope (ONB): merge the two entries' authorizations into one, or give "
                "this one its own offerName"
            )
        offers.setdefault(key, index)
    return problems


def _render(problem: Problem) -> str:
    return problem.render(CONFIG_KEYS)


def referenced_principals(raw: Mapping[str, str]) -> list[str]:
    """The managing stack's principals a stack's configuration names (``principal:`` keys), in order, each once; for
    the offline plan's placeholders. Malformed configuration gives what can be read (its problems are reported by
    :func:`load_lighthouse`)."""
    text = raw.get("partner-attribution:lighthouse")
    try:
        entries = json.loads(text) if isinstance(text, str) else []
    except json.JSONDecodeError:
        return []
    names: list[str] = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        for key in ("authorizations", "eligibleAuthorizations"):
            for auth in entry.get(key) or []:
                if isinstance(auth, dict) and isinstance(auth.get("principal"), str):
                    names.append(auth["principal"])
    return list(dict.fromkeys(names))
