"""Property values between the engine's wire form and the plain Python the package's code works with.

Unknown values (a preview's not-yet-known inputs) travel as the engine's unknown marker string, which is how the
provider protocol itself encodes them (``UnknownStringValue`` in pulumi/pulumi ``sdk/go/common/resource/plugin/rpc.go``):
the Python SDK 3.272's :class:`~pulumi.provider.experimental.property_value.PropertyValue` can read a computed value
but cannot marshal one back (``reference/pulumi-engine/FACTS.md``), so a value the plugin does not know is answered
with the marker string, which the engine reads as unknown.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.provider.experimental.provider import PropertyDiff, PropertyDiffKind

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The engine's marker for an unknown value (the same string the dynamic provider sees)."""


def plain(value: PropertyValue) -> Any:
    """``value`` as plain Python: secrets unwrapped, unknowns as :data:`UNKNOWN`, numbers as the engine sent them
    (floats). Resource references become their URN."""
    inner = value.value
    if isinstance(inner, Computed):
        return UNKNOWN
    if isinstance(inner, Mapping):
        return {k: plain(v) for k, v in inner.items()}
    if isinstance(inner, Sequence) and not isinstance(inner, str):
        return [plain(v) for v in inner]
    urn = getattr(inner, "urn", None)
    return urn if isinstance(urn, str) else inner


def plain_map(values: Mapping[str, PropertyValue]) -> dict[str, Any]:
    """Every value of ``values`` as plain Python (:func:`plain`)."""
    return {k: plain(v) for k, v in values.items()}


def secret_keys(values: Mapping[str, PropertyValue]) -> set[str]:
    """The keys whose values are secret (or hold a secret)."""
    return {k for k, v in values.items() if v.contains_secret()}


def wire(value: Any, secret: bool = False) -> PropertyValue:
    """Plain Python as a property value: integers become numbers (the protocol's only number type)."""
    if isinstance(value, PropertyValue):
        return value.with_secret(secret) if secret else value
    if isinstance(value, Mapping):
        return PropertyValue({str(k): wire(v) for k, v in value.items() if v is not None}, is_secret=secret)
    if isinstance(value, (list, tuple)):
        return PropertyValue([wire(v) for v in value], is_secret=secret)
    if isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    return PropertyValue(value, is_secret=secret)


def wire_map(values: Mapping[str, Any], secrets: Iterable[str] = ()) -> dict[str, PropertyValue]:
    """``values`` as property values, ``None`` left out, the keys in ``secrets`` marked secret."""
    secret = set(secrets)
    return {k: wire(v, k in secret) for k, v in values.items() if v is not None}


_CAMEL = re.compile(r"_([a-z0-9])")
_SNAKE = re.compile(r"(?<=[a-z0-9])([A-Z])")


def camel(name: str) -> str:
    """``partner_id`` → ``partnerId`` (the schema's spelling)."""
    return _CAMEL.sub(lambda m: m.group(1).upper(), name)


def snake(name: str) -> str:
    """``partnerId`` → ``partner_id`` (the Python code's spelling); a snake_case name is returned as it is."""
    return _SNAKE.sub(lambda m: "_" + m.group(1).lower(), name)


def property_diffs(
    changed: Iterable[str],
    olds: Mapping[str, Any],
    news: Mapping[str, Any],
    replaces: Iterable[str],
    name: Callable[[str], str] = str,
) -> dict[str, PropertyDiff]:
    """Each changed property as the engine displays it: added, deleted or updated, each with or without a
    replacement; keyed by ``name(key)`` (the schema's name for it)."""
    replacing = set(replaces)

    def kind(key: str) -> PropertyDiffKind:
        replace = key in replacing
        if key in olds and key in news:
            return PropertyDiffKind.UPDATE_REPLACE if replace else PropertyDiffKind.UPDATE
        if key in news:
            return PropertyDiffKind.ADD_REPLACE if replace else PropertyDiffKind.ADD
        return PropertyDiffKind.DELETE_REPLACE if replace else PropertyDiffKind.DELETE

    return {name(key): PropertyDiff(kind(key), True) for key in changed}
