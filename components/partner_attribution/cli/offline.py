"""Commands that need no cloud: ``plan`` (evaluate the program on a stack file) and ``report``."""

from __future__ import annotations

import os
import sys
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from .options import InputOption
from .output import ExitCode, console, fail, printable, read_json, write_json

MANAGING_STACK_OUTPUT_ENV = "PARTNER_ATTRIBUTION_MANAGING_STACK_OUTPUT"
"""The environment variable ``plan --managing-stack-output`` falls back to."""


class PlanFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"
    attribution = "attribution"
    """The ``attribution`` stack output the stack would have, as ``pulumi stack output --json`` prints it: what
    ``report`` reads, for a preview of the report before deploying."""


class ReportFormat(str, Enum):
    markdown = "markdown"
    json = "json"
    csv = "csv"
    html = "html"


STACK_FILE_PATTERN = "Pulumi.*.yaml"


def stack_file(stack: str, project_dir: Path) -> Path:
    """``Pulumi.<stack>.yaml`` in ``project_dir``; a usage error listing the stacks there (and the nearest name) when
    there is no such file. A fully qualified ``org/project/stack`` names the same file as ``stack``."""
    import difflib

    name = stack.rsplit("/", 1)[-1]
    path = project_dir / f"Pulumi.{name}.yaml"
    if path.is_file():
        return Path(path.name) if project_dir == Path.cwd() else path
    known = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob(STACK_FILE_PATTERN) if p.is_file())
    if not known:
        raise typer.BadParameter(
            f"no stack {stack!r}: {project_dir} has no stack files (Pulumi.<stack>.yaml); run in the project directory, "
            "or give the file with --config PATH",
            param_hint="--stack",
        )
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise typer.BadParameter(
        f"no stack {stack!r} ({path.name} not found).{hint} Stacks here: {', '.join(known)}", param_hint="--stack"
    )


def plan(
    stack: Annotated[
        str | None,
        typer.Option("--stack", "-s", help="Stack name: reads Pulumi.<stack>.yaml in the project directory."),
    ] = None,
    config: Annotated[
        list[Path] | None,
        typer.Option("--config", "-c", help="Stack file(s) to check; repeat for several customers.", exists=False),
    ] = None,
    program: Annotated[
        Path | None,
        typer.Option(
            help="The Pulumi program to evaluate: a file, or a project directory (its Pulumi.yaml's main, else "
            "__main__.py), as the project Pulumi.yaml names (default: ./__main__.py)."
        ),
    ] = None,
    output_format: Annotated[
        PlanFormat,
        typer.Option(
            "--format",
            "-f",
            help="table, json, markdown, or attribution: the stack's 'attribution' output as it would be after "
            "pulumi up (IDs not known yet shown as [unknown], links Planned), for 'report'.",
        ),
    ] = PlanFormat.table,
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
    Example (a program of your own): partner-attribution plan -c examples/consumer/Pulumi.dev.yaml --program examples/consumer
    Example (the report before deploying): partner-attribution plan --stack dev --format attribution |
    partner-attribution report
    """
    from ..offline.plan import ManagingStackOutputError, StackPlan, plan_stack, read_stack_outputs
    from ..offline.render import markdown, print_tree, summary

    paths = list(config or [])
    if stack:
        paths.insert(0, stack_file(stack, Path.cwd()))
    if not paths:
        raise typer.BadParameter("give --stack NAME or --config PATH", param_hint="--stack/--config")
    if output_format is PlanFormat.attribution and len(paths) > 1:
        raise typer.BadParameter("--format attribution describes one stack; give one --stack or --config", param_hint="--format")
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
            # Read twice (checked here, then by each plan): a pipe would be empty the second time.
            problem = "is not a regular file; save the output to a file" if managing_stack_output.exists() else "not found"
            raise typer.BadParameter(f"{managing_stack_output} {problem}", param_hint="--managing-stack-output")
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

    if output_format is PlanFormat.attribution:
        if plans[0].planned_attribution is not None:
            write_json({"attribution": plans[0].planned_attribution})
    elif output_format is PlanFormat.json:
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
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to this file instead of standard output.")
    ] = None,
    fail_on_gaps: Annotated[
        bool, typer.Option("--fail-on-gaps", help="Exit 1 when the report finds gaps (for a pipeline that must stop).")
    ] = False,
    documents: Annotated[
        list[Path] | None,
        typer.Option(
            "--documents",
            "-d",
            help="Attribution documents ('pulumi stack output --json', saved): files or folders of .json files; "
            "repeat for more. More than one makes the portfolio; each file is a customer named after the file.",
        ),
    ] = None,
    pulumi_backend: Annotated[
        bool,
        typer.Option(
            "--pulumi-backend",
            help="Read every stack of the Pulumi backend you are logged in to that has an attribution output "
            "(needs the Pulumi CLI; reads no secret).",
        ),
    ] = False,
    customer: Annotated[
        str | None, typer.Option(help="The customer's name in the headline (default: the input file's name).")
    ] = None,
    verified: Annotated[
        Path | None,
        typer.Option(help="'partner-attribution verify --format json' output: show live link states, not declared ones."),
    ] = None,
    since: Annotated[
        list[Path] | None,
        typer.Option(help="An earlier 'report --format json', or the documents it was made from: add what changed since then."),
    ] = None,
) -> None:
    """Turn the stacks' 'attribution' outputs into an attribution report, for one customer or many.

    One customer: a headline (customer, tenant, stack, when made, link states, counts), its scopes as a tree
    (management group, subscription, resource group, resource), each marked: earns PEC, linked but no PEC-eligible
    role, credited to another partner ID, or no linked principal, with who holds what there and, where it earns
    nothing, why and the fix; then per principal: partner ID, link state, roles, gaps, workloads to claim by hand.
    Reads 'pulumi stack output --json', or what 'plan --format attribution' writes (a preview before deploying).
    Many customers (--documents with several files or a folder, or --pulumi-backend): one row per customer, what to
    fix first first, totals per partner ID. CSV is one long table: a row per grant (a principal's role at a scope).
    Gaps are listed on stderr; the exit code is 0 unless --fail-on-gaps is given and there are gaps.
    The time shown is now, or SOURCE_DATE_EPOCH when set.

    Example: pulumi stack output --json | partner-attribution report --format html --output attribution.html
    Example (a pipeline that stops on gaps): pulumi stack output --json | partner-attribution report --fail-on-gaps
    Example (portfolio): partner-attribution report -d outputs/ -f html --since last-week.json -o portfolio.html
    """
    from ..report import RENDERERS, ReportInputError, load_attribution
    from ..report_inputs import ReportSourceError

    try:
        found = _report_sources(input_path, documents or [], pulumi_backend, customer)
        live_states = _read_verified(verified)
        earlier = _read_earlier(since or [])
    except ReportSourceError as exc:
        fail(str(exc), ExitCode.USAGE)
    made_at = _made_at()
    sources, skipped = found if found is not None else (None, [])
    if sources is None or (len(sources) == 1 and not pulumi_backend and not documents_are_many(documents or [])):
        if sources is None:
            document = read_json(input_path, "the input")
            name = customer or (input_path.stem if input_path and str(input_path) != "-" else "unnamed customer")
            from ..coverage import Customer

            try:
                attribution = load_attribution(
                    _overlay(document, live_states), Customer(name, "", str(input_path or "stdin")), made_at=made_at,
                    links_live=live_states is not None,
                )  # fmt: skip
            except ReportInputError as exc:
                fail(str(exc), ExitCode.USAGE)
        else:
            only = sources[0]
            attribution = load_attribution(
                _overlay(only.document, live_states), only.customer, made_at=made_at, links_live=live_states is not None
            )
        if earlier is not None:
            _print_changes(earlier, {attribution.customer.name: attribution.coverage.grants})
        _write_report(RENDERERS[output_format.value](attribution), output, output_format.value)
        gaps = attribution.summary["gaps"]
        for gap in gaps:
            console(stderr=True).print(f"gap: {printable(gap)}", markup=False)
        raise typer.Exit(ExitCode.PROBLEM if gaps and fail_on_gaps else ExitCode.OK)

    from ..changes import changes_between
    from ..coverage import Portfolio, Standing, coverage_of
    from ..portfolio import RENDERERS as PORTFOLIO_RENDERERS
    from ..portfolio import PortfolioReport

    coverages = [coverage_of(_overlay(s.document, live_states), s.customer) for s in sources]
    names = [c.customer.name for c in coverages]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        fail(f"two documents name the same customer: {', '.join(duplicates)}; rename one of the files", ExitCode.USAGE)
    changes = changes_between(earlier, {c.customer.name: c.grants for c in coverages}) if earlier is not None else None
    result = PortfolioReport(Portfolio(coverages), made_at, live_states is not None, changes, skipped)
    _write_report(PORTFOLIO_RENDERERS[output_format.value](result), output, output_format.value)
    err = console(stderr=True)
    for stack in result.skipped:
        err.print(f"skipped: stack {printable(stack)} has no attribution output", markup=False)
    behind = [c for c in result.portfolio.customers if c.standing is not Standing.EARNS]
    err.print(f"{len(coverages)} customers: {len(coverages) - len(behind)} earn on every scope, {len(behind)} to fix")
    raise typer.Exit(ExitCode.PROBLEM if behind and fail_on_gaps else ExitCode.OK)


def _write_report(rendered: str, output: Path | None, format_name: str) -> None:
    """The report to standard output, or to ``output`` (saying so on stderr)."""
    if output is None:
        sys.stdout.write(rendered)
        return
    try:
        output.write_text(rendered, encoding="utf-8")
    except OSError as exc:
        raise typer.BadParameter(f"cannot write {output}: {exc.strerror or exc}", param_hint="--output") from None
    console(stderr=True).print(f"wrote the {format_name} report to {output}", markup=False)


def documents_are_many(paths: list[Path]) -> bool:
    """A folder always makes a portfolio, even of one document."""
    return len(paths) > 1 or any(p.is_dir() for p in paths)


def _report_sources(
    input_path: Path | None, documents: list[Path], pulumi_backend: bool, customer: str | None
) -> tuple[list[Any], list[str]] | None:
    """The documents to report on and the backend's stacks skipped for having no attribution output; None when the
    report reads one document from --input or standard input."""
    from ..coverage import Customer
    from ..report_inputs import SourcedDocument, read_backend_stacks, read_document_files

    if input_path is not None and (documents or pulumi_backend):
        raise typer.BadParameter("give --input, or --documents/--pulumi-backend, not both", param_hint="--input")
    if not documents and not pulumi_backend:
        return None
    sources: list[SourcedDocument] = read_document_files(documents)
    skipped: list[str] = []
    if pulumi_backend:
        found, skipped = read_backend_stacks(cwd=".")
        sources.extend(found)
        if not sources:
            raise typer.BadParameter("no stack of the backend has an attribution output", param_hint="--pulumi-backend")
    if customer is not None and len(sources) == 1:
        only = sources[0]
        sources[0] = SourcedDocument(Customer(customer, only.customer.stack, only.customer.source), only.document)
    return sources, skipped


def _read_verified(path: Path | None) -> Any:
    from ..report_inputs import read_verified

    return read_verified(path) if path is not None else None


def _read_earlier(paths: list[Path]) -> Any:
    from ..report_inputs import read_earlier

    return read_earlier(paths) if paths else None


def _overlay(document: Any, live_states: Any) -> Any:
    """The document with verified link states, when there are any."""
    if live_states is None:
        return document
    from ..attribution import AttributionDocument, AttributionFormatError
    from ..coverage import overlay_verified

    try:
        parsed = document if isinstance(document, AttributionDocument) else AttributionDocument.from_stack_output(document)
    except AttributionFormatError as exc:
        fail(str(exc), ExitCode.USAGE)
    return overlay_verified(parsed, live_states)


def _print_changes(earlier: Any, now: Any) -> None:
    from ..changes import changes_between

    err = console(stderr=True)
    changes = changes_between(earlier, now)
    for change in changes:
        err.print(f"changed: {printable(change.text)}", markup=False)
    if not changes:
        err.print("no change since the earlier report", markup=False)


def _made_at() -> datetime:
    """Now, in UTC; or SOURCE_DATE_EPOCH (the reproducible-builds convention) when set, for reproducible pages."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), timezone.utc)
        except (ValueError, OverflowError, OSError):
            fail(f"SOURCE_DATE_EPOCH must be whole seconds since 1970, not {epoch!r}", ExitCode.USAGE)
    return datetime.now(timezone.utc)
