"""Benchmark: the portfolio report over N generated customers (S subscriptions × P principals each): time to build the
model and render the HTML page, its size, and the time headless Chromium takes to open it (start, load, first paint of a
screenshot; median of --repeat runs, beside the same for an empty page, and the difference).

    python bench/report_portfolio.py --customers 10 100 500 --subscriptions 10 --principals 5 [--keep DIR]

Each customer: S subscriptions and P principals, each principal with Contributor (PEC-eligible) on every subscription, the
first also with Reader on one resource group per subscription; one principal in five is linked to another partner ID, one
in seven not linked, so every mark shows.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from partner_attribution.attribution import AttributionDocument
from partner_attribution.coverage import Customer, Portfolio, coverage_of
from partner_attribution.portfolio import PortfolioReport, to_html


def generated_document(customer: int, subscriptions: int, principals: int) -> dict[str, Any]:
    entries = []
    for p in range(principals):
        n = customer * principals + p
        roles = []
        for s in range(subscriptions):
            sub = f"/subscriptions/{customer:08x}-{s:04x}-4000-8000-000000000000"
            roles.append({"role": "Contributor", "scope": sub, "palEligible": True})
            if p == 0:
                roles.append({"role": "Reader", "scope": f"{sub}/resourceGroups/rg-{s}", "palEligible": False})
        entries.append(
            {"name": f"delivery-{p}", "clientId": f"{n:08x}-0000-4000-8000-000000000001",
             "tenantId": f"{customer:08x}-0000-4000-8000-0000000000aa",
             "partnerId": "7654321" if n % 5 == 4 else "1234567", "configuredPartnerId": "1234567",
             "linkState": "NotLinked" if n % 7 == 6 else "Active", "palEligible": True, "roles": roles}
        )  # fmt: skip
    return {"attribution": {"version": 1, "partnerId": "1234567", "principals": entries}}


def chromium_open_seconds(page: Path, profile: Path) -> float:
    """Wall time of ``chromium --headless --screenshot`` of ``page`` (start, load, layout, first paint, exit)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return float("nan")
    flags = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--user-data-dir={profile}",
             "--window-size=1200,900", f"--screenshot={profile.parent / 'shot.png'}"]  # fmt: skip
    started = time.perf_counter()
    subprocess.run([*flags, page.as_uri()], capture_output=True, timeout=300, check=True)
    return time.perf_counter() - started


def run(customers: int, subscriptions: int, principals: int, keep: Path | None, repeat: int) -> dict[str, object]:
    documents = [(f"customer-{c:04d}", generated_document(c, subscriptions, principals)) for c in range(customers)]
    started = time.perf_counter()
    coverages = [coverage_of(AttributionDocument.from_stack_output(d), Customer(name)) for name, d in documents]
    report = PortfolioReport(Portfolio(coverages), datetime(2026, 11, 30, tzinfo=timezone.utc))
    page = to_html(report)
    render = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as scratch:
        folder = keep or Path(scratch)
        path = folder / f"portfolio-{customers}.html"
        path.write_text(page, encoding="utf-8")
        empty = Path(scratch) / "empty.html"
        empty.write_text("<!DOCTYPE html><title>empty</title>")
        baselines, opens = [], []
        for _ in range(repeat):  # alternated, so that a busy moment of the machine weighs on both alike
            baselines.append(chromium_open_seconds(empty, Path(scratch) / "profile"))
            opens.append(chromium_open_seconds(path, Path(scratch) / "profile"))
        baseline, opened = statistics.median(baselines), statistics.median(opens)
    return {
        "customers": customers,
        "grants": sum(len(c.grants) for c in coverages),
        "render_s": round(render, 3),
        "html_mb": round(len(page.encode()) / 1e6, 2),
        "chromium_open_s": round(opened, 2),
        "chromium_empty_page_s": round(baseline, 2),
        "chromium_page_only_s": round(opened - baseline, 2),
        "json_documents_mb": round(sum(len(json.dumps(d)) for _, d in documents) / 1e6, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[10, 100, 500])
    parser.add_argument("--subscriptions", type=int, default=10)
    parser.add_argument("--principals", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="write the pages to this folder")
    parser.add_argument("--repeat", type=int, default=5, help="Chromium runs per page (the median is reported)")
    args = parser.parse_args()
    for count in args.customers:
        print(json.dumps(run(count, args.subscriptions, args.principals, args.keep, args.repeat)), flush=True)


if __name__ == "__main__":
    main()
