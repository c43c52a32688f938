"""Stack configuration: read the ``partner-attribution`` namespace, check its shape, resolve each principal.

The flow is one way: raw Pulumi config (strings and JSON strings, as the engine hands them to a
program) → :func:`load_stack_config` → :class:`StackConfig` of resolved
:class:`~partner_attribution.spec.PrincipalSpec`. This module checks only the *shape* of the
configuration (keys, types); every rule on values is in :mod:`.spec` and :mod:`.validators`, the same
ones the component applies. Every problem is collected and reported at once, each with its path in
config-key terms (``principals[1].roles[0].scope``), before any resource is declared.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from .args import GITHUB_ACTIONS_AUDIENCE, DeliveryPrincipalArgs, FederatedCredentialArgs, RoleAssignmentArgs
from .attribution import WorkloadEntry
from .spec import PrincipalSpec, resolve_principal
from .validators import check_cloud, check_expiry_warning_days, check_link_timeout, check_partner_id
from .workloads import PRODUCTS

NAMESPACE = "partner-attribution"

# Python argument name -> configuration key, used to render paths and messages.
CONFIG_KEYS = {
    "partner_id": "partnerId",
    "role_assignments": "roles",
    "credential_rotated_on": "credential.rotatedOn",
    "credential_lifetime_days": "credential.lifetimeDays",
    "federated_credentials": "federatedCredentials",
    "display_name": "displayName",
    "condition_version": "conditionVersion",
    "acknowledge_privileged": "acknowledgePrivileged",
    "require_eligible_role": "requireEligibleRole",
    "overwrite_existing_link": "overwriteExistingLink",
    "link_timeout_seconds": "linkTimeoutSeconds",
    "credential_expiry_warning_days": "credentialExpiryWarningDays",
}
INHERITED = {"partner_id", "cloud", "link_timeout_seconds", "credential_expiry_warning_days", "require_eligible_role"}
"""Principal arguments set from stack-wide keys: their problems are reported once, at the stack-wide key."""


@dataclass(frozen=True)
class _Field:
    kind: type | tuple[type, ...]
    required: bool = False
    describe: str = ""


_TOP_LEVEL: dict[str, _Field] = {
    "partnerId": _Field(str, True, "the numeric Associated Partner ID"),
    "principals": _Field(list, True, "a list of delivery principals"),
    "requireEligibleRole": _Field(bool, describe="true or false"),
    "cloud": _Field(str, describe="public, usgovernment or china"),
    "linkTimeoutSeconds": _Field(int, describe="a whole number of seconds"),
    "credentialExpiryWarningDays": _Field(int, describe="a whole number of days"),
    "nonAzureWorkloads": _Field(list, describe="a list of {name, product}"),
}
_PRINCIPAL: dict[str, _Field] = {
    "name": _Field(str, True, "a lower-case name such as 'platform-delivery'"),
    "displayName": _Field(str, describe="a string"),
    "partnerId": _Field(str, describe="the numeric Associated Partner ID"),
    "roles": _Field(list, True, "a list of {role, scope}"),
    "credential": _Field(dict, True, "{rotatedOn: YYYY-MM-DD, lifetimeDays: 180}"),
    "federatedCredentials": _Field(list, describe="a list of {name, issuer, subject}"),
    "owners": _Field(list, describe="a list of object IDs"),
    "overwriteExistingLink": _Field(bool, describe="true or false"),
}
_ROLE: dict[str, _Field] = {
    "role": _Field(str, True, "a built-in role name or role definition ID"),
    "scope": _Field(str, True, "an Azure resource ID"),
    "description": _Field(str, describe="a string"),
    "condition": _Field(str, describe="an ABAC condition"),
    "conditionVersion": _Field(str, describe="'2.0'"),
    "acknowledgePrivileged": _Field(bool, describe="true or false"),
    "key": _Field(str, describe="a short stable name for the assignment"),
}
_CREDENTIAL: dict[str, _Field] = {
    "rotatedOn": _Field(str, True, "a date, YYYY-MM-DD"),
    "lifetimeDays": _Field(int, describe="1 to 730"),
}
_WORKLOAD: dict[str, _Field] = {
    "name": _Field(str, True, "what the customer calls the workload"),
    "product": _Field(str, True, "one of " + ", ".join(sorted(PRODUCTS))),
    "notes": _Field(str, describe="a string"),
}
_FEDERATED: dict[str, _Field] = {
    "name": _Field(str, True, "a name such as 'github-main'"),
    "issuer": _Field(str, True, "an https:// issuer URL"),
    "subject": _Field(str, True, "the subject claim"),
    "audiences": _Field(list, describe="a list of strings"),
    "description": _Field(str, describe="a string"),
}


class ConfigurationError(pulumi.RunError):
    """The stack configuration has problems; the message lists all of them. Pulumi prints a
    ``RunError`` without a traceback."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"the {NAMESPACE} configuration has {len(problems)} {noun}:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class StackConfig:
    """The validated configuration of one stack."""

    partner_id: str
    principals: tuple[PrincipalSpec, ...]
    require_eligible_role: bool = False
    cloud: str = "public"
    non_azure_workloads: tuple[WorkloadEntry, ...] = ()
    """Listed in the report as manual claims."""


def _type_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "a whole number", bool: "true or false", list: "a list", dict: "a mapping"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _coerce(value: Any, field: _Field) -> tuple[Any, bool]:
    """Accept what YAML and the Pulumi CLI produce for a field; return (value, ok)."""
    if field.kind is str and isinstance(value, int) and not isinstance(value, bool):
        return str(value), True  # partnerId: 1234567 written without quotes
    if field.kind is bool and isinstance(value, str) and value in ("true", "false"):
        return value == "true", True
    if field.kind is int and isinstance(value, str) and value.isdigit():
        return int(value), True
    if field.kind is int and isinstance(value, bool):
        return value, False
    return value, isinstance(value, field.kind)


def _check_mapping(raw: Any, schema: dict[str, _Field], path: str, problems: list[str]) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        problems.append(f"{path}: expected a mapping with keys {', '.join(schema)}, got {type(raw).__name__}")
        return None
    out: dict[str, Any] = {}
    for key, value in raw.items():
        where = f"{path}.{key}" if path else str(key)
        if key not in schema:
            close = difflib.get_close_matches(str(key), list(schema), n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"valid keys: {', '.join(schema)}"
            problems.append(f"{where}: unknown key; {hint}")
            continue
        coerced, ok = _coerce(value, schema[key])
        if not ok:
            problems.append(f"{where}: expected {schema[key].describe or _type_name(schema[key].kind)}, got {value!r}")
            continue
        out[key] = coerced
    for key, field in schema.items():
        if field.required and key not in raw:
            where = f"{path}.{key}" if path else key
            problems.append(f"{where}: required; give {field.describe}")
    return out


def _decode(raw: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Strip the namespace and decode JSON values, the way ``pulumi.Config.get_object`` does."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for full_key, text in raw.items():
        namespace, _, key = full_key.partition(":")
        if namespace != NAMESPACE:
            continue
        structured = key in _TOP_LEVEL and _TOP_LEVEL[key].kind in (list, dict)
        if structured and isinstance(text, str):
            try:
                values[key] = json.loads(text)
            except json.JSONDecodeError as exc:
                problems.append(f"{key}: not valid structured configuration ({exc.msg})")
        else:
            values[key] = text
    return values, problems


def load_stack_config(raw: Mapping[str, str]) -> StackConfig:
    """Check the whole configuration and resolve every principal; raise :class:`ConfigurationError`
    listing every problem otherwise."""
    values, problems = _decode(raw)
    top = _check_mapping(values, _TOP_LEVEL, "", problems) or {}
    partner_id = top.get("partnerId", "")
    cloud = top.get("cloud", "public")
    timeout = top.get("linkTimeoutSeconds", 600)
    warning_days = top.get("credentialExpiryWarningDays", 30)
    require_eligible = top.get("requireEligibleRole", False)
    for key, value, check in (
        ("partnerId", partner_id, check_partner_id),
        ("cloud", cloud, check_cloud),
        ("linkTimeoutSeconds", timeout, check_link_timeout),
        ("credentialExpiryWarningDays", warning_days, check_expiry_warning_days),
    ):
        message = check(value) if key in top else None
        if message is not None:
            problems.append(f"{key}: {message}")

    principals: list[PrincipalSpec] = []
    seen_names: dict[str, int] = {}
    raw_principals = top.get("principals", [])
    if "principals" in top and not raw_principals:
        problems.append("principals: give at least one delivery principal")
    for index, raw_principal in enumerate(raw_principals):
        here = f"principals[{index}]"
        entry = _check_mapping(raw_principal, _PRINCIPAL, here, problems)
        if entry is None:
            continue
        name = entry.get("name")
        if name is not None and name in seen_names:
            problems.append(f"{here}.name: {name!r} is already used by principals[{seen_names[name]}]; names must be unique")
        elif name is not None:
            seen_names[name] = index
        roles = [_check_mapping(r, _ROLE, f"{here}.roles[{i}]", problems) for i, r in enumerate(entry.get("roles", []))]
        credential = (
            _check_mapping(entry["credential"], _CREDENTIAL, f"{here}.credential", problems) if "credential" in entry else None
        )
        feds = [
            _check_mapping(f, _FEDERATED, f"{here}.federatedCredentials[{i}]", problems)
            for i, f in enumerate(entry.get("federatedCredentials", []))
        ]
        owners = entry.get("owners", [])
        for i, owner in enumerate(owners):
            if not isinstance(owner, str):
                problems.append(f"{here}.owners[{i}]: expected an object ID string, got {owner!r}")
        complete_roles = [r for r in roles if r is not None and "role" in r and "scope" in r]
        if name is None or "roles" not in entry or credential is None or "rotatedOn" not in credential:
            continue  # structural problems already reported; the rules on values need a complete entry
        if len(complete_roles) != len(roles):
            continue
        args = DeliveryPrincipalArgs(
            partner_id=entry.get("partnerId", partner_id),
            display_name=entry.get("displayName"),
            role_assignments=[
                RoleAssignmentArgs(
                    role=r["role"],
                    scope=r["scope"],
                    description=r.get("description"),
                    condition=r.get("condition"),
                    condition_version=r.get("conditionVersion"),
                    acknowledge_privileged=r.get("acknowledgePrivileged", False),
                    key=r.get("key"),
                )
                for r in complete_roles
            ],
            credential_rotated_on=credential["rotatedOn"],
            credential_lifetime_days=credential.get("lifetimeDays", 180),
            federated_credentials=[
                FederatedCredentialArgs(
                    name=f["name"],
                    issuer=f["issuer"],
                    subject=f["subject"],
                    audiences=tuple(f.get("audiences", (GITHUB_ACTIONS_AUDIENCE,))),
                    description=f.get("description"),
                )
                for f in feds
                if f is not None and {"name", "issuer", "subject"} <= f.keys()
            ],
            owners=[o for o in owners if isinstance(o, str)],
            require_eligible_role=require_eligible,
            overwrite_existing_link=entry.get("overwriteExistingLink", False),
            cloud=cloud,
            link_timeout_seconds=timeout,
            credential_expiry_warning_days=warning_days,
        )
        spec, principal_problems = resolve_principal(name, args)
        for problem in principal_problems:
            field = str(problem.path[0]) if problem.path else ""
            if field in INHERITED and CONFIG_KEYS.get(field, field) not in entry:
                continue  # a stack-wide value: reported once, at its own key
            problems.append(problem.under("principals", index).render(CONFIG_KEYS))
        if spec is not None:
            principals.append(spec)

    workloads: list[WorkloadEntry] = []
    for index, raw_workload in enumerate(top.get("nonAzureWorkloads", [])):
        workload = _check_mapping(raw_workload, _WORKLOAD, f"nonAzureWorkloads[{index}]", problems)
        if workload is None or "product" not in workload or "name" not in workload:
            continue
        if workload["product"] not in PRODUCTS:
            problems.append(
                f"nonAzureWorkloads[{index}].product: {workload['product']!r} is not one of "
                f"{', '.join(sorted(PRODUCTS))}; Azure workloads are attributed through the principals' roles"
            )
            continue
        workloads.append(WorkloadEntry(workload["name"], workload["product"], workload.get("notes")))

    if problems:
        raise ConfigurationError(list(dict.fromkeys(problems)))
    return StackConfig(
        partner_id=partner_id,
        principals=tuple(principals),
        require_eligible_role=require_eligible,
        cloud=cloud,
        non_azure_workloads=tuple(workloads),
    )


def read_pulumi_config() -> dict[str, str]:
    """Every key of the ``partner-attribution`` namespace that the engine passed to the program."""
    from pulumi.runtime import config as runtime_config

    merged: dict[str, str] = dict(runtime_config.get_config_env())
    merged.update(runtime_config.CONFIG.get())
    return {k: v for k, v in merged.items() if k.startswith(f"{NAMESPACE}:")}
