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
from typing import TYPE_CHECKING, Annotated

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
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


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


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":
    main()
