"""The manager's pages: one customer (headline, scope tree, then the detail tables) and the portfolio (a row per
customer, what to fix first first, each opening that customer's tree). Rendered from :mod:`.coverage`.

Each page is one self-contained file: inline CSS, no script, no external resource. Every mark has its words beside
its colour (and a symbol), so the page reads in grey, printed, and to a screen reader; it narrows to a phone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from .coverage import CustomerCoverage, Grant, Portfolio, ScopeNode, Standing
from .visible import html_text

e = html_text

SYMBOLS = {Standing.EARNS: "✓", Standing.NO_PEC_ROLE: "◐", Standing.OTHER_PARTNER: "⚠", Standing.NOT_LINKED: "✗"}
"""A symbol per standing, beside its words."""

STYLE = (
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;padding:1em;max-width:75em;color:#1b1b1b;"
    "line-height:1.4}h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin-top:1.5em;border-bottom:1px solid #bbb}"
    "code{font-size:.85em;overflow-wrap:anywhere}dl.head{display:grid;grid-template-columns:max-content 1fr;gap:.15em 1em;"
    "margin:.5em 0}dl.head dt{font-weight:600}dl.head dd{margin:0;overflow-wrap:anywhere}"
    ".counts{display:flex;flex-wrap:wrap;gap:.5em;padding:0;list-style:none}.counts li{border:1px solid #999;"
    "border-radius:.3em;padding:.3em .6em}.counts b{font-size:1.2em}"
    ".m{display:inline-block;font-weight:600;border-radius:.3em;padding:0 .4em;border:1px solid;white-space:nowrap}"
    ".m.earns{color:#0b5a27;background:#e3f4e8}.m.no-pec-role{color:#6b4a00;background:#fff3d6}"
    ".m.other-partner{color:#8a1c1c;background:#fde4e4}.m.not-linked{color:#5c2a8a;background:#efe6f8}"
    "ul.tree,ul.tree ul{list-style:none;padding-left:1.1em;margin:0}ul.tree{padding-left:0}"
    "li.n{border-left:4px solid #bbb;margin:.4em 0;padding:.1em 0 .1em .5em}li.n.earns{border-color:#2e8b57}"
    "li.n.no-pec-role{border-color:#c99700}li.n.other-partner{border-color:#c62828}li.n.not-linked{border-color:#7b3fb5}"
    ".k{color:#555;font-size:.85em;text-transform:uppercase;letter-spacing:.03em}"
    "ul.g{list-style:disc;padding-left:1.4em;margin:.2em 0}ul.g li{overflow-wrap:anywhere}"
    ".why{margin:.2em 0;font-size:.95em}.inh{color:#555;font-size:.9em;margin:.2em 0}"
    "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4em;text-align:left;vertical-align:top}"
    "th{background:#f3f3f3}.ok{color:#0a6b2d;font-weight:600}.bad{color:#a4262c;font-weight:600}"
    "details.c{border:1px solid #bbb;border-radius:.3em;margin:.4em 0}details.c>summary{cursor:pointer;padding:.4em;"
    "display:flex;flex-wrap:wrap;gap:.3em 1em;align-items:baseline}details.c>div{padding:0 .8em .8em}"
    ".rank{font-weight:600;min-width:2.5em}.first{flex-basis:100%;font-size:.9em}"
    "@media (max-width:40em){body{padding:.5em}dl.head{grid-template-columns:1fr}ul.tree ul{padding-left:.6em}}"
    "@media print{body{max-width:none;font-size:10pt}.m,li.n{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    "details.c{break-inside:avoid}li.n{break-inside:avoid}}"
)


def mark(standing: Standing) -> str:
    """The standing as a badge: symbol and words, coloured."""
    return f"<span class='m {standing.css}'>{SYMBOLS[standing]} {e(standing.label)}</span>"


def _grant_line(g: Grant, explain: bool) -> str:
    link = g.link_state or "not reported"
    if g.link_state == "Active" and g.linked_partner_id:
        link = f"linked to {g.linked_partner_id}"
    pec = "PEC-eligible" if g.pec_eligible else "not PEC-eligible"
    # a grant crediting another partner is explained where the scope's own line does not already say why
    why = f" <span class='why'><b>Why:</b> {e(g.reason)}. <b>Fix:</b> {e(g.fix)}.</span>" if explain else ""
    return (
        f"<li><b>{e(g.principal)}</b>: {e(g.role)} ({pec}), {e(g.delegation)}, {e(g.access)}; link: {e(link)} "
        f"{mark(g.standing)}{why}</li>"
    )


def _node(n: ScopeNode) -> str:
    standing = n.standing
    parts = [
        f"<li class='n {standing.css}' data-scope='{e(n.scope)}' data-standing='{e(standing.label)}'>"
        f"<span class='k'>{e(n.kind)}</span> <b>{e(n.name)}</b> {mark(standing)}<br><code>{e(n.scope)}</code>"
    ]
    if n.grants:
        deciding = n.deciding if standing is not Standing.EARNS else None
        lines = (_grant_line(g, g.standing is Standing.OTHER_PARTNER and g is not deciding) for g in n.grants)
        parts.append("<ul class='g'>" + "".join(lines) + "</ul>")
    if n.inherited:
        earning = sum(g.standing is Standing.EARNS for g in n.inherited)
        parts.append(f"<p class='inh'>Inherits {len(n.inherited)} role(s) from above ({earning} earning PEC).</p>")
    if standing is not Standing.EARNS:
        parts.append(f"<p class='why'><b>Why:</b> {e(n.reason)}. <b>Fix:</b> {e(n.fix)}.</p>")
    if n.kind == "management group":
        parts.append("<p class='inh'>The document does not list the subscriptions under this management group.</p>")
    if n.children:
        parts.append("<ul>" + "".join(_node(c) for c in n.children) + "</ul>")
    parts.append("</li>")
    return "".join(parts)


def tree_html(coverage: CustomerCoverage) -> str:
    """The customer's scope tree; a sentence when the document declares no role anywhere."""
    if not coverage.roots:
        return "<p class='why'>No principal holds a role on any scope in this document.</p>"
    return "<ul class='tree'>" + "".join(_node(root) for root in coverage.roots) + "</ul>"


def _compact_node(n: ScopeNode) -> str:
    """A scope in the portfolio, as one element of text: kind, name, its mark in words (its border carries the colour),
    who holds what there, and the reason and fix. Few elements per scope keep a page of 500 customers quick to open."""
    standing = n.standing
    holders = "; ".join(f"{g.principal} {g.role} ({SYMBOLS[g.standing]} {g.standing.label})" for g in n.grants)
    text = f" — {SYMBOLS[standing]} {standing.label}" + (f". {holders}" if holders else "")
    if standing is not Standing.EARNS:
        text += f". Why: {n.reason}. Fix: {n.fix}."
    children = "<ul>" + "".join(_compact_node(c) for c in n.children) + "</ul>" if n.children else ""
    return f"<li class='n {standing.css}' title='{e(n.scope)}'>{e(n.kind)} <b>{e(n.name)}</b>{e(text)}{children}</li>"


def compact_tree_html(coverage: CustomerCoverage) -> str:
    """The customer's tree in the portfolio: each scope with its mark, who holds what there, and the reason and fix."""
    if not coverage.roots:
        return "<p>No principal holds a role on any scope in this document.</p>"
    return "<ul class='tree'>" + "".join(_compact_node(root) for root in coverage.roots) + "</ul>"


def _links_note(links_live: bool) -> str:
    return (
        "live: checked by partner-attribution verify"
        if links_live
        else "declared: as the stack recorded them at its last update or refresh (run verify for live states)"
    )


def counts_html(coverage: CustomerCoverage) -> str:
    """The headline counts as a list of labelled numbers."""
    h = coverage.headline()
    lighthouse = f" ({h['lighthousePrincipals']} through Lighthouse)" if h["lighthousePrincipals"] else ""
    items = [
        (h["subscriptionsEarning"], f"of {h['subscriptions']} subscriptions earn PEC", "subs-earning"),
        (h["subscriptionsPartlyEarning"], "partly (some scopes below)", "subs-partly"),
        (h["subscriptionsNotEarning"], "earn nothing", "subs-none"),
        (h["principalsLinked"], f"of {h['principals']} principals linked{lighthouse}", "principals"),
        (h["grantsCreditingAnotherPartner"], "grants credit another partner ID", "other-partner"),
        (h["scopesEarning"], "scopes earn PEC", "scopes-earning"),
    ]
    return (
        "<ul class='counts' id='counts'>"
        + "".join(f"<li data-count='{key}'><b>{value}</b> {e(text)}</li>" for value, text, key in items)
        + "</ul>"
    )


def headline_html(coverage: CustomerCoverage, made_at: datetime, links_live: bool) -> str:
    """Who the report is about, when it was made, how sure its link states are, and the counts."""
    c = coverage.customer
    rows = [
        ("Customer", c.name),
        ("Tenant", coverage.tenant),
        ("Stack", c.stack) if c.stack else ("Read from", c.source or "standard input"),
        ("Partner ID", coverage.partner_id or "none"),
        ("Report made", made_at.strftime("%Y-%m-%d %H:%M UTC")),
        ("Link states", _links_note(links_live)),
    ]
    dl = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in rows)
    return (
        f"<header id='headline'><h1>Partner attribution: {e(c.name)}</h1>{mark(coverage.standing)}"
        f"<dl class='head'>{dl}</dl>{counts_html(coverage)}</header>"
    )


def page(title: str, body: str) -> str:
    """A whole self-contained page."""
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{e(title)}</title><style>{STYLE}</style></head><body>{body}</body></html>\n"
    )


LEGEND = (
    "<p id='legend'>Marks: "
    + ", ".join(mark(s) for s in (Standing.EARNS, Standing.NO_PEC_ROLE, Standing.OTHER_PARTNER, Standing.NOT_LINKED))
    + ". Roles are inherited down the tree, as Azure RBAC inherits them.</p>"
)


def customer_page(coverage: CustomerCoverage, detail: str, made_at: datetime, links_live: bool) -> str:
    """One customer: headline, the scope tree, then ``detail`` (the report's tables, already HTML)."""
    return page(
        f"Partner attribution: {coverage.customer.name}",
        headline_html(coverage, made_at, links_live)
        + f"<h2>Scopes</h2>{LEGEND}<section id='scopes'>{tree_html(coverage)}</section>"
        + f"<h2>Detail</h2>{detail}",
    )


def _first_fix(coverage: CustomerCoverage) -> str:
    worst = coverage.standing
    if worst is Standing.EARNS:
        return "nothing to fix"
    node = next((n for root in coverage.roots for n in root.walk() if n.standing is worst and n.applicable), None)
    if node is not None:
        return f"{node.name}: {node.reason}. Fix: {node.fix}."
    grant = next(g for g in coverage.grants if g.standing is worst)
    return f"{grant.scope}: {grant.reason}. Fix: {grant.fix}."


def _portfolio_row(rank: int, coverage: CustomerCoverage) -> str:
    h = coverage.headline()
    lighthouse = f" ({h['lighthousePrincipals']} Lighthouse)" if h["lighthousePrincipals"] else ""
    return (
        f"<details class='c' id='customer-{rank}' data-customer='{e(coverage.customer.name)}'"
        f"{' open' if rank == 1 else ''}><summary>"  # the first to fix is open
        f"<span class='rank'>#{rank}</span><b>{e(coverage.customer.name)}</b>{mark(coverage.standing)}"
        f"<span>tenant {e(coverage.tenant)}</span>"
        f"<span data-count='subs'>subscriptions: {h['subscriptionsEarning']} earn, {h['subscriptionsPartlyEarning']} partly, "
        f"{h['subscriptionsNotEarning']} not</span>"
        f"<span data-count='principals'>principals: {h['principalsLinked']} of {h['principals']} linked{lighthouse}</span>"
        f"<span data-count='other-partner'>{h['grantsCreditingAnotherPartner']} grants credit another partner ID</span>"
        f"<span class='first'>First fix: {e(_first_fix(coverage))}</span></summary>"
        f"<div>{compact_tree_html(coverage)}</div></details>"
    )


def totals_html(portfolio: Portfolio) -> str:
    """Totals per partner ID."""
    head = ("Partner ID", "Customers", "Subscriptions", "Earning", "Partly", "Not earning", "Grants earning",
            "Grants crediting another partner ID")  # fmt: skip
    keys = ("customers", "subscriptions", "subscriptionsEarning", "subscriptionsPartlyEarning", "subscriptionsNotEarning",
            "grantsEarning", "grantsCreditingAnotherPartner")  # fmt: skip
    rows = "".join(
        f"<tr><td>{e(pid)}</td>" + "".join(f"<td>{t[k]}</td>" for k in keys) + "</tr>" for pid, t in portfolio.totals().items()
    )
    return "<table id='totals'><tr>" + "".join(f"<th>{h}</th>" for h in head) + f"</tr>{rows}</table>"


def portfolio_page(portfolio: Portfolio, made_at: datetime, links_live: bool, changes: Sequence[str] = ()) -> str:
    """Every customer, what to fix first first; each row opens that customer's tree."""
    customers = portfolio.customers
    body = (
        f"<header id='headline'><h1>Partner attribution: {len(customers)} customers</h1>"
        f"<dl class='head'><dt>Report made</dt><dd>{e(made_at.strftime('%Y-%m-%d %H:%M UTC'))}</dd>"
        f"<dt>Link states</dt><dd>{e(_links_note(links_live))}</dd></dl></header>"
        f"<h2>Totals per partner ID</h2>{totals_html(portfolio)}"
        + changes_html(changes)
        + f"<h2>Customers, what to fix first first</h2>{LEGEND}<section id='customers'>"
        + "".join(_portfolio_row(rank, c) for rank, c in enumerate(customers, start=1))
        + "</section>"
    )
    return page(f"Partner attribution: {len(customers)} customers", body)


def changes_html(changes: Iterable[str]) -> str:
    """What changed since an earlier report, one line each; nothing when there is no earlier report."""
    changes = list(changes)
    if not changes:
        return ""
    return "<h2>Changes since the last report</h2><ul id='changes'>" + "".join(f"<li>{e(c)}</li>" for c in changes) + "</ul>"
