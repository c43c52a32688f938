"""What the engine hands the PAL link's provider, made plain: unknown values, secrets and left-out keys.

The SDK's dynamic provider host (``pulumi/dynamic/__main__.py``, SDK 3.272.0) turns each request's properties into
Python values with ``pulumi.runtime.rpc.deserialize_properties``:

* in ``Check`` and ``Diff`` (``keep_unknowns=True``) a value a preview does not know yet, at any depth, becomes a
  ``pulumi.output.Unknown`` object (``rpc.deserialize_property``); in ``Create``, ``Read``, ``Update`` and
  ``Delete`` it becomes ``None``, and a key whose value is ``None`` is left out of the dictionary;
* a secret arrives wrapped, ``{SIG: SECRET_SIG, "value": ...}``, when the engine sends secrets (the host tells it not
  to, ``acceptSecrets: false``, but a caller driving the host by hand may), and a list or map holding one is wrapped
  as a whole;
* hand-written calls of the provider's methods send the unknown sentinel string ``rpc.UNKNOWN`` itself.

The provider validates and uses plain values (:func:`reveal`), never a wrapper, never an ``Unknown`` taken for a
value (:func:`contains_unknown`), and never quotes a secret in a message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi.output import Unknown
from pulumi.runtime import rpc

UNKNOWN_SENTINEL = rpc.UNKNOWN
"""The string the engine's wire format uses for an unknown value."""


def is_secret(value: Any) -> bool:
    """True for a value wrapped as a Pulumi secret."""
    return rpc.is_rpc_secret(value)


def reveal(value: Any) -> Any:
    """``value`` with every secret wrapper removed, at any depth (unknowns are kept as they are)."""
    if is_secret(value):
        return reveal(rpc.unwrap_rpc_secret(value))
    if isinstance(value, Mapping):
        return {key: reveal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [reveal(item) for item in value]
    return value


def contains_unknown(value: Any) -> bool:
    """True when ``value``, or anything inside it (secret wrappers, maps, lists), is not known yet."""
    if isinstance(value, Unknown) or (isinstance(value, str) and value == UNKNOWN_SENTINEL):
        return True
    if is_secret(value):
        return contains_unknown(rpc.unwrap_rpc_secret(value))
    if isinstance(value, Mapping):
        return any(contains_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(contains_unknown(item) for item in value)
    return False


def known(props: Mapping[str, Any], key: str) -> bool:
    """``props[key]`` is there, not null and wholly known. The host turns an unknown *inside a secret* into a secret
    of null (``rpc.deserialize_properties`` reads a secret's value without ``keep_unknowns``): not known either."""
    return reveal(props.get(key)) is not None and not contains_unknown(props[key])


def plain(props: Mapping[str, Any]) -> dict[str, Any]:
    """The properties with secrets revealed; keys whose value is null are left out, as the host leaves them out."""
    return {key: reveal(value) for key, value in props.items() if value is not None}


def secret_keys(props: Mapping[str, Any]) -> frozenset[str]:
    """The top-level keys whose value arrived wrapped as a secret."""
    return frozenset(key for key, value in props.items() if is_secret(value))


def shown(props: Mapping[str, Any], key: str) -> str:
    """How a message quotes ``props[key]``: its ``repr``, or ``[secret]`` when it arrived as a secret."""
    return "[secret]" if is_secret(props.get(key)) else repr(reveal(props.get(key)))


def rewrap(outs: Mapping[str, Any], secret: frozenset[str]) -> dict[str, Any]:
    """``outs`` with the keys in ``secret`` wrapped as secrets again: what came in secret goes out secret."""
    return {key: rpc.wrap_rpc_secret(value) if key in secret and value is not None else value for key, value in outs.items()}
