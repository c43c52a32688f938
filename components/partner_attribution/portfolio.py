"""The portfolio report: every customer's attribution at once, what to fix first first, totals per partner ID, and
what changed since an earlier run. Renders :class:`~partner_attribution.coverage.Portfolio` as HTML, JSON, CSV (the
long table of grants) or markdown.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .changes import Change
from .coverage import GRANT_COLUMNS, Portfolio, grant_records, scope_records
from .report import md_cell, records_csv


@dataclass
class PortfolioReport:
    """A portfolio with when it was made, how sure its link states are, and the changes since an earlier run."""

    portfolio: Portfolio
    made_at: datetime
    links_live: bool = False
    changes: Sequence[Change] | None = None
    """None: no earlier run was given; empty: nothing changed."""
    skipped: list[str] = field(default_factory=list)
    """Stacks read from a backend that have no attribution output."""

    def customer_records(self) -> list[dict[str, Any]]:
        """One record per customer, in fix-first order: its headline counts and worst standing."""
        return [
            {"rank": rank, **c.headline(), "standing": c.standing.label}
            for rank, c in enumerate(self.portfolio.customers, start=1)
        ]

    def as_json(self) -> dict[str, Any]:
        return {
            "madeAt": self.made_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "linkStates": "live" if self.links_live else "declared",
            "totals": self.portfolio.totals(),
            "customers": self.customer_records(),
            **({"changes": [c.to_json() for c in self.changes]} if self.changes is not None else {}),
            **({"skippedStacks": self.skipped} if self.skipped else {}),
            "scopes": scope_records(self.portfolio.customers),
            "grants": grant_records(self.portfolio.customers),
        }


def to_json(report: PortfolioReport) -> str:
    return json.dumps(report.as_json(), indent=1) + "\n"


def to_csv(report: PortfolioReport) -> str:
    """The long table of grants of every customer (one record type; the same columns as one customer's CSV)."""
    return records_csv(grant_records(report.portfolio.customers), GRANT_COLUMNS)


def to_html(report: PortfolioReport) -> str:
    from .report_html import portfolio_page

    return portfolio_page(report.portfolio, report.made_at, report.links_live, [c.text for c in report.changes or ()])


def to_markdown(report: PortfolioReport) -> str:
    lines = [
        f"# Partner attribution: {len(report.portfolio.customers)} customers",
        "",
        f"Made {report.made_at.strftime('%Y-%m-%d %H:%M UTC')}; link states "
        + ("live (verified)." if report.links_live else "declared by the stacks (run verify for live states)."),
        "",
        "## Totals per partner ID",
        "",
        "| partner ID | customers | subscriptions | earning | partly | not earning | grants crediting another partner ID |",
        "|---|---|---|---|---|---|---|",
    ]
    for pid, t in report.portfolio.totals().items():
        cells: tuple[object, ...] = (pid, t["customers"], t["subscriptions"], t["subscriptionsEarning"],
                                     t["subscriptionsPartlyEarning"], t["subscriptionsNotEarning"],
                                     t["grantsCreditingAnotherPartner"])  # fmt: skip
        lines.append("| " + " | ".join(md_cell(c) for c in cells) + " |")
    if report.changes is not None:
        lines += ["", "## Changes since the last report", ""]
        lines += [f"- {md_cell(c.text)}" for c in report.changes] or ["- none"]
    lines += [
        "",
        "## Customers, what to fix first first",
        "",
        "| # | customer | tenant | standing | subscriptions earning / partly / not | principals linked |"
        " grants crediting another partner ID |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in report.customer_records():
        cells = (r["rank"], r["customer"], r["tenant"], r["standing"],
                 f"{r['subscriptionsEarning']} / {r['subscriptionsPartlyEarning']} / {r['subscriptionsNotEarning']}",
                 f"{r['principalsLinked']} of {r['principals']}", r["grantsCreditingAnotherPartner"])  # fmt: skip
        lines.append("| " + " | ".join(md_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


RENDERERS: dict[str, Callable[[PortfolioReport], str]] = {
    "markdown": to_markdown,
    "json": to_json,
    "csv": to_csv,
    "html": to_html,
}
