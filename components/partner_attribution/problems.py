"""A problem with arguments or configuration: where it is, and what would be valid.

Paths are structured (``("role_assignments", 0, "scope")``) so each caller renders them in its own
vocabulary: Python argument names for the component, configuration keys for the stack file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong, and what would be valid.

    Field names inside ``message`` are written ``«python_name»`` so each caller can show them
    in its own vocabulary (config keys for stack configuration, argument names for Python).
    """

    path: Path
    message: str

    def render(self, rename: dict[str, str] | None = None) -> str:
        text = self.message
        for name in re.findall(r"«(\w+)»", text):
            text = text.replace(f"«{name}»", (rename or {}).get(name, name))
        return f"{format_path(self.path, rename)}: {text}" if self.path else text

    def under(self, *prefix: str | int) -> Problem:
        """The same problem, one level deeper (e.g. under ``principals[2]``)."""
        return Problem((*prefix, *self.path), self.message)


def format_path(path: Iterable[str | int], rename: dict[str, str] | None = None) -> str:
    """Render ``("role_assignments", 0, "scope")`` as ``role_assignments[0].scope`` (after renaming)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = (rename or {}).get(part, part)
            out += f".{name}" if out else name
    return out
