"""``partner-attribution``: the partner's command line.

Exit codes (:class:`~partner_attribution.cli.output.ExitCode`): 0 success, 1 a problem found and
reported (invalid configuration, drift, missing link, a failed call), 2 usage error (including a
missing file or input that is not what the command reads), 130 interrupted (Ctrl-C; during ``link`` or
``unlink`` the message says the write may have reached Azure and how to check). ``--format json`` writes machine-readable
output to stdout; messages go to stderr. Heavy SDKs are imported inside commands so ``--help`` starts fast.

* :mod:`.offline`: ``plan``, ``report``; :mod:`.live`: ``verify``, ``link``, ``show``, ``unlink``;
  :mod:`.fake`: ``fake-azure start|stop`` (the local fake of Entra and ARM, to try the live commands);
* :mod:`.options`: options shared by several commands; :mod:`.output`: consoles, exit codes, input.
"""

from __future__ import annotations

from typing import Annotated

import typer

from . import fake, live, offline, rehearse
from .output import interruptible

app = typer.Typer(
    name="partner-attribution",
    help="Microsoft Partner Admin Link (PAL) for Pulumi stacks: plan offline, report attribution, verify links.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

DISTRIBUTION = "partner-attribution"


def installed_version() -> str:
    """The installed distribution's version (pyproject.toml is its one home)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown (the package is not installed: pip install -e .)"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"{DISTRIBUTION} {installed_version()}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", "-V", help="Show the version and exit.", callback=_print_version, is_eager=True)
    ] = False,
) -> None:
    """Microsoft Partner Admin Link (PAL) for Pulumi stacks: plan offline, report attribution, verify links."""


for _command in (offline.plan, offline.report, live.verify, live.link, live.show, live.unlink, rehearse.rehearse):
    app.command()(interruptible(_command))
app.add_typer(fake.app, name="fake-azure")


def main() -> None:
    """Console entry point."""
    app()


__all__ = ["app", "installed_version", "main"]
