"""Benchmark: evaluating the program under the mock engine for N principals (3 role assignments each),
against a floor that registers the same resources (same types and count, the component and the PAL link
included) directly with literal inputs: no validation, no derived values. Measured side by side, alternating,
best of R runs each (5R at 10 principals or fewer); plus state footprint (bytes of registered inputs per
principal) and peak memory.

    python bench/program_overhead.py --principals 10 100 500 --repeat 3
"""

from __future__ import annotations

import argparse
import gc
import json
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pulumi_azuread as azuread
from pulumi_azure_native import authorization

from partner_attribution.offline.engine import Evaluation, evaluate, run_program_file
from partner_attribution.partner_link import PartnerAdminLink, PartnerAdminLinkArgs

ROOT = Path(__file__).resolve().parents[1]
SUB = "11111111-1111-4111-8111-111111111111"
ROLES = [
    ("Contributor", f"/subscriptions/{SUB}/resourceGroups/rg-{{i}}", "b24988ac-6180-42a0-ab88-20f7382dd24c"),
    ("Website Contributor", f"/subscriptions/{SUB}/resourceGroups/rg-web-{{i}}", "de139f84-1756-47ae-9be6-808fbbe84772"),
    (
        "Reader",
        f"/subscriptions/{SUB}/resourceGroups/rg-{{i}}/providers/Microsoft.Web/sites/app-{{i}}",
        "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    ),
]


def stack_config(count: int) -> dict[str, str]:
    principals = [
        {
            "name": f"p{i:04d}",
            "roles": [{"role": role, "scope": scope.format(i=i)} for role, scope, _ in ROLES],
            "credential": {"rotatedOn": "2026-11-01", "lifetimeDays": 180},
        }
        for i in range(count)
    ]
    return {"partner-attribution:partnerId": "1234567", "partner-attribution:principals": json.dumps(principals)}


def floor_program(count: int) -> Callable[[], None]:
    """The same registrations with literal inputs."""

    def program() -> None:
        for i in range(count):
            name = f"p{i:04d}"
            parent = pulumi.ComponentResource("partner-attribution:index:DeliveryPrincipal", name)
            child = pulumi.ResourceOptions(parent=parent)
            azuread.Application(f"{name}-app", display_name=name, opts=child)
            azuread.ServicePrincipal(f"{name}-sp", client_id="00000000-0000-4000-8000-000000000001", opts=child)
            azuread.ApplicationPassword(
                f"{name}-password",
                application_id="/applications/00000000-0000-4000-8000-000000000002",
                display_name="partner-attribution PAL link",
                end_date="2027-04-30T00:00:00Z",
                rotate_when_changed={"rotatedOn": "2026-11-01"},
                opts=child,
            )
            for index, (_, scope, guid) in enumerate(ROLES):
                authorization.RoleAssignment(
                    f"{name}-role-{index}",
                    principal_id="00000000-0000-4000-8000-000000000003",
                    principal_type="ServicePrincipal",
                    role_definition_id=f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}",
                    scope=scope.format(i=i),
                    role_assignment_name="00000000-0000-5000-8000-000000000004",
                    opts=child,
                )
            PartnerAdminLink(
                f"{name}-pal",
                PartnerAdminLinkArgs(
                    partner_id="1234567",
                    tenant_id="00000000-0000-4000-8000-000000000005",
                    client_id="00000000-0000-4000-8000-000000000001",
                    client_secret="offline-placeholder",
                ),
                opts=child,
            )

    return program


def _timed(run: Callable[[], Evaluation]) -> tuple[float, Evaluation]:
    gc.collect()
    started = time.perf_counter()
    evaluation = run()
    return time.perf_counter() - started, evaluation


def _peak_mib(run: Callable[[], Evaluation]) -> float:
    gc.collect()
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def measure(count: int, repeat: int) -> dict[str, Any]:
    config = stack_config(count)
    program = run_program_file(ROOT / "__main__.py")
    ours_run = lambda: evaluate(program, config)  # noqa: E731
    floor_run = lambda: evaluate(floor_program(count))  # noqa: E731
    ours_times, floor_times = [], []
    evaluation = floor = None
    for _ in range(repeat):  # alternate, so both see the same machine
        elapsed, evaluation = _timed(ours_run)
        ours_times.append(elapsed)
        elapsed, floor = _timed(floor_run)
        floor_times.append(elapsed)
    assert evaluation is not None and floor is not None
    assert sorted(r.type for r in evaluation.resources) == sorted(r.type for r in floor.resources), "same resources"
    inputs_bytes = sum(len(json.dumps(r.inputs, sort_keys=True, default=str)) for r in evaluation.resources)
    provider_blob = len(next(r for r in evaluation.resources if r.name.endswith("-pal")).inputs["__provider"])
    ours, base = min(ours_times), min(floor_times)
    return {
        "principals": count,
        "resources": len(evaluation.resources),
        "ours_s": round(ours, 3),
        "floor_s": round(base, 3),
        "overhead_ratio": round(ours / base, 3),
        "ours_ms_per_principal": round(1000 * ours / count, 2),
        "floor_ms_per_principal": round(1000 * base / count, 2),
        "state_bytes_per_principal": round(inputs_bytes / count),
        "provider_blob_bytes": provider_blob,
        "peak_mib_ours": round(_peak_mib(ours_run), 1),
        "peak_mib_floor": round(_peak_mib(floor_run), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--principals", type=int, nargs="+", default=[10, 100, 500])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side at 100+ principals")
    args = parser.parse_args()
    for count in args.principals:
        # Small sizes take a fraction of a second and the machine is noisy: more runs, best of each side.
        repeat = args.repeat * 5 if count <= 10 else args.repeat * 2 if count <= 50 else args.repeat
        print(json.dumps(measure(count, repeat)), flush=True)


if __name__ == "__main__":
    main()
