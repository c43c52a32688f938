"""The attribution report: what the ``attribution`` stack output says about a partner's credit.

Input is ``pulumi stack output --json`` (or its ``attribution`` value alone), parsed by
:mod:`.attribution`. Non-Azure workloads follow :mod:`.workloads`: Power Platform and Customer Insights work is
attributed through the PAL link of the principal that owns or publishes it (shown with what keeps it attributed);
Microsoft 365 and Dynamics 365 are CPOR claims made by hand in Partner Center, never shown as automated.
The Customer Usage Attribution ID each provider sends is shown beside PAL (docs/attribution-models.md).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from typing import Any

from .attribution import (
    CUA_SOURCES,
    PLANNED_LINK_STATE,
    AttributionDocument,
    AttributionFormatError,
    PrincipalEntry,
    RoleEntry,
)
from .coverage import GRANT_COLUMNS, Customer, CustomerCoverage, coverage_of, grant_records, scope_records
from .visible import html_text, printable
from .workloads import DPOR, PRODUCTS

ReportInputError = AttributionFormatError
"""The input is not a stack output with an ``attribution`` value."""


def gaps_of(principal: PrincipalEntry) -> list[str]:
    """What keeps a principal from earning the partner's credit."""
    gaps = []
    if principal.link_state == PLANNED_LINK_STATE:
        gaps.append("link planned, not live: a plan's preview (pulumi up makes the link)")
    elif principal.link_state != "Active":
        gaps.append(f"link state is {principal.link_state or 'unknown'}")
    elif principal.partner_id != principal.configured_partner_id:
        gaps.append(f"linked to {principal.partner_id}, configured {principal.configured_partner_id}")
    if not principal.pal_eligible and principal.roles:  # no role at all: it earns through Lighthouse delegations
        # docs/roles.md: the catalog's list is Microsoft's partner-earned-credit (PEC) list; the link associates
        # the partner whatever the roles, and other incentives set their own role rules.
        gaps.append("no PEC-eligible role: earns no partner earned credit (its PAL link still associates the partner)")
    return gaps


def lighthouse_rows(document: AttributionDocument) -> list[dict[str, Any]]:
    """The Lighthouse view, one row per delegated customer scope and authorization: managing principal, role,
    permanent or eligible, PEC-eligible or not, link state, whether it earns the credit."""
    return [
        {
            "delegation": d.name,
            "offerName": d.offer_name,
            "customerScope": scope,
            "principal": a.principal_name or a.display_name,
            "principalId": a.principal_id,
            "role": a.role,
            "access": "permanent" if a.permanent else "eligible",
            "pecEligible": a.pec_eligible,
            "linkState": a.link_state,
            "earnsCredit": a.earns_credit,
        }
        for d in document.lighthouse
        for scope in d.scopes
        for a in d.authorizations
    ]


def _lighthouse_gaps(document: AttributionDocument) -> list[str]:
    """A delegation that earns nothing, or whose credited principal's link is known not to be live."""
    gaps = []
    for d in document.lighthouse:
        if not d.earns_credit:
            gaps.append(f"Lighthouse {d.name}: no permanent authorization of a PAL-linked principal with a PEC-eligible role")
        for a in d.credited:
            if a.linked is False:
                gaps.append(f"Lighthouse {d.name}: the PAL link of {a.who} is {a.link_state or 'unknown'}, not live")
    return gaps


def _workload_gaps(document: AttributionDocument, pal_workloads: list[dict[str, str]]) -> list[str]:
    """What keeps a Power Platform workload from being attributed: no principal, or its principal's link."""
    by_name = {p.name: p for p in document.principals}
    gaps = []
    for w in pal_workloads:
        principal = by_name.get(w["principal"])
        if not w["principal"]:
            gaps.append(f"{w['workload']} ({w['product']}): names no principal; add the principal that publishes it")
        elif principal is None:
            gaps.append(f"{w['workload']} ({w['product']}): principal {w['principal']} is not in this stack")
        elif not principal.linked:
            gaps.append(f"{w['workload']} ({w['product']}): the PAL link of {principal.name} is not active")
    return gaps


@dataclass
class AttributionReport:
    document: AttributionDocument
    manual_claims: list[dict[str, str]] = field(default_factory=list)
    """CPOR claims (and products this version does not know) to make by hand: workload, product, association, where
    (with the source)."""
    pal_workloads: list[dict[str, str]] = field(default_factory=list)
    """Non-Azure workloads attributed through a principal's PAL link: workload, product, principal, requirement,
    source."""
    customer: Customer = field(default_factory=lambda: Customer("unnamed customer"))
    """Who the document is about (the headline names it)."""
    made_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    """When the report was made (the headline shows it, in UTC)."""
    links_live: bool = False
    """The link states were checked live (``report --verified``), not only declared by the stack."""

    @cached_property
    def coverage(self) -> CustomerCoverage:
        """The customer's scopes and grants, direct and Lighthouse alike."""
        return coverage_of(self.document, self.customer)

    @property
    def partner_id(self) -> str:
        return self.document.partner_id

    @property
    def principals(self) -> tuple[PrincipalEntry, ...]:
        return self.document.principals

    @property
    def summary(self) -> dict[str, Any]:
        covered = sorted(
            {r.scope for p in self.principals if p.linked for r in p.roles if r.pal_eligible}
            | set(self.lighthouse_scopes_earning)
        )
        principals = self.coverage.principals  # direct and Lighthouse principals alike
        return {
            "principals": len(principals),
            "principalsLinked": sum(linked for _, _, linked in principals),
            "scopesCoveredByEligibleRoles": covered,
            "gaps": [f"{p.name}: {gap}" for p in self.principals for gap in gaps_of(p)]
            + _workload_gaps(self.document, self.pal_workloads)
            + _lighthouse_gaps(self.document),
            "manualClaims": len(self.manual_claims),
            "palWorkloads": len(self.pal_workloads),
            **({"lighthouseScopesEarningCredit": self.lighthouse_scopes_earning} if self.document.lighthouse else {}),
        }

    @property
    def lighthouse_scopes_earning(self) -> list[str]:
        """Delegated customer scopes where a PAL-linked principal earns the credit (and its link is not known to
        be broken)."""
        return sorted(
            {scope for d in self.document.lighthouse for a in d.credited if a.linked is not False for scope in d.scopes}
        )

    @property
    def lighthouse(self) -> list[dict[str, Any]]:
        return lighthouse_rows(self.document)

    @property
    def customer_usage_attribution(self) -> list[dict[str, str]]:
        """Per provider the CUA ID it sends and why; empty for documents written before the field existed."""
        cua = self.document.customer_usage_attribution
        if cua is None:
            return []
        return [
            {"provider": p.provider, "sends": p.sends or "none", "why": CUA_SOURCES.get(p.source, p.source)}
            for p in cua.providers
        ]

    def as_json(self) -> dict[str, Any]:
        return {
            "partnerId": self.partner_id,
            "headline": {
                **self.coverage.headline(),
                "madeAt": self.made_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "linkStates": "live" if self.links_live else "declared",
            },
            "summary": self.summary,
            "principals": [{**p.to_json(), "linked": p.linked, "gaps": gaps_of(p)} for p in self.principals],
            "manualClaims": self.manual_claims,
            "palWorkloads": self.pal_workloads,
            "customerUsageAttribution": self.customer_usage_attribution,
            **({"lighthouse": self.lighthouse, "managingStack": self.document.managing_stack} if self.lighthouse else {}),
            "retiredModels": [{"model": DPOR.name, "status": DPOR.status, "source": DPOR.source}],
            "scopes": scope_records([self.coverage]),
            "grants": grant_records([self.coverage]),
        }


def load_attribution(
    document: Any,
    customer: Customer | None = None,
    *,
    made_at: datetime | None = None,
    links_live: bool = False,
) -> AttributionReport:
    """Build the report from ``pulumi stack output --json``, the ``attribution`` value, or a parsed document."""
    attribution = document if isinstance(document, AttributionDocument) else AttributionDocument.from_stack_output(document)
    claims = []
    pal = []
    for workload in attribution.non_azure_workloads:
        product = PRODUCTS.get(workload.product)
        if product is not None and product.needs_principal:
            pal.append(
                {
                    "workload": workload.name,
                    "product": product.display_name,
                    "principal": workload.principal or "",
                    "association": product.association,
                    "requirement": product.requirement,
                    "source": product.source,
                }
            )
            continue
        claims.append(
            {
                "workload": workload.name,
                "product": product.display_name if product else workload.product,
                "association": product.association if product else "manual",
                "where": f"{product.where}; source: {product.source}" if product else "Partner Center",
            }
        )
    return AttributionReport(
        attribution,
        claims,
        pal,
        customer or Customer("unnamed customer"),
        made_at or datetime.now(timezone.utc),
        links_live,
    )


def _role_text(role: RoleEntry) -> str:
    return f"{role.role} at {role.scope}" + ("" if role.pal_eligible else " (not PEC-eligible)")


_CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_MARKDOWN_ESCAPES = str.maketrans({"\\": "\\\\", "|": "\\|", "<": "&lt;", ">": "&gt;"})


def csv_cell(value: object) -> object:
    """A CSV cell a spreadsheet won't run: text starting with ``=``, ``+``, ``-``, ``@``, tab or CR gets a
    leading ``'`` (OWASP's advice against CSV injection); line breaks become ``\\n``, which the writer quotes
    (a bare CR it would leave unquoted, ending the row). Other values are unchanged."""
    if not isinstance(value, str):
        return value
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    return "'" + text if value.startswith(_CSV_FORMULA_STARTS) else text


def md_cell(value: object) -> str:
    """Text for a markdown table cell or list item: backslashes and ``|`` escaped, ``<``/``>`` as entities
    (no raw HTML), line breaks as ``<br>``, so a crafted name can't end the cell, the row or the table; control and
    direction-changing characters shown as escapes (:func:`~partner_attribution.visible.printable`): the markdown
    report is printed to the terminal."""
    lines = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return "<br>".join(printable(lines).translate(_MARKDOWN_ESCAPES).split("\n"))


def _md_row(*cells: str) -> str:
    """A markdown table row of cells already made safe with :func:`md_cell`."""
    return "| " + " | ".join(cells) + " |"


def _markdown_scopes(report: AttributionReport) -> list[str]:
    """The headline and the scope tree as markdown: a nested list, each scope with its mark in words, who holds what,
    and the reason and fix where it earns nothing."""
    c = report.coverage
    h = c.headline()
    links = "live (verified)" if report.links_live else "declared by the stack (run verify for live states)"
    lines = [
        f"Customer {md_cell(c.customer.name)}; tenant {md_cell(c.tenant)}; "
        f"{('stack ' + md_cell(c.customer.stack) + '; ') if c.customer.stack else ''}"
        f"made {report.made_at.strftime('%Y-%m-%d %H:%M UTC')}; link states {links}.",
        "",
        f"Subscriptions: {h['subscriptionsEarning']} of {h['subscriptions']} earn PEC, {h['subscriptionsPartlyEarning']} "
        f"partly, {h['subscriptionsNotEarning']} not; {h['grantsCreditingAnotherPartner']} grants credit another "
        "partner ID.",
        "",
        "## Scopes",
        "",
    ]

    def walk(node: Any, depth: int) -> None:
        holders = "; ".join(f"{g.principal} {g.role} ({g.delegation}, {g.access}): {g.standing.label}" for g in node.grants)
        line = f"{'  ' * depth}- {node.kind} {md_cell(node.scope)}: **{node.standing.label}**"
        if holders:
            line += f". {md_cell(holders)}"
        if node.reason:
            line += f". Why: {md_cell(node.reason)}. Fix: {md_cell(node.fix)}."
        lines.append(line)
        for child in node.children:
            walk(child, depth + 1)

    for root in c.roots:
        walk(root, 0)
    return lines + ([] if c.roots else ["- no principal holds a role on any scope"]) + ["", "## Principals", ""]


def to_markdown(report: AttributionReport) -> str:
    s = report.summary
    lines = [
        f"# Partner attribution: partner ID {md_cell(report.partner_id)}",
        "",
        *_markdown_scopes(report),
        f"{s['principalsLinked']} of {s['principals']} principals linked; "
        f"{len(s['scopesCoveredByEligibleRoles'])} scopes covered by PEC-eligible roles.",
        "",
        "| principal | partner ID | link | link credential | PEC-eligible | roles |",
        "|---|---|---|---|---|---|",
    ]
    for p in report.principals:
        roles = "<br>".join(md_cell(_role_text(r)) for r in p.roles)
        eligible = "yes" if p.pal_eligible else "no"
        lines.append(
            _md_row(md_cell(p.name), md_cell(p.partner_id), md_cell(p.link_state), md_cell(p.link_credential), eligible, roles)
        )
    lines += ["", "## Gaps", ""] + ([f"- {md_cell(g)}" for g in s["gaps"]] or ["- none"])
    if report.pal_workloads:
        lines += [
            "",
            "## Attributed through a principal's PAL link (Power Platform, Customer Insights)",
            "",
            "| workload | product | principal | what keeps it attributed |",
            "|---|---|---|---|",
        ]
        lines += [
            _md_row(md_cell(w["workload"]), md_cell(w["product"]), md_cell(w["principal"] or "none named"),
                    md_cell(w["requirement"]))
            for w in report.pal_workloads
        ]  # fmt: skip
        lines += ["", f"Source: {md_cell(report.pal_workloads[0]['source'])}."]
    if report.manual_claims:
        lines += [
            "",
            "## Manual claims (no API: not automated)",
            "",
            "| workload | product | association | where |",
            "|---|---|---|---|",
        ]
        keys = ("workload", "product", "association", "where")
        lines += [_md_row(*(md_cell(c[key]) for key in keys)) for c in report.manual_claims]
    if report.pal_workloads or report.manual_claims:
        lines += ["", f"{DPOR.name}: {md_cell(DPOR.status)}. This report follows {md_cell(DPOR.source)}."]
    if report.lighthouse:
        lines += [
            "",
            "## Azure Lighthouse: delegated customer scopes",
            "",
            *([f"Managing stack: {md_cell(report.document.managing_stack)}.", ""] if report.document.managing_stack else []),
            "| customer scope | managing principal | role | permanent or eligible | PEC-eligible | link state | credit |",
            "|---|---|---|---|---|---|---|",
        ]
        lines += [
            _md_row(md_cell(r["customerScope"]), md_cell(f"{r['principal']} ({r['principalId']})"), md_cell(r["role"]),
                    r["access"], "yes" if r["pecEligible"] else "no", md_cell(r["linkState"]),
                    "earns it" if r["earnsCredit"] else "no")
            for r in report.lighthouse
        ]  # fmt: skip
    if report.customer_usage_attribution:
        lines += [
            "",
            "## Customer Usage Attribution (the providers' pid, for solutions the partner ships)",
            "",
            "Role assignments are attributed through each principal's PAL link; the ID below is what each provider "
            "sends with its requests (one per request counts).",
            "",
            "| provider | sends | why |",
            "|---|---|---|",
        ]
        lines += [
            _md_row(md_cell(c["provider"]), md_cell(c["sends"]), md_cell(c["why"])) for c in report.customer_usage_attribution
        ]
    return "\n".join(lines) + "\n"


def records_csv(records: Iterable[dict[str, object]], columns: Sequence[str]) -> str:
    """One record type as CSV: a header of ``columns``, one row per record, cells made safe with :func:`csv_cell`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([csv_cell(record[column]) for column in columns])
    return out.getvalue()


def to_csv(report: AttributionReport) -> str:
    """The long table: one row per grant (a principal's role at a scope, direct or Lighthouse) with a column per
    fact (:data:`~partner_attribution.coverage.GRANT_COLUMNS`), so that a pivot table works without cleanup."""
    return records_csv(grant_records([report.coverage]), GRANT_COLUMNS)


def to_html(report: AttributionReport) -> str:
    """One self-contained page (inline CSS, no scripts, no external resources): the headline, the scope tree, then
    the detail tables (:func:`detail_html`)."""
    from .report_html import customer_page

    return customer_page(report.coverage, detail_html(report), report.made_at, report.links_live)


def detail_html(report: AttributionReport) -> str:
    """The detail tables, per principal, then gaps, workloads, claims, Lighthouse and CUA, as an HTML fragment."""
    e = html_text
    s = report.summary
    rows = "".join(
        "<tr>"
        f"<td>{e(p.name)}</td><td class='{'' if p.partner_id == p.configured_partner_id else 'bad'}'>{e(p.partner_id)}</td>"
        f"<td class='{'ok' if p.link_state == 'Active' else 'bad'}'>{e(p.link_state or 'unknown')}</td>"
        f"<td>{e(p.link_credential)}</td>"
        f"<td class='{'ok' if p.pal_eligible else 'bad'}'>{'yes' if p.pal_eligible else 'no'}</td>"
        f"<td><ul>{''.join(f'<li>{e(_role_text(r))}</li>' for r in p.roles)}</ul></td>"
        "</tr>"
        for p in report.principals
    )
    gaps = "".join(f"<li>{e(g)}</li>" for g in s["gaps"]) or "<li>none</li>"
    claims = "".join(
        f"<tr><td>{e(c['workload'])}</td><td>{e(c['product'])}</td><td>{e(c['association'])}</td><td>{e(c['where'])}</td></tr>"
        for c in report.manual_claims
    )
    claims_section = (
        "<h2>Manual claims (no API: not automated)</h2><table id='claims'><tr><th>Workload</th><th>Product</th>"
        f"<th>Association</th><th>Where</th></tr>{claims}</table>"
        if report.manual_claims
        else ""
    )
    pal_rows = "".join(
        f"<tr><td>{e(w['workload'])}</td><td>{e(w['product'])}</td><td>{e(w['principal'] or 'none named')}</td>"
        f"<td>{e(w['requirement'])}</td></tr>"
        for w in report.pal_workloads
    )
    pal_section = (
        "<h2>Attributed through a principal's PAL link (Power Platform, Customer Insights)</h2><table id='pal-workloads'>"
        f"<tr><th>Workload</th><th>Product</th><th>Principal</th><th>What keeps it attributed</th></tr>{pal_rows}</table>"
        f"<p>Source: {e(report.pal_workloads[0]['source'])}.</p>"
        if report.pal_workloads
        else ""
    )
    dpor = (
        f"<p id='dpor'>{e(DPOR.name)}: {e(DPOR.status)}. This report follows {e(DPOR.source)}.</p>"
        if report.pal_workloads or report.manual_claims
        else ""
    )
    cua_rows = "".join(
        f"<tr><td>{e(c['provider'])}</td><td>{e(c['sends'])}</td><td>{e(c['why'])}</td></tr>"
        for c in report.customer_usage_attribution
    )
    cua_section = (
        "<h2>Customer Usage Attribution (the providers' pid, for solutions the partner ships)</h2>"
        f"<table id='cua'><tr><th>Provider</th><th>Sends</th><th>Why</th></tr>{cua_rows}</table>"
        if report.customer_usage_attribution
        else ""
    )
    lighthouse_rows_html = "".join(
        f"<tr><td>{e(r['customerScope'])}</td><td>{e(r['principal'])} ({e(r['principalId'])})</td><td>{e(r['role'])}</td>"
        f"<td>{e(r['access'])}</td><td class='{'ok' if r['pecEligible'] else 'bad'}'>{'yes' if r['pecEligible'] else 'no'}"
        f"</td><td class='{'ok' if r['linkState'] == 'Active' else ''}'>{e(r['linkState'])}</td>"
        f"<td class='{'ok' if r['earnsCredit'] else ''}'>{'earns it' if r['earnsCredit'] else 'no'}</td></tr>"
        for r in report.lighthouse
    )
    lighthouse_section = (
        "<h2>Azure Lighthouse: delegated customer scopes</h2>"
        + (f"<p>Managing stack: {e(report.document.managing_stack)}.</p>" if report.document.managing_stack else "")
        + "<table id='lighthouse'><tr><th>Customer scope</th><th>Managing principal</th><th>Role</th>"
        "<th>Permanent or eligible</th><th>PEC-eligible</th><th>Link state</th><th>Credit</th></tr>"
        f"{lighthouse_rows_html}</table>"
        if report.lighthouse
        else ""
    )
    return (
        f"<p id='summary'>{s['principalsLinked']} of {s['principals']} principals linked; "
        f"{len(s['scopesCoveredByEligibleRoles'])} scopes covered by PEC-eligible roles.</p>"
        "<table id='principals'><tr><th>Principal</th><th>Partner ID</th><th>Link</th><th>Link credential</th>"
        "<th>PEC-eligible</th><th>Roles</th></tr>"
        f"{rows}</table><h2>Gaps</h2><ul id='gaps'>{gaps}</ul>{pal_section}{claims_section}{dpor}{lighthouse_section}"
        f"{cua_section}"
    )


RENDERERS = {"markdown": to_markdown, "csv": to_csv, "html": to_html, "json": lambda r: json.dumps(r.as_json(), indent=2) + "\n"}
