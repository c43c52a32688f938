"""``partner-attribution``: the partner's command line.

Exit codes (:class:`~partner_attribution.cli.output.ExitCode`): 0 success, 1 a problem found and
reported (invalid configuration, drift, missing link, a failed call), 2 usage error (including a
missing file or input that is not what the command reads), 130 interrupted (Ctrl-C; during ``link`` or
``unlink`` the message says the write may have reached Azure and how to check). ``--format json`` writes machine-readable
output to stdout; messages go to stderr. Heavy SDKs are imported inside commands so ``--help`` starts fast.

* :mod:`.offline`: ``plan``, ``report``; :mod:`.live`: ``verify``, ``link``, ``show``, ``unlink``;
* :mod:`.options`: options shared by several commands; :mod:`.output`: consoles, exit codes, input.
"""

from __future__ import annotations

import typer

from . import live, offline, rehearse
from .output import interruptible

app = typer.Typer(
    name="partner-attribution",
    help="Microsoft Partner Admin Link (PAL) for Pulumi stacks: plan offline, report attribution, verify links.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Microsoft Partner Admin Link (PAL) for Pulumi stacks: plan offline, report attribution, verify links."""


for _command in (offline.plan, offline.report, live.verify, live.link, live.show, live.unlink, rehearse.rehearse):
    app.command()(interruptible(_command))


def main() -> None:
    """Console entry point."""
    app()


__all__ = ["app", "main"]
