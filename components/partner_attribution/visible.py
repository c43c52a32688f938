"""Text from configuration, tokens or Azure shown so that what differs can be seen: every character that is not
printable ASCII (control characters, line breaks, non-ASCII lookalikes such as Cyrillic ``а`` for Latin ``a``,
invisible spaces) is written as an escape, and values are quoted so surrounding spaces show."""

from __future__ import annotations

import html
import re
import unicodedata

_TERMINAL_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
"""What a terminal would act on or hide: control characters (escape sequences that rewrite the screen or the title),
zero-width, line/paragraph separators and bidirectional overrides. Tab and newline are kept, see :func:`printable`."""


def printable(text: str, *, newlines: bool = True) -> str:
    """``text`` safe for a terminal, a log or a markdown cell: every control, invisible or direction-changing
    character shown as ``\\xNN`` / ``\\uNNNN``; with ``newlines=False`` line breaks too (``\\n``), for a value
    inside one line, which must not start a line of its own."""

    def shown(match: re.Match[str]) -> str:
        code = ord(match.group(0))
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    text = _TERMINAL_CONTROL.sub(shown, text)
    return text if newlines else text.replace("\r", "\\r").replace("\n", "\\n")


def html_text(value: object, quote: bool = True) -> str:
    """``value`` as HTML text: :func:`printable` (a page printed to a terminal, or read in a browser, shows a control
    or direction-changing character as its escape), then HTML-escaped."""
    return html.escape(printable(str(value)), quote)


def visible(text: str) -> str:
    """``text`` in double quotes with every character outside printable ASCII escaped (``\\n``, ``\\x1b``,
    ``\\u0430``): two values that look alike on screen look different here."""
    out = []
    for character in text:
        code = ord(character)
        if character in '"\\':
            out.append("\\" + character)
        elif 0x20 <= code < 0x7F:
            out.append(character)
        elif character in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[character])
        else:
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


def _describe(character: str | None) -> str:
    if character is None:
        return "nothing (it ends there)"
    name = unicodedata.name(character, "unnamed character")
    return f"{visible(character)} (U+{ord(character):04X} {name})"


def difference(expected: str, presented: str) -> str:
    """Where ``presented`` first differs from ``expected``, naming both characters (empty when they are equal)."""
    if expected == presented:
        return ""
    index = next(
        (i for i, (a, b) in enumerate(zip(expected, presented, strict=False)) if a != b), min(len(expected), len(presented))
    )
    wanted = expected[index] if index < len(expected) else None
    got = presented[index] if index < len(presented) else None
    return f"they first differ at character {index + 1}: {_describe(wanted)} where {_describe(got)} was presented"
