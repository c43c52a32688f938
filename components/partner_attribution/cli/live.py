"""Commands that call Azure: ``verify`` (each principal of a stack) and ``link``/``show``/``unlink``
(the signed-in identity's own link)."""

from __future__ import annotations

import os
import shlex
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from .options import FormatOption, InputOption, LiveFormat, LiveOptions, live_command
from .output import ExitCode, console, fail, printable, read_json, read_stdin, write_json

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..pal import LinkState, PartnerLinkClient

T = TypeVar("T")


ENVIRONMENT_IDENTITY = ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET")
"""The variables that make one identity ``verify --identity environment`` can check."""


class VerifyIdentity(str, Enum):
    """Whose links ``verify`` checks."""

    stack = "stack"
    """The principals of a stack output (standard input or ``--input``), each signed in with its own credential."""
    environment = "environment"
    """The one identity in ``AZURE_TENANT_ID``/``AZURE_CLIENT_ID``/``AZURE_CLIENT_SECRET``."""


def _choose_identity(chosen: VerifyIdentity | None, input_path: Path | None) -> VerifyIdentity:
    """The mode ``verify`` runs in: the one asked for, or the only one the command line and environment allow.

    Both possible (a credential in the environment and a stack output given with ``--input`` or piped in): refused,
    so a partner never gets the verdict on an identity other than the one they meant."""
    in_environment = all(os.environ.get(key) for key in ENVIRONMENT_IDENTITY)
    if chosen is VerifyIdentity.environment:
        if not in_environment:
            missing = ", ".join(key for key in ENVIRONMENT_IDENTITY if not os.environ.get(key))
            raise typer.BadParameter(f"--identity environment needs {missing} set", param_hint="--identity")
        if input_path is not None:
            raise typer.BadParameter("--input is the stack output of --identity stack; leave it out", param_hint="--input")
        return chosen
    if chosen is VerifyIdentity.stack or not in_environment:
        return VerifyIdentity.stack
    stack_output_given = input_path is not None or (not sys.stdin.isatty() and bool(read_stdin().strip()))
    if stack_output_given:
        raise typer.BadParameter(
            "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET hold a credential and a stack output was given too. "
            "Choose whose links to check: --identity stack (each principal of the stack output, signed in with its own "
            "credential) or --identity environment (the one identity in the AZURE_* variables, with --partner-id)",
            param_hint="--identity",
        )
    return VerifyIdentity.environment


@live_command(timeout=60)
def verify(
    live: LiveOptions,
    input_path: InputOption = None,
    partner_id: Annotated[
        str | None, typer.Option(help="Expected partner ID (default: each principal's configured one).")
    ] = None,
    concurrency: Annotated[int, typer.Option(min=1, max=256, help="Identities checked at once.")] = 16,
    output_format: FormatOption = LiveFormat.table,
    identity: Annotated[
        VerifyIdentity | None,
        typer.Option(
            "--identity",
            help="Whose links: 'stack' (the principals of the stack output) or 'environment' (the identity in "
            "AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET). Needed when both are there.",
        ),
    ] = None,
) -> None:
    """Sign in as each principal and check its PAL link names the expected partner ID.

    --identity stack: 'pulumi stack output --json --show-secrets' (attribution + linkCredentials) on stdin or
    --input; principals with a federated link are signed in with the pipeline's OIDC token (run it in the pipeline).
    --identity environment: the one identity in AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (then
    --partner-id is required). Without --identity, the mode is the one the input allows; a credential in the
    environment and a stack output together are refused until you choose. Exit 1 when any link is missing or wrong.

    Example: pulumi stack output --json --show-secrets | partner-attribution verify --identity stack
    Example (the signed-in service principal): partner-attribution verify --identity environment --partner-id 1234567
    """
    from ..pal.federation import EXCHANGE_AUDIENCES
    from ..verify import VerifyInputError, VerifyResult, VerifyTarget, targets_from_stack_output, verify_links

    if _choose_identity(identity, input_path) is VerifyIdentity.environment:
        if not partner_id:
            raise typer.BadParameter("give the expected --partner-id for the AZURE_* identity", param_hint="--partner-id")
        targets = [
            VerifyTarget(
                "environment identity",
                os.environ["AZURE_TENANT_ID"],
                os.environ["AZURE_CLIENT_ID"],
                os.environ["AZURE_CLIENT_SECRET"],
                partner_id,
            )
        ]
    else:
        try:
            targets = targets_from_stack_output(read_json(input_path, "the input"), partner_id)
        except VerifyInputError as exc:
            fail(str(exc), ExitCode.USAGE)
    endpoints = live.endpoints()

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    err = console(stderr=True)
    with Progress(
        TextColumn("verifying PAL links"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as progress:
        task = progress.add_task("verify", total=len(targets))

        def advance(_result: VerifyResult) -> None:
            progress.advance(task)

        results = verify_links(
            targets,
            endpoints,
            concurrency=concurrency,
            timeout=live.timeout,
            on_result=advance,
            token_audience=EXCHANGE_AUDIENCES.get(live.cloud, EXCHANGE_AUDIENCES["public"]),
        )

    failed = [r for r in results if not r.ok]
    if output_format is LiveFormat.json:
        write_json({"results": [r.as_json() for r in results], "failed": len(failed)})
    else:
        from rich.markup import escape
        from rich.table import Table

        table = Table("principal", "client ID", "expected", "linked to", "status", "detail")
        for r in results:
            colour = "green" if r.ok else "red"
            cells = [r.name, r.client_id, r.expected_partner_id, r.actual_partner_id or "-"]
            table.add_row(*(escape(printable(c)) for c in cells), f"[{colour}]{r.status}[/]", escape(printable(r.detail)))
        console().print(table)
    err.print(f"{len(results) - len(failed)} of {len(results)} links ok")
    raise typer.Exit(ExitCode.PROBLEM if failed else ExitCode.OK)


def _own_client(live: LiveOptions) -> PartnerLinkClient:
    """A client for the signed-in identity (azure-identity's DefaultAzureCredential)."""
    from ..pal import DefaultIdentitySource, PartnerLinkClient

    err = console(stderr=True)
    return PartnerLinkClient(
        DefaultIdentitySource(),
        live.endpoints(),
        timeout_seconds=live.timeout,
        on_retry=lambda message: err.print(message, markup=False),
    )


def _print_link(link: LinkState | None, output_format: LiveFormat) -> None:
    if output_format is LiveFormat.json:
        from dataclasses import asdict

        write_json(asdict(link) if link else None)
        return
    if link is None:
        console().print("not linked to a partner ID")
        return
    said = f"{link.partner_id} ({link.partner_name or 'unknown name'}), state {link.state}"  # Azure's words
    console().print(
        f"linked to partner ID {printable(said, newlines=False)}; object {link.object_id} in tenant {link.tenant_id}",
        markup=False,
    )


def _call(action: Callable[[], T]) -> T:
    from ..pal import LinkConflictError, PartnerLinkError

    try:
        return action()
    except LinkConflictError as exc:
        fail(
            f"the signed-in identity is already linked to partner ID {exc.current}, not {exc.wanted}. Another partner may "
            f"be delivering through this identity. To re-point the link to {exc.wanted}, run the same command with "
            "--overwrite."
        )
    except PartnerLinkError as exc:
        fail(str(exc))


def _show_command(live: LiveOptions) -> str:
    """The ``show`` command line that reads the same identity's link in the same cloud."""
    words = ["partner-attribution", "show"]
    if live.cloud != "public":
        words += ["--cloud", live.cloud]
    if live.authority_host:
        words += ["--authority-host", live.authority_host]
    if live.arm_endpoint:
        words += ["--arm-endpoint", live.arm_endpoint]
    return shlex.join(words)


def _write(live: LiveOptions, doing: str, outcome: str, action: Callable[[], T]) -> T:
    """Run a write to Azure; interrupted (Ctrl-C), say it may have reached Azure, how to check, and exit 130."""
    try:
        return _call(action)
    except KeyboardInterrupt:
        console(stderr=True).print(
            f"interrupted while {doing}: the request may have reached Azure, so {outcome}. "
            f"Check with the same identity: {_show_command(live)}",
            markup=False,
        )
        raise typer.Exit(ExitCode.INTERRUPTED) from None


@live_command(timeout=120)
def link(
    live: LiveOptions,
    partner_id: Annotated[str, typer.Option(help="Your Associated Partner ID.")],
    overwrite: Annotated[bool, typer.Option(help="Re-point a link to another partner ID.")] = False,
    output_format: FormatOption = LiveFormat.table,
) -> None:
    """Link the signed-in identity to a partner ID (like 'az managementpartner create').

    The identity comes from azure-identity's DefaultAzureCredential: environment variables, workload or
    managed identity, Azure CLI login.

    Example: partner-attribution link --partner-id 1234567
    """
    from ..validators import check_partner_id

    problem = check_partner_id(partner_id)
    if problem is not None:
        raise typer.BadParameter(problem, param_hint="--partner-id")
    client = _own_client(live)
    linked = _write(
        live,
        f"linking to partner ID {partner_id}",
        "the identity may now be linked to it",
        lambda: client.link(partner_id, overwrite=overwrite),
    )
    _print_link(linked, output_format)


@live_command(timeout=60)
def show(live: LiveOptions, output_format: FormatOption = LiveFormat.table) -> None:
    """Show the signed-in identity's PAL link (like 'az managementpartner show'). Exit 1 when there is none.

    Example: partner-attribution show --format json
    """
    client = _own_client(live)
    current = _call(client.get)
    _print_link(current, output_format)
    raise typer.Exit(ExitCode.OK if current else ExitCode.PROBLEM)


@live_command(timeout=60)
def unlink(
    live: LiveOptions,
    partner_id: Annotated[str | None, typer.Option(help="Only unlink if linked to this ID (default: the current one).")] = None,
    output_format: FormatOption = LiveFormat.table,
) -> None:
    """Remove the signed-in identity's PAL link (like 'az managementpartner delete').

    Example: partner-attribution unlink
    """
    client = _own_client(live)
    current = _call(client.get)
    if current is not None and partner_id and current.partner_id != partner_id:
        fail(f"linked to {current.partner_id}, not {partner_id}: left as it is")
    if current is not None:
        _write(
            live,
            f"unlinking from partner ID {current.partner_id}",
            "the link may be gone",
            lambda: client.unlink(current.partner_id),
        )
    removed = current.partner_id if current else None
    if output_format is LiveFormat.json:
        write_json({"unlinked": removed})
    console(stderr=True).print(
        f"unlinked from partner ID {removed}" if removed else "not linked: nothing to remove", markup=False
    )
