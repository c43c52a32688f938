"""``partner-attribution rehearse``: the partner's own stack under the real Pulumi engine against the fake Azure
(:mod:`partner_attribution.testing.rehearse`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from .options import ReplicationDelayOption
from .output import ExitCode, fail


def rehearse(
    action: Annotated[str, typer.Argument(help="up, preview, refresh or destroy.")],
    project_dir: Annotated[Path, typer.Option("--dir", help="The Pulumi project's folder (its Pulumi.yaml).")] = Path("."),
    stack: Annotated[str, typer.Option("--stack", help="The stack whose Pulumi.<stack>.yaml is rehearsed.")] = "dev",
    folder: Annotated[
        Path | None,
        typer.Option("--folder", help="Where the rehearsal keeps its state (default: <dir>/.partner-attribution-rehearsal)."),
    ] = None,
    stand_in: Annotated[
        list[str] | None, typer.Option("--stand-in", help="KEY=VALUE for a config value encrypted for your own secrets provider.")
    ] = None,
    expect_no_changes: Annotated[bool, typer.Option(help="preview: exit 7 when anything would change, as Pulumi does.")] = False,
    refresh: Annotated[
        bool, typer.Option(help="preview and up: refresh the state from the fake first, as pulumi --refresh.")
    ] = False,
    pipeline_subject: Annotated[
        str | None,
        typer.Option(help="Federated links: the subject of the stand-in GitHub Actions token they sign in with."),
    ] = None,
    replication_delay: ReplicationDelayOption = 0.0,
) -> None:
    """Run your own Pulumi program, unchanged, under the real engine against a local fake of Entra ID and Azure.

    Every PAL link is made, read and checked as in a customer's tenant, with fake azuread and azure-native plugins
    (the types this project declares live in the fake; any other type is accepted as declared); nothing leaves the
    machine. Python programs run through the Automation API, YAML programs through the CLI. preview keeps Pulumi's
    exit codes (7 with --expect-no-changes when something would change).

    Example: partner-attribution rehearse up --stack dev, then
    partner-attribution rehearse preview --stack dev --refresh --expect-no-changes.
    With --replication-delay 20, every new principal's link waits about 20 s for Entra, side by side, as in a tenant.
    """
    from ..testing.engine import FakeDeployment, find_pulumi
    from ..testing.fake import FakeAzure
    from ..testing.rehearse import ACTIONS, Rehearsal, RehearsalError

    if action not in ACTIONS:
        fail(f"rehearse {action!r}: the action is one of {', '.join(ACTIONS)}", ExitCode.USAGE)
    stand_ins = {}
    for entry in stand_in or []:
        key, sep, value = entry.partition("=")
        if not sep or not key:
            fail(
                f"--stand-in {entry.split('=')[0]!r}: write KEY=VALUE, e.g. --stand-in 'myapp:dbPassword=stand-in'",
                ExitCode.USAGE,
            )
        stand_ins[key] = value
    pulumi_bin = find_pulumi()
    if pulumi_bin is None:
        fail(
            "rehearse needs the Pulumi CLI (3.227.0 or newer) on PATH, or the one scripts/pulumi-toolchain.sh builds "
            "from source with Go (bash scripts/pulumi-toolchain.sh in a clone of partner-attribution)",
            ExitCode.USAGE,
        )
    rehearsal = Rehearsal(project_dir, stack, pulumi_bin, folder, stand_ins)
    try:
        rehearsal.prepare()
    except RehearsalError as exc:
        fail(str(exc), ExitCode.USAGE)

    def say(line: str) -> None:
        sys.stdout.write(line if line.endswith("\n") else line + "\n")
        sys.stdout.flush()

    with FakeDeployment(pulumi_bin, rehearsal.root, FakeAzure(replication_delay=replication_delay)) as deployment:
        if pipeline_subject:
            deployment.extra_env.update(deployment.fake.github_actions_environment(pipeline_subject))
        try:
            code = rehearsal.run(action, deployment, say, expect_no_changes=expect_no_changes, refresh=refresh)
        except RehearsalError as exc:
            fail(str(exc), ExitCode.USAGE)
    sys.stderr.write(
        f"rehearsal state: {rehearsal.root} (fake Azure: {deployment.fake_state_file}; Pulumi state: "
        f"{rehearsal.root / 'backend'}; stack outputs: {rehearsal.root / 'outputs.json'}, e.g. "
        f"partner-attribution report --input {rehearsal.root / 'outputs.json'})\n"
    )
    raise typer.Exit(code)
