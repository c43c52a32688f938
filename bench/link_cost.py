"""Benchmark: what one PAL link costs against the fake Azure. HTTP requests for a create and a read on
the happy path, and the time to link when Entra's replication is delayed by D seconds.

    python bench/link_cost.py --delays 5 20 60

With ``--engine N [N ...]`` (needs the CLI: ``bash scripts/pulumi-toolchain.sh``), instead: the cost per link of the
plugin's ``PartnerAdminLink`` (what a Python program declares since 0.3) against the dynamic provider's (0.1 and 0.2),
under the real engine, in one run. For each N, two new stacks of the project's program with N password principals,
one whose links are the plugin's and one whose links are the dynamic provider's (``DeliveryPrincipal.link_resource``
swapped for that stack), ``preview`` then ``up`` of each, alternating, against the fake Azure and the fake plugins;
the plugin is started through a launcher that counts its processes.

    python bench/link_cost.py --engine 10 50
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine_project import project_dir

from partner_attribution.pal import ClientSecretSource, CloudEndpoints, PartnerLinkClient, quiet_sdk_logging
from partner_attribution.testing import FakeAzure


def program(links: str) -> Callable[[], None]:
    """The project's program, its links the plugin's or (``dynamic``) the dynamic provider's."""

    def run() -> None:
        from partner_attribution.program import main
        from partner_attribution.testing.engine import dynamic_links

        if links == "dynamic":
            with dynamic_links():
                main()
        else:
            main()

    return run


def counting_launcher(folder: Path, launches: Path) -> Path:
    """``folder/pulumi-resource-partner-attribution``: records each start in ``launches``, then runs the plugin."""
    from partner_attribution.plugin.locate import PLUGIN_EXECUTABLE, installed_folder

    folder.mkdir(parents=True)
    launcher = folder / PLUGIN_EXECUTABLE
    launcher.write_text(f'#!/bin/sh\necho start >> "{launches}"\nexec "{installed_folder() / PLUGIN_EXECUTABLE}" "$@"\n')
    launcher.chmod(0o755)
    return folder


def per_link_seconds(fake: FakeAzure, deployer: str | None) -> list[float]:
    """Per principal, at the fake: from its first token request to its link's write (the deploying identity, which
    the fake plugins sign in as, is not a principal)."""
    by_client: dict[str, list[float]] = {}
    for request in fake.requests:
        ours = request.client_id and request.client_id != deployer
        if ours and (request.target == "token" or "managementpartner" in request.path.lower()):
            by_client.setdefault(str(request.client_id), []).append(request.at)
    return [max(times) - min(times) for times in by_client.values() if len(times) > 1]


def link_writes(fake: FakeAzure) -> list[float]:
    return [r.at for r in fake.requests if r.method == "PUT" and "managementpartner" in r.path.lower()]


def engine(counts: list[int]) -> None:
    """The plugin's link against the dynamic provider's under the real engine (see the module's docstring)."""
    from partner_attribution.testing.engine import FakeDeployment, find_pulumi

    pulumi_bin = find_pulumi()
    if pulumi_bin is None:
        sys.exit("--engine needs the Pulumi CLI: bash scripts/pulumi-toolchain.sh")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="link-cost-") as tmp, FakeDeployment(pulumi_bin, Path(tmp) / "engine") as deployment:
        launches = Path(tmp) / "launches"
        plugin_folder = counting_launcher(Path(tmp) / "plugin", launches)
        deployer = deployment.deployer.client_id if deployment.deployer else None
        for count in counts:
            for links in ("plugin", "dynamic"):  # alternating, so both see the same machine
                name = f"{links}{count}"
                stack = deployment.stack(project_dir(Path(tmp), name, count, plugin_folder), name, program(links))
                launches.write_text("")
                started = time.perf_counter()
                stack.preview()
                preview_s = time.perf_counter() - started
                preview_starts = len(launches.read_text().split())
                deployment.fake.clear_requests()
                started = time.perf_counter()
                stack.up()
                up_s = time.perf_counter() - started
                links_s = per_link_seconds(deployment.fake, deployer)
                writes = link_writes(deployment.fake)
                assert len(writes) == count, f"{name}: {len(writes)} links written, not {count}"
                rows.append(
                    {
                        "principals": count,
                        "links": links,
                        "preview_s": round(preview_s, 2),
                        "up_s": round(up_s, 2),
                        "plugin_starts_in_preview": preview_starts,
                        "link_median_s": round(statistics.median(links_s), 3),
                        "link_max_s": round(max(links_s), 3),
                        "links_written_within_s": round(max(writes) - min(writes), 2),
                    }
                )
                print(json.dumps(rows[-1]), flush=True)
    print("| principals | links | preview | up | up / N | one link at the fake (median / max) | links written within |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        cells = [
            str(row["principals"]), row["links"], f"{row['preview_s']:.1f} s", f"{row['up_s']:.1f} s",
            f"{row['up_s'] / row['principals']:.2f} s", f"{row['link_median_s']:.2f} / {row['link_max_s']:.2f} s",
            f"{row['links_written_within_s']:.1f} s",
        ]  # fmt: skip
        print("| " + " | ".join(cells) + " |")


def main() -> None:
    quiet_sdk_logging()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delays", type=float, nargs="*", default=[5, 20, 60])
    parser.add_argument("--engine", type=int, nargs="+", metavar="N", help="principals per stack, under the real engine")
    args = parser.parse_args()
    if args.engine:
        engine(args.engine)
        return
    with FakeAzure() as azure:
        os.environ.update(azure.environment())
        endpoints = CloudEndpoints.for_cloud(authority_host=azure.authority_host, arm_endpoint=azure.arm_endpoint)

        def client(app, secret):  # type: ignore[no-untyped-def]
            source = ClientSecretSource(app.tenant_id, app.client_id, secret)
            return PartnerLinkClient(source, endpoints, timeout_seconds=600, on_retry=lambda _m: None)

        app = azure.add_app()
        secret = azure.add_secret(app)
        client(app, secret).link("1234567")
        create = Counter(f"{r.target} {r.method}" for r in azure.requests)
        azure.clear_requests()
        client(app, secret).get()
        read = Counter(f"{r.target} {r.method}" for r in azure.requests)
        print(
            json.dumps(
                {"create_requests": sum(create.values()), "create": create, "read_requests": sum(read.values()), "read": read}
            )
        )

        for delay in args.delays:
            app = azure.add_app(ready_after=delay)
            secret = azure.add_secret(app)
            azure.clear_requests()
            started = time.monotonic()
            client(app, secret).link("1234567")
            elapsed = time.monotonic() - started
            print(
                json.dumps(
                    {
                        "delay_s": delay,
                        "linked_after_s": round(elapsed, 2),
                        "over_delay_s": round(elapsed - delay, 2),
                        "ratio": round(elapsed / delay, 3),
                        "token_attempts": len(azure.requests_to("token")),
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
