"""Commands that need no cloud: ``plan`` (evaluate the program on a stack file) and ``report``."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from .options import InputOption
from .output import ExitCode, console, fail, printable, read_json, write_json

MANAGING_STACK_OUTPUT_ENV = "PARTNER_ATTRIBUTION_MANAGING_STACK_OUTPUT"
"""The environment variable ``plan --managing-stack-output`` falls back to."""


class PlanFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"


class ReportFormat(str, Enum):
    markdown = "markdown"
    json = "json"
    csv = "csv"
    html = "html"


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
    managing_stack_output: Annotated[
        Path | None,
        typer.Option(
            "--managing-stack-output",
            envvar=MANAGING_STACK_OUTPUT_ENV,
            help="For a customer's Lighthouse stack: 'pulumi stack output --json' of its managingStack, saved to a "
            "file; without it the managing principals' object IDs are placeholders and their link state unknown.",
        ),
    ] = None,
) -> None:
    """Show what a stack would declare, offline: no cloud, no credentials, no Pulumi CLI.

    Evaluates the real program under Pulumi's mock engine and prints, per principal, the
    application, service principal, credentials, role assignments (with PAL eligibility) and PAL
    link, with warnings and configuration errors in the words a real preview uses.

    Example: partner-attribution plan --stack dev
    Example (CI over every customer): partner-attribution plan -c customers/a.yaml -c customers/b.yaml -f json
    Example (Lighthouse): partner-attribution plan -c examples/lighthouse/Pulumi.customer.yaml
    --managing-stack-output examples/lighthouse/managing-tenant.output.json
    """
    from ..offline.plan import ManagingStackOutputError, StackPlan, plan_stack, read_stack_outputs
    from ..offline.render import markdown, print_tree, summary

    paths = list(config or [])
    if stack:
        paths.insert(0, Path(f"Pulumi.{stack}.yaml"))
    if not paths:
        raise typer.BadParameter("give --stack NAME or --config PATH", param_hint="--stack/--config")
    for path in paths:
        if not path.is_file():
            raise typer.BadParameter(f"{path} not found", param_hint="--stack/--config")
    program_path = program or Path("__main__.py")
    if not program_path.exists():
        raise typer.BadParameter(
            f"{program_path} not found; run in the project directory or pass --program", param_hint="--program"
        )

    if managing_stack_output is not None:
        if not managing_stack_output.is_file():
            raise typer.BadParameter(f"{managing_stack_output} not found", param_hint="--managing-stack-output")
        try:
            read_stack_outputs(managing_stack_output)
        except ManagingStackOutputError as exc:
            raise typer.BadParameter(str(exc), param_hint="--managing-stack-output") from None

    err = console(stderr=True)
    plans: list[StackPlan] = []
    for index, path in enumerate(paths, start=1):
        if len(paths) > 1:
            err.print(f"[{index}/{len(paths)}] planning {path}", markup=False)
        plans.append(plan_stack(path, program_path, managing_stack_output))

    if output_format is PlanFormat.json:
        write_json(plans[0].as_json() if len(plans) == 1 else {"stacks": [p.as_json() for p in plans], "summary": summary(plans)})
    elif output_format is PlanFormat.markdown:
        sys.stdout.write("\n\n".join(markdown(p) for p in plans) + "\n")
    else:
        out = console()
        for p in plans:
            print_tree(out, p)
    from rich.markup import escape

    for p in plans:
        for warning in p.warnings:
            err.print(f"[yellow]warning:[/] {escape(printable(warning))}")  # warnings quote names: never markup
        if p.errors:
            err.print(f"[red]error:[/] {escape(printable(str(p.source)))}: the configuration has {len(p.errors)} problem(s):")
            for problem in p.errors:
                err.print(f"  - {printable(problem)}", markup=False)
    if len(plans) > 1:
        totals = summary(plans)
        err.print(
            f"{totals['stacks']} stacks: {totals['ok']} ok, {totals['failed']} with errors, {totals['principals']} principals"
        )
    raise typer.Exit(ExitCode.OK if all(p.ok for p in plans) else ExitCode.PROBLEM)


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
    from ..report import RENDERERS, ReportInputError, load_attribution

    document = read_json(input_path, "the input")
    try:
        attribution = load_attribution(document)
    except ReportInputError as exc:
        fail(str(exc), ExitCode.USAGE)
    sys.stdout.write(RENDERERS[output_format.value](attribution))
    gaps = attribution.summary["gaps"]
    for gap in gaps:
        console(stderr=True).print(f"gap: {printable(gap)}", markup=False)
    raise typer.Exit(ExitCode.PROBLEM if gaps else ExitCode.OK)
