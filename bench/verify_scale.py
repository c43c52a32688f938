"""Benchmark: `verify` over N principals against the fake Azure with a fixed latency per request,
bounded concurrency against one at a time, measured side by side in one run.

    python bench/verify_scale.py --principals 10 100 500 --latency 0.05 --concurrency 16
"""

from __future__ import annotations

import argparse
import json
import os
import time

from partner_attribution.pal import CloudEndpoints, quiet_sdk_logging
from partner_attribution.testing import FakeAzure
from partner_attribution.verify import VerifyTarget, verify_links


def run(count: int, latency: float, concurrency: int, sequential_limit: int) -> dict[str, object]:
    with FakeAzure(latency=latency) as azure:
        os.environ.update(azure.environment())
        targets = []
        for index in range(count):
            app = azure.add_app()
            secret = azure.add_secret(app)
            azure.set_link(app, "1234567")
            targets.append(VerifyTarget(f"p{index}", app.tenant_id, app.client_id, secret, "1234567"))
        endpoints = CloudEndpoints.for_cloud(authority_host=azure.authority_host, arm_endpoint=azure.arm_endpoint)
        row: dict[str, object] = {"principals": count, "latency_s": latency, "concurrency": concurrency}
        started = time.perf_counter()
        results = verify_links(targets, endpoints, concurrency=concurrency)
        row["concurrent_s"] = round(time.perf_counter() - started, 2)
        assert all(r.ok for r in results), [r for r in results if not r.ok][:3]
        row["requests_per_principal"] = round(len(azure.requests) / count, 2)
        if count <= sequential_limit:
            started = time.perf_counter()
            results = verify_links(targets, endpoints, concurrency=1)
            row["one_at_a_time_s"] = round(time.perf_counter() - started, 2)
            row["speedup"] = round(float(row["one_at_a_time_s"]) / float(row["concurrent_s"]), 1)  # type: ignore[arg-type]
        return row


def main() -> None:
    quiet_sdk_logging()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--principals", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--sequential-limit", type=int, default=500, help="skip one-at-a-time runs above this size")
    args = parser.parse_args()
    for count in args.principals:
        print(json.dumps(run(count, args.latency, args.concurrency, args.sequential_limit)), flush=True)


if __name__ == "__main__":
    main()
