"""Read a stack file (``Pulumi.<stack>.yaml``) into the configuration the engine hands a program.

The Pulumi CLI reads stack files with Go's ``gopkg.in/yaml.v3``; PyYAML implements YAML 1.1 and reads
plain scalars differently (``0123``, ``1:30``, ``yes``, dates). So PyYAML only composes the node tree
here (no implicit typing), and plain scalars are resolved the way yaml.v3 resolves them. Where the engine
would not hand the program the text the partner wrote (``0123`` becomes ``83``), the file is refused with
the line, the key path and the fix, never guessed.

Objects and lists become JSON, booleans ``true``/``false``, integers their decimal text; an unquoted date
becomes the engine's form ``2026-11-01 00:00:00 +0000 UTC``; ``secure:`` values cannot be decrypted offline
and become a placeholder, also inside objects and lists. Every refusal is a :class:`StackFileError`.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

SECRET_PLACEHOLDER = "[secret]"
MAX_FILE_BYTES = 1024 * 1024
"""A stack file larger than this (1 MiB) is refused before it is read."""
MAX_ALIAS_NODES = 10_000
"""Nodes reached again through aliases, beyond those written once; more is refused (a "billion laughs" file)."""
MAX_DEPTH = 64
"""Nesting deeper than this is refused: no stack file of this project comes close."""

_STR_TAG = "tag:yaml.org,2002:str"
_PLAIN_TAG = "!partner-attribution/plain"
_MAP_TAG = "!partner-attribution/map"
_SEQ_TAG = "!partner-attribution/seq"

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_SPECIAL_FLOATS = frozenset(f"{sign}{word}" for sign in ("", "+", "-") for word in (".inf", ".Inf", ".INF")) | frozenset(
    {".nan", ".NaN", ".NAN"}
)
_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]")
_GO_INT = re.compile(r"([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
_GO_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_DOT_FLOAT = re.compile(r"\.[0-9_]*[0-9][0-9_]*([eE][-+]?[0-9_]+)?")
_NOT_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_INT64_MIN, _UINT64_MAX = -(2**63), 2**64 - 1
_UNTAGGED = {yaml.ScalarNode: (_PLAIN_TAG, _STR_TAG), yaml.SequenceNode: (_SEQ_TAG,), yaml.MappingNode: (_MAP_TAG,)}


class StackFileError(ValueError):
    """The stack file can't be read as Pulumi would read it; the message names the file and what is wrong."""


class _RefusedError(Exception):
    """A plain scalar this tool won't read: the engine would hand the program something else."""

    def __init__(self, problem: str, kind: str = "a number") -> None:
        super().__init__(problem)
        self.kind = kind
        """What the engine reads the scalar as, for a message about a key."""


class _ComposeLoader(_BaseLoader):
    """Composes nodes only: no implicit typing; untagged nodes get private tags, so explicit tags stand out."""

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 - PyYAML's own class attribute, emptied

    def resolve(self, kind: type[yaml.Node], value: str | None, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            return _PLAIN_TAG if implicit[0] else _STR_TAG
        return _MAP_TAG if kind is yaml.MappingNode else _SEQ_TAG


def secure_keys(config: Mapping[str, str]) -> list[str]:
    """The keys of ``config`` (as :func:`read_stack_config` returns it) that hold a ``secure:`` value, whole or nested:
    the keys the engine tells the program are secrets (``pulumi.runtime.is_config_secret``)."""
    return [key for key, value in config.items() if value == SECRET_PLACEHOLDER or json.dumps(SECRET_PLACEHOLDER) in value]


def read_stack_config(path: Path) -> dict[str, str]:
    """The ``config:`` block of the stack file at ``path``, as ``namespace:key`` → string.

    Raises :class:`StackFileError` (its message starts with ``path``, then the line, the key path and the fix)
    for a file Pulumi would read differently or refuse: a number or timestamp written unquoted whose text the
    engine changes, malformed YAML, duplicate keys, explicit tags, runaway aliases, a file over 1 MiB, ...
    """
    root = _compose(path, _read_text(path))
    if root is None:
        return {}
    converter = _Converter(path)
    document = converter.value(root, "", 0)
    if not isinstance(document, dict):
        raise converter.refuse(root, "", f"a stack file is a mapping with a 'config:' key, not {_kind(document)}")
    raw = document.get("config")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        node = next(value for key, value in root.value if key.value == "config")
        raise converter.refuse(node, "config", f"must be a mapping of 'namespace:key: value', not {_kind(raw)}")
    config: dict[str, str] = {}
    for key, value in raw.items():
        if isinstance(value, dict) and "value" in value and key.startswith("pulumi:"):
            continue
        config[key] = _config_text(value)
    return config


def _config_text(value: Any) -> str:
    """The string the engine hands the program for one top-level config value."""
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _read_text(path: Path) -> str:
    """The file's text: at most 1 MiB (checked before reading), UTF-8, only characters YAML allows."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise StackFileError(_too_large(path, size))
        with path.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise StackFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise StackFileError(_too_large(path, len(raw)))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise StackFileError(f"{path}:{line}: not UTF-8 (byte 0x{raw[exc.start]:02x}); save the stack file as UTF-8") from None
    text = text.removeprefix("\ufeff")
    bad = _NOT_PRINTABLE.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise StackFileError(
            f"{path}:{line}: the character U+{ord(bad.group()):04X} is not allowed in YAML; remove it "
            "(write it as an escape such as \\x07 inside double quotes if you mean it)"
        )
    return text


def _too_large(path: Path, size: int) -> str:
    return f"{path}: {size} bytes is too large for a stack file (at most {MAX_FILE_BYTES} bytes, 1 MiB); is it the right file?"


def _compose(path: Path, text: str) -> yaml.Node | None:
    """The single document's node tree; malformed YAML or a second document is refused with its line."""
    loader = _ComposeLoader(text)
    try:
        return loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        if exc.context == "expected a single document in the stream":
            raise StackFileError(
                f"{path}{line}: a second YAML document starts here; a stack file is one document: "
                "remove the '---' and what follows, or merge it into the first"
            ) from None
        column = f" (column {mark.column + 1})" if mark is not None else ""
        problem = exc.problem or exc.context or "malformed"
        raise StackFileError(f"{path}{line}: not valid YAML: {problem}{column}") from None
    except yaml.YAMLError as exc:
        raise StackFileError(f"{path}: not valid YAML: {getattr(exc, 'reason', None) or type(exc).__name__}") from None
    except RecursionError:  # pragma: no cover - only the pure-Python composer recurses
        raise StackFileError(f"{path}: nested more deeply than a stack file can be") from None
    finally:
        loader.dispose()


def _kind(value: Any) -> str:
    """What a resolved value is, for a message."""
    if value is None:
        return "an empty value (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if value == SECRET_PLACEHOLDER:
        return "a secure value"
    return "a date" if value.endswith(" +0000 UTC") else "text"


def _shown(text: str) -> str:
    """``text`` as written for a message, cut short when long."""
    return text if len(text) <= 60 else text[:57] + "..."


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


class _Converter:
    """Turns the node tree into plain Python values, refusing what Pulumi would read differently."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.expanded = 0
        """Nodes reached again through an alias."""
        self._seen: set[int] = set()
        self._open: set[int] = set()

    def value(self, node: yaml.Node, where: str, depth: int) -> Any:
        """``node`` as dicts, lists, strings, ints, booleans and None; ``where`` is its key path."""
        self._enter(node, where, depth)
        try:
            if isinstance(node, yaml.ScalarNode):
                return self._scalar(node, where)
            if isinstance(node, yaml.SequenceNode):
                return [self.value(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(node.value)]
            assert isinstance(node, yaml.MappingNode)
            return self._mapping(node, where, depth)
        finally:
            self._open.discard(id(node))

    def refuse(self, node: yaml.Node, where: str, problem: str) -> StackFileError:
        """The error for ``node``: file, line, key path, then what is wrong and the fix."""
        at = f"{where}: " if where else ""
        return StackFileError(f"{self.source}:{node.start_mark.line + 1}: {at}{problem}")

    def _enter(self, node: yaml.Node, where: str, depth: int) -> None:
        """Check the node's depth, alias expansion and tag before reading it."""
        if depth > MAX_DEPTH:
            raise self.refuse(node, where, f"nested more than {MAX_DEPTH} levels deep; a stack file never is")
        if id(node) in self._open:
            raise self.refuse(node, where, "an alias refers to a node that contains it; write the value out")
        if id(node) in self._seen:
            self.expanded += 1
            if self.expanded > MAX_ALIAS_NODES:
                raise self.refuse(
                    node, where, f"aliases expand to more than {MAX_ALIAS_NODES} nodes; write the values out instead"
                )
        else:
            self._seen.add(id(node))
        self._open.add(id(node))
        if node.tag not in _UNTAGGED[type(node)]:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            raise self.refuse(node, where, f"the tag {tag} is not plain YAML and Pulumi does not read it as written; remove it")

    def _mapping(self, node: yaml.MappingNode, where: str, depth: int) -> Any:
        result: dict[str, Any] = {}
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, where, depth + 1)
            line = key_node.start_mark.line + 1
            here = f"{where}.{key}" if where else key
            if key in lines:
                raise self.refuse(
                    key_node,
                    here,
                    f"duplicate key {_quoted(key)} (first at line {lines[key]}, again at line {line}); "
                    "Pulumi refuses a stack file with a key twice: keep one",
                )
            lines[key] = line
            value = self.value(value_node, here, depth + 1)
            if value is None and where == "config" and depth == 1:
                raise self.refuse(value_node, here, "has no value; give one (in quotes for text) or remove the key")
            result[key] = value
        if list(result) == ["secure"] and isinstance(result["secure"], str):
            return SECRET_PLACEHOLDER
        return result

    def _key(self, node: yaml.Node, where: str, depth: int) -> str:
        self._enter(node, where, depth)
        self._open.discard(id(node))
        if not isinstance(node, yaml.ScalarNode):
            raise self.refuse(node, where, "a mapping key must be text, not a list or a mapping")
        if node.value == "<<":
            raise self.refuse(node, where, "merge keys (<<) are not supported in stack files here; write the keys out")
        if node.tag == _STR_TAG:
            return str(node.value)
        try:
            kind = _kind(_resolve_plain(node.value))
        except _RefusedError as exc:
            kind = exc.kind
        if kind != "text":
            raise self.refuse(
                node,
                where,
                f"the key {_shown(node.value)} is read by Pulumi as {kind}, not text; write it in quotes: {_quoted(node.value)}",
            )
        return str(node.value)

    def _scalar(self, node: yaml.ScalarNode, where: str) -> Any:
        if node.tag == _STR_TAG:
            return str(node.value)
        try:
            return _resolve_plain(node.value)
        except _RefusedError as exc:
            raise self.refuse(node, where, str(exc)) from None


def _resolve_plain(text: str) -> Any:
    """A plain (unquoted, untagged) scalar as yaml.v3 resolves it; raises :class:`_RefusedError` where the
    engine would hand the program something other than the text written (a float, a rewritten number or
    timestamp)."""
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    if text in _SPECIAL_FLOATS:
        raise _RefusedError(_float_problem(text))
    if text[0] == "." and _DOT_FLOAT.fullmatch(text):
        raise _RefusedError(_float_problem(text))
    if text[0] not in "+-0123456789":
        return text
    date = _date(text)
    if date is not None:
        return date
    number = _go_int(text)
    if number is not None:
        return _checked_int(text, number)
    if _GO_FLOAT.fullmatch(text.replace("_", "")):
        raise _RefusedError(_float_problem(text))
    return text


def _date(text: str) -> str | None:
    """An unquoted date as the engine hands it to the program (Go's ``time.Time.String()``); a timestamp
    with a time of day is refused."""
    if _TIMESTAMP.match(text):
        raise _timestamp_problem(text)
    match = _DATE.fullmatch(text)
    if match is None:
        return None
    year, month, day = (int(part) for part in match.groups())
    if year == 0:
        raise _timestamp_problem(text)
    try:
        datetime.date(year, month, day)
    except ValueError:
        return None  # not a date to Go either: it stays the text written
    return f"{year:04d}-{month:02d}-{day:02d} 00:00:00 +0000 UTC"


def _go_int(text: str) -> tuple[int, str] | None:
    """yaml.v3's integers: Go's ``strconv.ParseInt(plain, 0, 64)`` then ``ParseUint`` on the text without
    underscores; the value and how it was read, or None. Past 64 bits Go reads a float: refused."""
    match = _GO_INT.fullmatch(text.replace("_", ""))
    if match is None:
        return None
    sign, digits = match.groups()
    if len(digits) > 70:
        raise _RefusedError(_float_problem(text))
    prefix = digits[:2].lower()
    if prefix in ("0x", "0o", "0b"):
        base, how = {"0x": (16, "the hexadecimal number"), "0o": (8, "the octal number"), "0b": (2, "the binary number")}[prefix]
        value = int(digits[2:], base)
    elif len(digits) > 1 and digits[0] == "0":
        value, how = int(digits, 8), "the octal number"
    else:
        value, how = int(digits), "the number"
    value = -value if sign == "-" else value
    if not _INT64_MIN <= value <= _UINT64_MAX or (sign == "+" and value >= 2**63):
        raise _RefusedError(_float_problem(text))
    return value, how


def _checked_int(text: str, number: tuple[int, str]) -> int:
    value, how = number
    if text != str(value):
        raise _RefusedError(
            f"unquoted {_shown(text)} is read by Pulumi as {how} {value}, not the digits written; "
            f"write it in quotes: {_quoted(text)}"
        )
    return value


def _float_problem(text: str) -> str:
    return (
        f"unquoted {_shown(text)} is read by Pulumi as a floating-point number, which no setting takes; "
        f"write it in quotes if you mean the text: {_quoted(text)}"
    )


def _timestamp_problem(text: str) -> _RefusedError:
    return _RefusedError(
        f"unquoted {_shown(text)} is read by Pulumi as a timestamp and handed to the program rewritten; "
        f"write it in quotes: {_quoted(text)}",
        "a timestamp",
    )
