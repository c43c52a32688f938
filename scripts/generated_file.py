"""Write a generated file, or (``--check``) say that the committed one is out of date: shared by the generators."""

from __future__ import annotations

import sys
from pathlib import Path


def write_or_check(output: Path, text: str, *, check: bool, command: str) -> int:
    """Write ``text`` to ``output``; with ``check``, write nothing and return 1 when ``output`` differs from it,
    naming ``command`` as the way to regenerate. Returns the exit code."""
    if check:
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        if current != text:
            print(f"{output} is out of date: run {command}", file=sys.stderr)
            return 1
        return 0
    output.write_text(text, encoding="utf-8")
    print(f"wrote {output}")
    return 0
