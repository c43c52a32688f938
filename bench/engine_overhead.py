"""The project's program under the real Pulumi engine against a floor program, side by side in one run.

``python bench/engine_overhead.py --principals 10 50``: for each size, a new stack of the project's program
(``partner_attribution.program.main``: N password principals, one Contributor role each, the component, its outputs,
the PAL link) and a new stack of a floor program (the same azuread and azure-native resources, declared directly: no
component, no stack outputs, no link), each ``preview`` then ``up``, alternating, against the fake Azure and the fake
plugins (``partner_attribution.testing.engine``). Prints the times, the ratios, and where the time goes: the plugins'
start, the engine's own time (``up`` of an empty program), and each PAL link's requests at the fake.
Needs the CLI (``bash scripts/pulumi-toolchain.sh``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from engine_project import SCOPE, project_dir, timed

from partner_attribution.testing.engine import FakeDeployment, find_pulumi

CONTRIBUTOR = "/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382ab24c"


def project_program() -> None:
    from partner_attribution.program import main

    main()


def floor_program(count: int) -> Callable[[], None]:
    def run() -> None:
        import pulumi_azuread as azuread
        from pulumi_azure_native import authorization

        for i in range(count):
            app = azuread.Application(f"p{i:03d}-app", display_name=f"p{i:03d}")
            sp = azuread.ServicePrincipal(f"p{i:03d}-sp", client_id=app.client_id)
            azuread.ApplicationPassword(
                f"p{i:03d}-password", application_id=app.id, display_name="link", end_date="2027-04-30T00:00:00Z",
                rotate_when_changed={"rotatedOn": "2026-11-01"},
            )  # fmt: skip
            authorization.RoleAssignment(
                f"p{i:03d}-role", principal_id=sp.object_id, principal_type="ServicePrincipal", role_definition_id=CONTRIBUTOR,
                scope=SCOPE,
            )  # fmt: skip

    return run


def plugin_start_seconds(deployment: FakeDeployment) -> float:
    """Time until a fake plugin (a Python gRPC server, as the dynamic provider host is) answers with its port."""
    env = deployment.environment()
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "partner_attribution.testing.plugins", "azuread", "127.0.0.1:0"],
        env=env,
        stdout=subprocess.PIPE,
    )
    assert process.stdout is not None
    process.stdout.readline()
    elapsed = time.perf_counter() - start
    process.kill()
    process.wait()
    return elapsed


def dynamic_host_start_seconds(deployment: FakeDeployment) -> float:
    """Time until the SDK's dynamic provider host has imported the PAL link's module and answers with its port
    (what the engine starts for the link: ``python -u -m pulumi.dynamic``)."""
    env = deployment.environment()
    start = time.perf_counter()
    code = (
        "import partner_attribution.partner_link, runpy, sys; sys.argv = ['x', '127.0.0.1:0']; "
        "runpy.run_module('pulumi.dynamic', run_name='__main__')"
    )
    process = subprocess.Popen([sys.executable, "-u", "-c", code], env=env, stdout=subprocess.PIPE)
    assert process.stdout is not None
    process.stdout.readline()
    elapsed = time.perf_counter() - start
    process.kill()
    process.wait()
    return elapsed


def link_seconds(deployment: FakeDeployment) -> list[float]:
    """Per principal: from its first token request to its link's PUT answer, at the fake (the deploying identity,
    which the fake plugins sign in as, is not a principal)."""
    deployer = deployment.deployer.client_id if deployment.deployer else None
    by_client: dict[str, list[float]] = {}
    for request in deployment.fake.requests:
        if request.client_id == deployer:
            continue
        if request.client_id and (request.target == "token" or "managementpartner" in request.path.lower()):
            by_client.setdefault(request.client_id, []).append(request.at)
    return [max(times) - min(times) for times in by_client.values() if len(times) > 1]


def link_span_seconds(deployment: FakeDeployment) -> float:
    """From the first PAL link write to the last one, at the fake: how long the links of one ``up`` took together."""
    writes = [r.at for r in deployment.fake.requests if r.method == "PUT" and "managementpartner" in r.path.lower()]
    return max(writes) - min(writes) if writes else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--principals", type=int, nargs="+", default=[10, 50])
    args = parser.parse_args()
    pulumi_bin = find_pulumi()
    if pulumi_bin is None:
        sys.exit("no pulumi: run bash scripts/pulumi-toolchain.sh")
    print(f"pulumi: {subprocess.run([str(pulumi_bin / 'pulumi'), 'version'], capture_output=True, text=True).stdout.strip()}")
    with (
        tempfile.TemporaryDirectory(prefix="engine-bench-") as tmp,
        FakeDeployment(pulumi_bin, Path(tmp) / "engine") as deployment,
    ):
        base = Path(tmp)
        print(f"fake plugin start (median of 3): {statistics.median(plugin_start_seconds(deployment) for _ in range(3)):.2f} s")
        dynamic = statistics.median(dynamic_host_start_seconds(deployment) for _ in range(3))
        print(f"dynamic provider host start with the link's module (median of 3): {dynamic:.2f} s")
        empty = deployment.stack(project_dir(base, "empty", 0), "empty", lambda: None)
        print(f"engine floor (up of an empty program): {timed(empty.up):.2f} s")
        rows = []
        for count in args.principals:
            ours = deployment.stack(project_dir(base, f"ours{count}", count), f"ours{count}", project_program)
            floor = deployment.stack(project_dir(base, f"floor{count}", count), f"floor{count}", floor_program(count))
            deployment.fake.clear_requests()
            ours_preview = timed(ours.preview)
            floor_preview = timed(floor.preview)
            ours_up = timed(ours.up)
            links = link_seconds(deployment)
            span = link_span_seconds(deployment)
            print(f"{count} principals: the {len(links)} links were written within {span:.1f} s of each other")
            floor_up = timed(floor.up)
            rows.append((count, ours_preview, floor_preview, ours_up, floor_up, links))
        print("| principals | preview ours | preview floor | ratio | up ours | up floor | ratio | link (median / max) |")
        print("|---|---|---|---|---|---|---|---|")
        for count, op, fp, ou, fu, links in rows:
            link = f"{statistics.median(links):.2f} / {max(links):.2f} s" if links else "-"
            cells = [f"{count}", f"{op:.1f} s", f"{fp:.1f} s", f"**{op / fp:.2f}**", f"{ou:.1f} s", f"{fu:.1f} s"]
            print("| " + " | ".join([*cells, f"**{ou / fu:.2f}**", link]) + " |")
        print(json.dumps({"rows": [r[:5] for r in rows]}))


if __name__ == "__main__":
    main()
