"""``partner-attribution``: the partner's command line.

Exit codes: 0 success, 1 a problem found and reported (invalid configuration, drift, missing link),
2 usage error. ``--format json`` writes machine-readable output to stdout; messages go to stderr.
Heavy SDKs are imported inside commands so ``--help`` starts fast.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from .plan import StackPlan

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


class PlanFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"


def _console(stderr: bool = False) -> Console:
    """Rich output: colour only on a terminal; elsewhere (CI logs, pipes) wide lines, never wrapped mid-word."""
    from rich.console import Console

    console = Console(stderr=stderr, highlight=False, soft_wrap=stderr)
    if not console.is_terminal:
        console = Console(stderr=stderr, highlight=False, soft_wrap=stderr, width=240)
    return console


def _project_dir() -> Path:
    return Path.cwd()


@app.command()
def plan(
    stack: Annotated[
        str | None,
        typer.Option("--stack", "-s", help="Stack name: reads Pulumi.<stack>.yaml in the project directory."),
    ] = None,
    config: Annotated[
        list[Path] | None,
        typer.Option("--config", "-c", help="Stack file(s) to check; repeat for several customers.", exists=False),
    ] = None,
    program: Annotated[Path | None, typer.Option(help="The Pulumi program to evaluate (default: ./__main__.py).")] = None,
    output_format: Annotated[PlanFormat, typer.Option("--format", "-f", help="table, json or markdown.")] = PlanFormat.table,
) -> None:
    """Show what a stack would declare, offline: no cloud, no credentials, no Pulumi CLI.

    Evaluates the real program under Pulumi's mock engine and prints, per principal, the
    application, service principal, credentials, role assignments (with PAL eligibility) and PAL
    link, with warnings and configuration errors in the words a real preview uses.

    Example: partner-attribution plan --stack dev
    Example (CI over every customer): partner-attribution plan -c customers/a.yaml -c customers/b.yaml -f json
    """
    from .plan import plan_stack

    root = _project_dir()
    paths = list(config or [])
    if stack:
        paths.insert(0, Path(f"Pulumi.{stack}.yaml") if root == Path.cwd() else root / f"Pulumi.{stack}.yaml")
    if not paths:
        raise typer.BadParameter("give --stack NAME or --config PATH", param_hint="--stack/--config")
    program_path = program or root / "__main__.py"
    if not program_path.exists():
        raise typer.BadParameter(
            f"{program_path} not found; run in the project directory or pass --program", param_hint="--program"
        )

    err = _console(stderr=True)
    plans: list[StackPlan] = []
    for index, path in enumerate(paths, start=1):
        if len(paths) > 1:
            err.print(f"[{index}/{len(paths)}] planning {path}")
        plans.append(plan_stack(path, program_path))

    if output_format is PlanFormat.json:
        document = plans[0].as_json() if len(plans) == 1 else {"stacks": [p.as_json() for p in plans], "summary": _summary(plans)}
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    elif output_format is PlanFormat.markdown:
        sys.stdout.write("\n\n".join(_markdown(p) for p in plans) + "\n")
    else:
        out = _console()
        for p in plans:
            _print_tree(out, p)
    for p in plans:
        for warning in p.warnings:
            err.print(f"[yellow]warning:[/] {warning}")
        if p.errors:
            err.print(f"[red]error:[/] {p.source}: the configuration has {len(p.errors)} problem(s):")
            for problem in p.errors:
                err.print(f"  - {problem}", markup=False)
    if len(plans) > 1:
        summary = _summary(plans)
        err.print(
            f"{summary['stacks']} stacks: {summary['ok']} ok, {summary['failed']} with errors, {summary['principals']} principals"
        )
    raise typer.Exit(0 if all(p.ok for p in plans) else 1)


def _summary(plans: list[StackPlan]) -> dict[str, int]:
    return {
        "stacks": len(plans),
        "ok": sum(p.ok for p in plans),
        "failed": sum(not p.ok for p in plans),
        "principals": sum(len(p.principals) for p in plans),
        "warnings": sum(len(p.warnings) for p in plans),
    }


def _eligibility(flag: bool) -> str:
    return "PAL-eligible" if flag else "not PAL-eligible"


def _print_tree(out: Console, plan: StackPlan) -> None:
    from rich.markup import escape
    from rich.tree import Tree

    tree = Tree(f"[bold]{escape(plan.source)}[/]")
    if not plan.ok:
        tree.add("[red]not planned: configuration errors (below)[/]")
    for p in plan.principals:
        branch = tree.add(f"[bold]{escape(p['name'])}[/] ({escape(p['displayName'])})")
        branch.add(f"application {escape(p['name'])}-app")
        branch.add(f"service principal {escape(p['name'])}-sp")
        branch.add(f"link credential {escape(p['name'])}-password, valid until {p['credentialEndDate'][:10]}")
        for fic in p["federatedCredentials"]:
            branch.add(f"federated credential {escape(fic)}")
        for role in p["roleAssignments"]:
            colour = "green" if role["palEligible"] else "yellow"
            eligibility = f"[{colour}]{_eligibility(role['palEligible'])}[/]"
            branch.add(f"role [bold]{escape(role['role'])}[/] at {escape(role['scope'])} {eligibility}")
        branch.add(f"PAL link to partner ID [bold]{p['partnerId']}[/]")
    out.print(tree)


def _markdown(plan: StackPlan) -> str:
    lines = [f"### {plan.source}", ""]
    if not plan.ok:
        lines += ["**Configuration errors:**", ""] + [f"- {e}" for e in plan.errors]
        return "\n".join(lines)
    lines += ["| principal | partner ID | role | scope | PAL |", "|---|---|---|---|---|"]
    for p in plan.principals:
        for role in p["roleAssignments"]:
            pal = "yes" if role["palEligible"] else "no"
            lines.append(f"| {p['name']} | {p['partnerId']} | {role['role']} | `{role['scope']}` | {pal} |")
    lines += [""] + [f"> warning: {w}" for w in plan.warnings]
    return "\n".join(lines).rstrip()


class ReportFormat(str, Enum):
    markdown = "markdown"
    json = "json"
    csv = "csv"
    html = "html"


class LiveFormat(str, Enum):
    table = "table"
    json = "json"


def _read_json(path: Path | None, what: str) -> object:
    if (path is None or str(path) == "-") and sys.stdin.isatty():
        raise typer.BadParameter("pipe 'pulumi stack output --json' into this command or give --input FILE", param_hint="--input")
    text = sys.stdin.read() if path is None or str(path) == "-" else _read_file(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        _fail(f"{what} is not JSON ({exc.msg} at line {exc.lineno}); pipe 'pulumi stack output --json' into it")


def _read_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {path}: {exc.strerror}", param_hint="--input") from None


def _fail(message: str, code: int = 1) -> NoReturn:
    from rich.markup import escape

    _console(stderr=True).print(f"[red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


InputOption = Annotated[Path | None, typer.Option("--input", "-i", help="JSON file, or - for standard input (the default).")]
CloudOption = Annotated[str, typer.Option(help="public, usgovernment or china.")]
AuthorityOption = Annotated[str | None, typer.Option(help="Entra authority override (private clouds, tests).")]
ArmOption = Annotated[str | None, typer.Option(help="Azure Resource Manager endpoint override (private clouds, tests).")]
TimeoutOption = Annotated[float, typer.Option(help="Retry budget per identity, in seconds.")]


def _endpoints(cloud: str, authority_host: str | None, arm_endpoint: str | None):  # type: ignore[no-untyped-def]
    from .pal_client import CloudEndpoints, quiet_sdk_logging

    quiet_sdk_logging()
    try:
        return CloudEndpoints.for_cloud(cloud, authority_host, arm_endpoint)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--cloud") from None


@app.command()
def report(
    input_path: InputOption = None,
    output_format: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="markdown, json, csv or html.")
    ] = ReportFormat.markdown,
) -> None:
    """Turn the stack's 'attribution' output into an attribution report.

    Per principal: partner ID, link state, roles and scopes, PAL eligibility; then a summary (principals
    linked, scopes covered by eligible roles, gaps) and the non-Azure workloads to claim by hand.
    Exit 1 when there are gaps.

    Example: pulumi stack output --json | partner-attribution report --format html > attribution.html
    """
    from .report import RENDERERS, ReportInputError, load_attribution

    document = _read_json(input_path, "the input")
    try:
        attribution = load_attribution(document)
    except ReportInputError as exc:
        _fail(str(exc))
    sys.stdout.write(RENDERERS[output_format.value](attribution))
    gaps = attribution.summary["gaps"]
    for gap in gaps:
        _console(stderr=True).print(f"gap: {gap}", markup=False)
    raise typer.Exit(1 if gaps else 0)


@app.command()
def verify(
    input_path: InputOption = None,
    partner_id: Annotated[
        str | None, typer.Option(help="Expected partner ID (default: each principal's configured one).")
    ] = None,
    concurrency: Annotated[int, typer.Option(min=1, max=256, help="Identities checked at once.")] = 16,
    timeout: TimeoutOption = 60,
    cloud: CloudOption = "public",
    authority_host: AuthorityOption = None,
    arm_endpoint: ArmOption = None,
    output_format: Annotated[LiveFormat, typer.Option("--format", "-f", help="table or json.")] = LiveFormat.table,
) -> None:
    """Sign in as each principal and check its PAL link names the expected partner ID.

    Input: 'pulumi stack output --json --show-secrets' (attribution + linkCredentials) on stdin or --input.
    With AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET set and no --input, checks that one identity
    (then --partner-id is required). Exit 1 when any link is missing or wrong.

    Example: pulumi stack output --json --show-secrets | partner-attribution verify
    """
    import os

    from .verify import VerifyInputError, VerifyResult, VerifyTarget, targets_from_stack_output, verify_links

    env_identity = all(os.environ.get(k) for k in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"))
    if env_identity and input_path is None:
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
            targets = targets_from_stack_output(_read_json(input_path, "the input"), partner_id)
        except VerifyInputError as exc:
            _fail(str(exc))
    endpoints = _endpoints(cloud, authority_host, arm_endpoint)

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    err = _console(stderr=True)
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

        results = verify_links(targets, endpoints, concurrency=concurrency, timeout=timeout, on_result=advance)

    failed = [r for r in results if not r.ok]
    if output_format is LiveFormat.json:
        sys.stdout.write(json.dumps({"results": [r.as_json() for r in results], "failed": len(failed)}, indent=2) + "\n")
    else:
        from rich.markup import escape
        from rich.table import Table

        table = Table("principal", "client ID", "expected", "linked to", "status", "detail")
        for r in results:
            colour = "green" if r.ok else "red"
            cells = [r.name, r.client_id, r.expected_partner_id, r.actual_partner_id or "-"]
            table.add_row(*map(escape, cells), f"[{colour}]{r.status}[/]", escape(r.detail))
        _console().print(table)
    err.print(f"{len(results) - len(failed)} of {len(results)} links ok")
    raise typer.Exit(1 if failed else 0)


def _own_client(cloud: str, authority_host: str | None, arm_endpoint: str | None, timeout: float):  # type: ignore[no-untyped-def]
    from .pal_client import DefaultIdentitySource, PartnerLinkClient

    err = _console(stderr=True)
    return PartnerLinkClient(
        DefaultIdentitySource(),
        _endpoints(cloud, authority_host, arm_endpoint),
        timeout_seconds=timeout,
        on_retry=lambda message: err.print(message, markup=False),
    )


def _print_link(link, output_format: LiveFormat) -> None:  # type: ignore[no-untyped-def]
    if output_format is LiveFormat.json:
        from dataclasses import asdict

        sys.stdout.write(json.dumps(asdict(link) if link else None, indent=2) + "\n")
        return
    if link is None:
        _console().print("not linked to a partner ID")
        return
    _console().print(
        f"linked to partner ID [bold]{link.partner_id}[/] ({link.partner_name or 'unknown name'}), state {link.state}; "
        f"object {link.object_id} in tenant {link.tenant_id}"
    )


def _run_own(action):  # type: ignore[no-untyped-def]
    from .pal_client import PartnerLinkError

    try:
        return action()
    except PartnerLinkError as exc:
        _fail(str(exc))


@app.command()
def link(
    partner_id: Annotated[str, typer.Option(help="Your Associated Partner ID.")],
    overwrite: Annotated[bool, typer.Option(help="Re-point a link to another partner ID.")] = False,
    timeout: TimeoutOption = 120,
    cloud: CloudOption = "public",
    authority_host: AuthorityOption = None,
    arm_endpoint: ArmOption = None,
    output_format: Annotated[LiveFormat, typer.Option("--format", "-f")] = LiveFormat.table,
) -> None:
    """Link the signed-in identity to a partner ID (like 'az managementpartner create').

    The identity comes from azure-identity's DefaultAzureCredential: environment variables, workload or
    managed identity, Azure CLI login.

    Example: partner-attribution link --partner-id 1234567
    """
    from .validation import PARTNER_ID_PATTERN

    if not PARTNER_ID_PATTERN.match(partner_id):
        raise typer.BadParameter(f"{partner_id!r} is not a numeric partner ID (4 to 10 digits)", param_hint="--partner-id")
    client = _own_client(cloud, authority_host, arm_endpoint, timeout)
    _print_link(_run_own(lambda: client.link(partner_id, overwrite=overwrite)), output_format)


@app.command()
def show(
    timeout: TimeoutOption = 60,
    cloud: CloudOption = "public",
    authority_host: AuthorityOption = None,
    arm_endpoint: ArmOption = None,
    output_format: Annotated[LiveFormat, typer.Option("--format", "-f")] = LiveFormat.table,
) -> None:
    """Show the signed-in identity's PAL link (like 'az managementpartner show'). Exit 1 when there is none.

    Example: partner-attribution show --format json
    """
    client = _own_client(cloud, authority_host, arm_endpoint, timeout)
    current = _run_own(client.get)
    _print_link(current, output_format)
    raise typer.Exit(0 if current else 1)


@app.command()
def unlink(
    partner_id: Annotated[str | None, typer.Option(help="Only unlink if linked to this ID (default: the current one).")] = None,
    timeout: TimeoutOption = 60,
    cloud: CloudOption = "public",
    authority_host: AuthorityOption = None,
    arm_endpoint: ArmOption = None,
    output_format: Annotated[LiveFormat, typer.Option("--format", "-f")] = LiveFormat.table,
) -> None:
    """Remove the signed-in identity's PAL link (like 'az managementpartner delete').

    Example: partner-attribution unlink
    """
    client = _own_client(cloud, authority_host, arm_endpoint, timeout)
    current = _run_own(client.get)
    if current is not None and partner_id and current.partner_id != partner_id:
        _fail(f"linked to {current.partner_id}, not {partner_id}: left as it is")
    if current is not None:
        _run_own(lambda: client.unlink(current.partner_id))
    removed = current.partner_id if current else None
    if output_format is LiveFormat.json:
        sys.stdout.write(json.dumps({"unlinked": removed}) + "\n")
    message = f"unlinked from partner ID {removed}" if removed else "not linked: nothing to remove"
    _console(stderr=True).print(message)


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":
    main()
