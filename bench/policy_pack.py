"""Benchmark: what the policy pack costs on a stack of N delivery principals, served as the Pulumi CLI serves it.

The stack is the project's own program under the mock engine with N principals (each: application, service
principal, password, a Contributor and a Reader assignment, PAL link: 7 resources). Measured: building the
``AnalyzeStackRequest`` (SDK serialization of every resource's inputs), ``AnalyzeStack`` over gRPC (all six
policies, median of --repeat calls), and the checks alone in-process on the same graph (no gRPC, no SDK).

    python bench/policy_pack.py --principals 10 100 500 --repeat 5
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path

from partner_attribution.offline.engine import evaluate, run_program_file

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "policy"))

from partner_attribution_policy import harness  # noqa: E402
from partner_attribution_policy.graph import StackGraph, StackResource  # noqa: E402
from partner_attribution_policy.policies import POLICIES, NotApplicable  # noqa: E402

TODAY = dt.date(2026, 11, 25)
CONFIG = {
    "pal-link-partner-id": {"partnerId": "1234567"},
    "cua-partner-id": {"cuaPartnerId": "5f0c2a8e-7d3b-4b4e-9d21-6a1f0c3b9e77"},
}


def stack_config(count: int) -> dict[str, str]:
    principals = [
        {
            "name": f"p{index:04d}",
            "roles": [
                {"role": "Contributor", "scope": f"/subscriptions/11111111-1111-4111-8111-{index:012d}"},
                {"role": "Reader", "scope": "/subscriptions/22222222-2222-4222-8222-222222222222"},
            ],
            "credential": {"rotatedOn": "2026-11-01", "lifetimeDays": 180},
        }
        for index in range(count)
    ]
    return {"partner-attribution:partnerId": "1234567", "partner-attribution:principals": json.dumps(principals)}


def run(stub: object, info: object, count: int, repeat: int) -> dict[str, object]:
    started = time.perf_counter()
    evaluation = evaluate(run_program_file(ROOT / "__main__.py"), stack_config(count))
    evaluate_s = time.perf_counter() - started
    specs = harness.from_registrations(evaluation.resources)

    started = time.perf_counter()
    request = harness.stack_request(specs)
    build_s = time.perf_counter() - started

    stub.Configure(harness.configure_request(info, CONFIG))  # type: ignore[attr-defined]
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = stub.AnalyzeStack(request)  # type: ignore[attr-defined]
        timings.append(time.perf_counter() - started)
    # Every principal also holds Contributor, so nothing is reported: the figures are for a clean stack.
    assert list(response.diagnostics) == [], response.diagnostics[:3]

    graph_resources = [
        StackResource(
            s.urn,
            s.type,
            s.name,
            s.inputs,
            s.parent,
            tuple(s.dependencies),
            {k: tuple(v) for k, v in s.property_dependencies.items()},
        )
        for s in specs
    ]
    started = time.perf_counter()
    for spec in POLICIES:
        with contextlib.suppress(NotApplicable):
            spec.run(StackGraph(graph_resources), {**CONFIG.get(spec.name, {})}, TODAY)
    checks_s = time.perf_counter() - started

    return {
        "principals": count,
        "resources": len(specs),
        "request_bytes": request.ByteSize(),
        "evaluate_program_s": round(evaluate_s, 2),
        "build_request_s": round(build_s, 3),
        "analyze_stack_median_s": round(statistics.median(timings), 3),
        "analyze_stack_min_s": round(min(timings), 3),
        "checks_in_process_s": round(checks_s, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--principals", type=int, nargs="+", default=[10, 100, 500])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    with harness.Analyzer(env={"PARTNER_ATTRIBUTION_POLICY_TODAY": TODAY.isoformat()}) as stub:
        info = harness.analyzer_info(stub)
        print(json.dumps({"pack_start_s": round(time.perf_counter() - started, 2)}), flush=True)
        for count in args.principals:
            print(json.dumps(run(stub, info, count, args.repeat)), flush=True)


if __name__ == "__main__":
    main()
