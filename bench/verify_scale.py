"""Benchmark: `verify` over N principals against the fake Azure with a fixed latency per request,
bounded concurrency against one at a time, measured side by side in one run.

    python bench/verify_scale.py --principals 10 100 500 5000 --latency 0.05 --concurrency 16
        [--principals-per-tenant 5] [--fake-in-process]

By default the fake runs in a process of its own, as Azure would: its threads (TLS, HTTP parsing) then do not compete
with verify's for the interpreter lock, and the time measured is verify's. ``--fake-in-process`` runs it in the same
process (how this benchmark measured before). The floor is what latency and concurrency allow: requests per principal
× latency × ⌈principals / concurrency⌉.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any

from partner_attribution.pal import CloudEndpoints, quiet_sdk_logging
from partner_attribution.testing import FakeAzure
from partner_attribution.verify import VerifyTarget, verify_links


def _populate(azure: FakeAzure, count: int, per_tenant: int) -> list[dict[str, str]]:
    """``count`` linked principals, ``per_tenant`` to a tenant (a customer's stack has a few principals)."""
    targets = []
    tenant = None
    for index in range(count):
        if index % per_tenant == 0:
            tenant = azure.add_tenant()
        app = azure.add_app(tenant)
        secret = azure.add_secret(app)
        azure.set_link(app, "1234567")
        targets.append({"name": f"p{index}", "tenant": app.tenant_id, "client": app.client_id, "secret": secret})
    return targets


def serve(count: int, latency: float, per_tenant: int) -> None:
    """The fake in a process of its own: prints where it is and the targets, serves until a line on stdin, then
    prints how many requests and connections it served."""
    with FakeAzure(latency=latency) as azure:
        targets = _populate(azure, count, per_tenant)
        info = {"environment": azure.environment(), "authority_host": azure.authority_host,
                "arm_endpoint": azure.arm_endpoint, "targets": targets}  # fmt: skip
        print(json.dumps(info), flush=True)
        cpu = time.process_time()
        sys.stdin.readline()
        served = {"requests": len(azure.requests), "connections": azure.connections}
        print(json.dumps({**served, "fake_cpu_s": round(time.process_time() - cpu, 2)}), flush=True)


def _measure(info: dict[str, Any], count: int, latency: float, concurrency: int, sequential_limit: int) -> dict[str, Any]:
    os.environ.update(info["environment"])
    targets = [VerifyTarget(t["name"], t["tenant"], t["client"], t["secret"], "1234567") for t in info["targets"]]
    endpoints = CloudEndpoints.for_cloud(authority_host=info["authority_host"], arm_endpoint=info["arm_endpoint"])
    row: dict[str, Any] = {"principals": count, "latency_s": latency, "concurrency": concurrency}
    cpu = time.process_time()
    started = time.perf_counter()
    results = verify_links(targets, endpoints, concurrency=concurrency)
    row["concurrent_s"] = round(time.perf_counter() - started, 2)
    row["cpu_s"] = round(time.process_time() - cpu, 2)  # this process's CPU (with the fake in it when in process)
    assert all(r.ok for r in results), [r for r in results if not r.ok][:3]
    if count <= sequential_limit:
        started = time.perf_counter()
        results = verify_links(targets, endpoints, concurrency=1)
        row["one_at_a_time_s"] = round(time.perf_counter() - started, 2)
        row["speedup"] = round(row["one_at_a_time_s"] / row["concurrent_s"], 1)
    return row


def run(count: int, latency: float, concurrency: int, sequential_limit: int, in_process: bool, per_tenant: int) -> dict[str, Any]:
    if in_process:
        with FakeAzure(latency=latency) as azure:
            targets = _populate(azure, count, per_tenant)
            info = {"environment": azure.environment(), "authority_host": azure.authority_host,
                    "arm_endpoint": azure.arm_endpoint, "targets": targets}  # fmt: skip
            row = _measure(info, count, latency, concurrency, sequential_limit)
            served = {"requests": len(azure.requests), "connections": azure.connections}
    else:
        child = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(count), "--latency", str(latency),
             "--principals-per-tenant", str(per_tenant)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert child.stdin is not None and child.stdout is not None
        info = json.loads(child.stdout.readline())
        row = _measure(info, count, latency, concurrency, sequential_limit)
        child.stdin.write("done\n")
        child.stdin.flush()
        served = json.loads(child.stdout.readline())
        child.wait(timeout=60)
    runs = 2 if count <= sequential_limit else 1
    row["requests_per_principal"] = round(served["requests"] / count / runs, 2)
    row["connections"] = served["connections"]
    if "fake_cpu_s" in served:
        row["fake_cpu_s"] = served["fake_cpu_s"]  # the fake's own CPU while serving (its process)
    rounds = -(-count // concurrency)  # principals checked one after another on each of the concurrent workers
    row["floor_s"] = round(row["requests_per_principal"] * latency * rounds, 2)
    row["of_floor"] = round(row["concurrent_s"] / row["floor_s"], 2) if row["floor_s"] else None
    row["principals_per_tenant"] = per_tenant
    row["fake"] = "same process" if in_process else "own process"
    return row


def main() -> None:
    quiet_sdk_logging()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--principals", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--sequential-limit", type=int, default=500, help="skip one-at-a-time runs above this size")
    parser.add_argument("--fake-in-process", action="store_true", help="run the fake in this process (the old way)")
    parser.add_argument("--principals-per-tenant", type=int, default=1, help="principals in each tenant (default 1)")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.principals_per_tenant < 1:
        parser.error("--principals-per-tenant: give 1 or more")
    if args.serve is not None:
        serve(args.serve, args.latency, args.principals_per_tenant)
        return
    for count in args.principals:
        row = run(count, args.latency, args.concurrency, args.sequential_limit, args.fake_in_process, args.principals_per_tenant)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
