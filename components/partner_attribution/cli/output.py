"""What every command shares: consoles, exit codes, reading JSON input, failing with a message."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer

from .. import visible

if TYPE_CHECKING:
    from rich.console import Console

F = TypeVar("F", bound=Callable[..., Any])


class ExitCode(IntEnum):
    """One exit code for one kind of outcome, across all commands."""

    OK = 0
    PROBLEM = 1
    """A problem found and reported: invalid configuration, drift, a missing or wrong link, a failed call."""
    USAGE = 2
    """The command line is wrong: a missing file, an option out of range, input that is not what the command reads."""
    INTERRUPTED = 130
    """Interrupted (Ctrl-C): 128 + SIGINT, as shells report it."""


def console(stderr: bool = False) -> Console:
    """Rich output: colour only on a terminal; elsewhere (CI logs, pipes) wide lines, never wrapped mid-word."""
    from rich.console import Console

    out = Console(stderr=stderr, highlight=False, soft_wrap=stderr)
    if not out.is_terminal:
        out = Console(stderr=stderr, highlight=False, soft_wrap=stderr, width=240)
    return out


printable = visible.printable
"""``text`` safe for a terminal (:func:`partner_attribution.visible.printable`): names and messages can come from
stack files and from Azure."""


def fail(message: str, code: ExitCode = ExitCode.PROBLEM) -> NoReturn:
    """Print ``error: message`` (literally, no markup, no control characters) on stderr and exit with ``code``."""
    from rich.markup import escape

    console(stderr=True).print(f"[red]error:[/] {escape(printable(message))}", highlight=False)
    raise typer.Exit(int(code))


def interruptible(command: F) -> F:
    """Make Ctrl-C end ``command`` with ``interrupted`` on stderr and exit 130, not click's "Aborted!" and 1."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except KeyboardInterrupt:
            console(stderr=True).print("interrupted", markup=False)
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None

    return run  # type: ignore[return-value]


MAX_INPUT_BYTES = 64 * 1024 * 1024
"""Largest input a command reads (a 500-principal stack output is well under 2 MB): /dev/zero or an endless pipe is
refused instead of filling memory."""


def _too_large(where: str, option: str) -> typer.BadParameter:
    return typer.BadParameter(
        f"{where} is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB: not a stack output", param_hint=option
    )


def read_file(path: Path, option: str = "--input") -> str:
    """The UTF-8 text of ``path``; a usage error (exit 2) naming ``option`` when it can't be read."""
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_INPUT_BYTES + 1)
        if len(data) > MAX_INPUT_BYTES:
            raise _too_large(str(path), option)
        return data.decode("utf-8")
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {path}: {exc.strerror or exc}", param_hint=option) from None
    except UnicodeDecodeError:
        raise typer.BadParameter(
            f"{path} is not UTF-8 text; give the JSON 'pulumi stack output --json' writes", param_hint=option
        ) from None


def read_stdin() -> str:
    """Standard input as UTF-8 text (at most :data:`MAX_INPUT_BYTES`); it can be read once."""
    try:
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1) if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()
        if len(data) > MAX_INPUT_BYTES:
            raise _too_large("standard input", "--input")
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise typer.BadParameter(
            "standard input is not UTF-8 text; pipe 'pulumi stack output --json' into it", param_hint="--input"
        ) from None


def read_json(path: Path | None, what: str) -> object:
    """JSON from ``path`` or, for None or ``-``, standard input (never waiting on a terminal)."""
    if (path is None or str(path) == "-") and sys.stdin.isatty():
        raise typer.BadParameter("pipe 'pulumi stack output --json' into this command or give --input FILE", param_hint="--input")
    text = read_stdin() if path is None or str(path) == "-" else read_file(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"{what} is not JSON ({exc.msg} at line {exc.lineno}); pipe 'pulumi stack output --json' into it", ExitCode.USAGE)
    except RecursionError:
        fail(f"{what} is nested too deeply to be a stack output; pipe 'pulumi stack output --json' into it", ExitCode.USAGE)


def write_json(document: object) -> None:
    sys.stdout.write(json.dumps(document, indent=2) + "\n")
