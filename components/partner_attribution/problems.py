"""A problem with arguments or configuration: where it is, and what would be valid.

Paths are structured (``("role_assignments", 0, "scope")``) so each caller renders them in its own
vocabulary: Python argument names for the component, configuration keys for the stack file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar, cast

import pulumi

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


class InvalidArgumentsError(pulumi.RunError, ValueError):
    """A component's arguments break its rules; raised before any child resource is declared. Pulumi prints a
    ``RunError`` without a traceback. ``kind`` is the component's class name, for the message."""

    kind = "component"

    def __init__(self, name: str, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"{self.kind} {name!r} has invalid arguments:\n" + "\n".join(f"  - {p.render()}" for p in problems))


class _Named(Protocol):
    @property
    def name(self) -> str: ...


S = TypeVar("S", bound=_Named)
A = TypeVar("A")


def resolved(
    name: str,
    args: A | S,
    spec_type: type[S],
    resolve: Callable[[str, A], tuple[S | None, list[Problem]]],
    error: type[InvalidArgumentsError],
) -> S:
    """The spec a component declares from: ``args`` resolved for ``name``, or a spec already resolved for it
    (by a stack configuration loader). Raises ``error`` listing every problem, before anything is declared."""
    if isinstance(args, spec_type):
        if args.name != name:
            raise ValueError(f"the spec is for {args.name!r}, not {name!r}")
        return args
    spec, problems = resolve(name, cast(A, args))  # not a spec, so the arguments
    if spec is None:
        raise error(name, problems)
    return spec
