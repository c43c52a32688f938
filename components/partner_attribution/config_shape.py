"""The shape of a configuration: which keys a mapping may have, of which types, which are required. Shared by the
stack configuration (:mod:`.config`) and the Lighthouse section (:mod:`.lighthouse.stack_config`); the rules on
values are in :mod:`.validators` and the specs.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Field:
    """One key of a mapping: its type, whether it is required, and how to describe a valid value."""

    kind: type | tuple[type, ...]
    required: bool = False
    describe: str = ""
    secret: bool = False
    """Its value may be a secret: a message names the type it got, never the value."""


def type_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "a whole number", bool: "true or false", list: "a list", dict: "a mapping"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def coerce(value: Any, field: Field) -> tuple[Any, bool]:
    """Accept what YAML and the Pulumi CLI produce for a field; return (value, ok)."""
    if field.kind is str and isinstance(value, int) and not isinstance(value, bool):
        return str(value), True  # partnerId: 1234567 written without quotes
    if field.kind is bool and isinstance(value, str) and value in ("true", "false"):
        return value == "true", True
    if field.kind is int and isinstance(value, str) and value.isascii() and value.isdigit():  # not "²"
        return int(value), True
    if field.kind is int and isinstance(value, bool):
        return value, False
    return value, isinstance(value, field.kind)


def check_mapping(raw: Any, schema: dict[str, Field], path: str, problems: list[str]) -> dict[str, Any] | None:
    """``raw`` checked against ``schema``: unknown keys (with the closest valid one), wrong types, missing required
    keys, each appended to ``problems`` with its path; the known keys with their values coerced, or None when ``raw``
    is not a mapping."""
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
        coerced, ok = coerce(value, schema[key])
        if not ok:
            got = f"a {type(value).__name__} (value not shown: it may be a secret)" if schema[key].secret else repr(value)
            problems.append(f"{where}: expected {schema[key].describe or type_name(schema[key].kind)}, got {got}")
            continue
        out[key] = coerced
    for key, field in schema.items():
        if field.required and key not in raw:
            where = f"{path}.{key}" if path else key
            problems.append(f"{where}: required; give {field.describe}")
    return out


def first_use(name: Any, index: int, seen: dict[Any, int], here: str, listing: str, problems: list[str]) -> None:
    """Record ``name`` at ``index`` of ``listing``; a problem naming the earlier entry when it is used already."""
    if name is None:
        return
    if name in seen:
        problems.append(f"{here}.name: {name!r} is already used by {listing}[{seen[name]}]; names must be unique")
    else:
        seen[name] = index
