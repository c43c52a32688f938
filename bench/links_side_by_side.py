"""New principals' PAL links under the real Pulumi engine, with Entra's replication delay, against a floor program.

``python bench/links_side_by_side.py --principals 10 50 200 --delay 20 [--parallel P]``: for each size N, in one
run, a new stack of the project's program (``partner_attribution.program.main``: N password principals, one
Contributor role each) whose links are the plugin's ``PartnerAdminLink`` (what Python programs declare:
``DeliveryPrincipal.link_resource``), then a new stack of the floor program (the same program and resources, the link
replaced by a stand-in that declares nothing), each ``up`` (with ``--parallel P`` when given), against the fake Azure
with replication delay D (``FakeAzure(replication_delay=D)``: each new application, service principal and password
signs in only D seconds after it was made) and the fake plugins.

Reported per size, from the fake's record (``partner_attribution.testing.fake``), not from the CLI's output:

* ``after D``: per principal, from its application's creation to its confirmed link (PUT answered 200), minus D: the
  goal is 50 principals within D + 5 s, 200 within D + 15 s (issue 24);
* the link phase: from the first link's first sign-in attempt to the last confirmed link;
* the ``up`` of the program and of the floor, and their difference;
* where a link's time went: its dependencies (from its application's creation to the last of its password and its
  role assignment, made by the engine through the fake plugins), the engine starting it (from then to its first
  sign-in attempt), and the link itself (from the later of its first attempt and its application's and password's
  replication to its confirmed link: noticing readiness, signing in, reading and writing the link);
* the most links open at once, and requests throttled (429) or sent before their Retry-After (must be 0);
* the size of the program's state after its ``up`` (the file backend's stack file).

``--checkpoints final`` runs the engine with ``PULUMI_SKIP_CHECKPOINTS=true`` (CLI v3.276.0,
``sdk/go/common/env/env.go``: "Skip saving state checkpoints and only save the final deployment"): a self-managed
(file) backend otherwise writes the whole state after every step, which at hundreds of principals is where an ``up``'s
time goes (BENCHMARKS.md, section 9). The default, ``every-step``, is the CLI's own behaviour.

Needs the CLI (``bash scripts/pulumi-toolchain.sh``) and the plugin's console script (``pip install -e .``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from engine_project import project_dir, timed

from partner_attribution.testing.engine import FakeDeployment, find_pulumi
from partner_attribution.testing.fake import FakeAzure

PLUGIN = "pulumi-resource-partner-attribution"


class NoLink:
    """The floor's stand-in for the link: declares nothing, and gives what the component reads of a link."""

    def __init__(self, name: str, args: Any, opts: Any = None) -> None:
        import pulumi

        self.partner_id = pulumi.Output.from_input(args.partner_id)
        self.state = pulumi.Output.from_input("Active")


def program(link: Any) -> Callable[[], None]:
    """The project's program with ``link`` as what declares each principal's link."""

    def run() -> None:
        from partner_attribution.component import DeliveryPrincipal
        from partner_attribution.program import main

        DeliveryPrincipal.link_resource = link
        main()

    return run


def install_plugin(deployment: FakeDeployment) -> None:
    """The plugin's console script (next to this interpreter) on the engine's PATH."""
    script = Path(sys.executable).parent / PLUGIN
    if not script.exists():
        sys.exit(f"{script} is missing: pip install -e . installs the plugin's console script")
    target = deployment.root / "plugins" / PLUGIN
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.symlink_to(script)


def state_bytes(deployment: FakeDeployment, stack_name: str) -> int:
    """The size of a stack's state in the file backend (``<backend>/.pulumi/stacks/<project>/<stack>.json``)."""
    stacks = deployment.backend_folder / ".pulumi" / "stacks"
    return sum(path.stat().st_size for path in stacks.glob(f"*/{stack_name}.json"))


CHECKPOINT_MODES = {"every-step": {"PULUMI_SKIP_CHECKPOINTS": "false"}, "final": {"PULUMI_SKIP_CHECKPOINTS": "true"}}
"""How the engine saves the state during an ``up``: the CLI's default, or only at the end. Always set, so a value
in the caller's environment can't change the mode (the Automation API passes the caller's environment on)."""


def link_figures(fake: FakeAzure, deployer: str | None, delay: float) -> dict[str, Any]:
    """What the fake's record says of the links of one ``up`` (see the module's docstring)."""
    requests = list(fake.requests)
    confirmed: dict[str, float] = {}
    first_attempt: dict[str, float] = {}
    for r in requests:
        if not r.client_id or r.client_id == deployer:
            continue
        if r.target == "token":
            first_attempt.setdefault(r.client_id, r.at)
        if r.method == "PUT" and r.status == 200 and "managementpartner" in r.path.lower():
            confirmed[r.client_id] = r.at
    made: dict[str, float] = {}  # lower-case path of a password or role assignment write -> when it was answered
    for r in requests:
        if r.status in (200, 201) and (r.path.endswith("/addPassword") or "/roleassignments/" in r.path.lower()):
            made[r.path.lower()] = r.at
    assignments = {
        str(resource["properties"].get("principalId")): key
        for key, resource in fake.arm_resources.items()
        if "/providers/microsoft.authorization/roleassignments/" in key
    }
    after_d, start_lag, notice_lag, dependencies = [], [], [], []
    for client_id, done in confirmed.items():
        app = fake.apps[client_id]
        ready = max([app.ready_at, *(s.ready_at for s in app.secrets.values())])
        after_d.append(done - app.created_at - delay)
        password = made.get(f"/v1.0/applications/{app.application_object_id}/addpassword")
        assignment = made.get(assignments.get(app.object_id, ""))
        last_dependency = max([t for t in (password, assignment) if t is not None], default=app.created_at)
        dependencies.append(last_dependency - app.created_at)
        start_lag.append(first_attempt[client_id] - last_dependency)
        notice_lag.append(done - max(ready, first_attempt[client_id]))
    spans = [(first_attempt[c], confirmed[c]) for c in confirmed]
    most_open = max((sum(1 for s, e in spans if s <= t < e) for t, _ in spans), default=0)
    return {
        "links": len(confirmed),
        "after_d_median": statistics.median(after_d) if after_d else None,
        "after_d_max": max(after_d) if after_d else None,
        "phase": (max(confirmed.values()) - min(first_attempt[c] for c in confirmed)) if confirmed else None,
        "dependencies_median": statistics.median(dependencies) if dependencies else None,
        "dependencies_max": max(dependencies) if dependencies else None,
        "start_lag_median": statistics.median(start_lag) if start_lag else None,
        "start_lag_max": max(start_lag) if start_lag else None,
        "notice_lag_median": statistics.median(notice_lag) if notice_lag else None,
        "notice_lag_max": max(notice_lag) if notice_lag else None,
        "most_open": most_open,
        "requests": len(requests),
        "throttled": sum(r.throttled for r in requests),
        "before_retry_after": sum(r.before_retry_after for r in requests),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--principals", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--delay", type=float, default=20.0, help="Entra's replication delay D, in seconds")
    parser.add_argument(
        "--parallel",
        type=int,
        default=None,
        help="the engine's --parallel for both programs (default: the CLI's; 8 on a 2-CPU machine, says pulumi up --help)",
    )
    parser.add_argument(
        "--checkpoints",
        choices=sorted(CHECKPOINT_MODES),
        default="every-step",
        help="every-step: the CLI's default (the whole state saved after each step); final: PULUMI_SKIP_CHECKPOINTS=true",
    )
    args = parser.parse_args()
    pulumi_bin = find_pulumi()
    if pulumi_bin is None:
        sys.exit("no pulumi: run bash scripts/pulumi-toolchain.sh")
    version = subprocess.run([str(pulumi_bin / "pulumi"), "version"], capture_output=True, text=True).stdout.strip()
    print(f"pulumi {version}; python {platform.python_version()}; {os.cpu_count()} CPUs; {platform.platform()}", flush=True)
    print(f"checkpoints: {args.checkpoints}; parallel: {args.parallel or 'the CLI default'}; D = {args.delay:g} s", flush=True)
    from partner_attribution.plugin.program_link import ProgramPartnerAdminLink

    rows = []
    with tempfile.TemporaryDirectory(prefix="links-bench-") as tmp:
        base = Path(tmp)
        for count in args.principals:
            fake = FakeAzure(replication_delay=args.delay)
            engine_env = dict(CHECKPOINT_MODES[args.checkpoints])
            with FakeDeployment(pulumi_bin, base / f"engine{count}", fake, extra_env=engine_env) as deployment:
                install_plugin(deployment)
                deployer = deployment.deployer.client_id if deployment.deployer else None
                ours_program = program(ProgramPartnerAdminLink)
                ours = deployment.stack(project_dir(base, f"ours{count}", count), f"ours{count}", ours_program)
                floor = deployment.stack(project_dir(base, f"floor{count}", count), f"floor{count}", program(NoLink))
                fake.clear_requests()
                ours_up = timed(partial(ours.up, parallel=args.parallel))
                figures = link_figures(fake, deployer, args.delay)
                figures["state_bytes"] = state_bytes(deployment, f"ours{count}")
                fake.clear_requests()
                floor_up = timed(partial(floor.up, parallel=args.parallel))
            row = {
                "principals": count,
                "delay": args.delay,
                "parallel": args.parallel,
                "checkpoints": args.checkpoints,
                "up": ours_up,
                "floor_up": floor_up,
            }
            row.update(figures)
            rows.append(row)
            print(json.dumps(row), flush=True)
    print()
    print("| principals | D | links confirmed after D (median / max) | link phase | up / floor up (difference) "
          "| dependencies (median / max) | engine start (median / max) | noticing (median / max) | most open "
          "| 429s / early | state |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['principals']} | {r['delay']:.0f} s | D + {r['after_d_median']:.1f} / D + {r['after_d_max']:.1f} s "
            f"| {r['phase']:.1f} s | {r['up']:.1f} / {r['floor_up']:.1f} s ({r['up'] - r['floor_up']:+.1f} s) "
            f"| {r['dependencies_median']:.1f} / {r['dependencies_max']:.1f} s "
            f"| {r['start_lag_median']:.1f} / {r['start_lag_max']:.1f} s | {r['notice_lag_median']:.1f} / "
            f"{r['notice_lag_max']:.1f} s | {r['most_open']} | {r['throttled']} / {r['before_retry_after']} "
            f"| {r['state_bytes'] / 1e6:.2f} MB |"
        )


if __name__ == "__main__":
    main()
