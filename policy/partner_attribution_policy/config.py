"""Each policy's configuration: its JSON schema (what the Pulumi CLI validates) and the parser the policy runs.

The Pulumi CLI validates a policy's configuration against the schema the pack reports (``configSchema``)
before it sends it with ``Configure``; the policy SDK itself validates nothing. So that a pack served some
other way (a test, an older CLI) cannot act on a configuration the schema rejects, :func:`parse` checks the
same schema again, with a small validator for the JSON-schema keywords these schemas use, and fills in
the defaults. A schema and its check cannot drift apart: there is only the schema.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from typing import Any

from partner_attribution.validators import check_cua_partner_id

GUID_REGEX = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
PARTNER_ID_REGEX = "^[0-9]{4,10}$"

_NAMES = {
    "type": "array",
    "items": {"type": "string", "minLength": 1},
    "uniqueItems": True,
    "default": [],
}

SCHEMAS: dict[str, dict[str, dict[str, Any]]] = {
    "pal-link-required": {
        "exceptions": {
            **_NAMES,
            "description": "Resource names of service principals (or of their applications) that are linked to the "
            "partner ID outside this stack, e.g. by hand or by another stack.",
        },
    },
    "pal-link-partner-id": {
        "partnerId": {
            "type": "string",
            "pattern": PARTNER_ID_REGEX,
            "description": "The partner's Associated Partner ID (numeric, 4 to 10 digits) every PAL link must name.",
        },
    },
    "pal-eligible-role": {
        "exceptions": {
            **_NAMES,
            "description": "Resource names of linked service principals (or of their applications) that may hold "
            "only roles that earn no partner earned credit (PEC) in this stack.",
        },
    },
    "link-password-lifetime": {
        "maxLifetimeDays": {
            "type": "integer",
            "minimum": 1,
            "maximum": 3650,
            "default": 365,
            "description": "A password on a delivery application may be valid for at most this many days from today.",
        },
        "forbidPasswords": {
            "type": "boolean",
            "default": False,
            "description": "Forbid passwords on delivery applications altogether: PAL links sign in with workload "
            "identity federation (credential_type: federated).",
        },
    },
    "cua-partner-id": {
        "cuaPartnerId": {
            "type": "string",
            "pattern": GUID_REGEX,
            "description": "The partner's customer usage attribution (CUA) GUID that every explicit azure-native "
            "and azuread provider must carry as partnerId. Unset: the policy does not apply.",
        },
    },
    "lighthouse-pal-authorization": {
        "linkedPrincipalIds": {
            "type": "array",
            "items": {"type": "string", "pattern": GUID_REGEX},
            "uniqueItems": True,
            "default": [],
            "description": "Object IDs (in the managing tenant) of principals that are linked to the partner ID "
            "with PAL; a Lighthouse registration definition must authorize one of them permanently.",
        },
    },
}
"""Configuration properties of each policy, by policy name (JSON schema, draft 4 keywords)."""


class ConfigError(ValueError):
    """A policy configuration the schema rejects; ``problems`` lists every reason, with its property path."""

    def __init__(self, policy: str, problems: list[str]) -> None:
        self.policy = policy
        self.problems = problems
        super().__init__(f"invalid configuration of policy {policy!r}: " + "; ".join(problems))


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


_TYPE_CHECKS = {
    "string": lambda v: isinstance(v, str),
    "integer": _is_integer,
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, (list, tuple)),
}


def _check(path: str, value: Any, schema: Mapping[str, Any], problems: list[str]) -> None:
    expected = schema.get("type")
    if expected is not None and not _TYPE_CHECKS[expected](value):
        problems.append(f"{path}: expected {expected}, got {type(value).__name__} {value!r}")
        return
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            problems.append(f"{path}: must not be empty")
        if "pattern" in schema and not re.search(_to_the_end(schema["pattern"]), value):
            problems.append(f"{path}: {value!r} does not match {schema['pattern']}")
    if _is_integer(value):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append(f"{path}: {value:g} is less than {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            problems.append(f"{path}: {value:g} is more than {schema['maximum']}")
    if isinstance(value, (list, tuple)):
        if schema.get("uniqueItems") and len({repr(v) for v in value}) != len(value):
            problems.append(f"{path}: items must be unique")
        for index, item in enumerate(value):
            _check(f"{path}[{index}]", item, schema.get("items", {}), problems)


def _to_the_end(pattern: str) -> str:
    """A schema pattern as JSON schema means it (ECMA 262, and Go's regexp in the Pulumi CLI): ``$`` is the end of the
    text, where Python's ``$`` also matches before a final line break (``'1234567\\n'`` would pass)."""
    return pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith(r"\$") else pattern


VALUE_CHECKS: dict[tuple[str, str], Callable[[object], str | None]] = {
    ("cua-partner-id", "cuaPartnerId"): check_cua_partner_id,
}
"""Rules a schema can't say, for values that pass it: the same rule the stack's own setting has (a CUA GUID that
is the nil GUID, Pulumi's or Terraform's own ID would have the pack require crediting them)."""

LEVEL_KEY = "enforcementLevel"
"""Set next to a policy's properties in a config file; not a property of its own."""


def validate(policy: str, config: Mapping[str, Any] | None) -> list[str]:
    """Every way ``config`` breaks the schema of ``policy`` (empty when it is valid). A key the schema does not
    have is a problem too: a misspelled ``cuaPartnerID`` must not leave the policy silently "not applicable"."""
    problems: list[str] = []
    known = SCHEMAS[policy]
    for key, value in (config or {}).items():
        schema = known.get(key)
        if schema is not None:
            before = len(problems)
            _check(key, value, schema, problems)
            rule = VALUE_CHECKS.get((policy, key))
            if rule is not None and len(problems) == before and (message := rule(value)) is not None:
                problems.append(f"{key}: {message}")
        elif key != LEVEL_KEY:
            close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6) or difflib.get_close_matches(
                key.lower(), [k.lower() for k in known], n=1, cutoff=0.6
            )
            hint = f"; did you mean {next(k for k in known if k.lower() == close[0].lower())!r}?" if close else ""
            expected = ", ".join(known) or "none"
            problems.append(f"{key}: not a setting of {policy} (its settings: {expected}){hint}")
    return problems


def parse(policy: str, config: Mapping[str, Any] | None) -> dict[str, Any]:
    """The configuration of ``policy`` with defaults filled in (integers as ``int``).

    Raises:
        ConfigError: ``config`` breaks the policy's schema.
    """
    problems = validate(policy, config)
    if problems:
        raise ConfigError(policy, problems)
    result: dict[str, Any] = {}
    for key, schema in SCHEMAS[policy].items():
        value = (config or {}).get(key, schema.get("default"))
        if schema.get("type") == "integer" and value is not None:
            value = int(value)
        elif schema.get("type") == "array" and value is not None:
            value = list(value)
        result[key] = value
    return result
