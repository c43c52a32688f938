"""The manager's pages in a real headless Chromium (Debian's ``chromium``): what a person sees, the headline, the scope
tree's marks and the portfolio's order, checked against the documents they were made from.

The browser is started the way tests/test_cli.py starts it (``chromium_dom`` below is the one place to switch to a shared
fixture)."""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

from test_coverage import MG, RG_B, SUB_A, SUB_B, SUB_C, VAULT_B, document, lighthouse_only, mixed, principal
from typer.testing import CliRunner

from partner_attribution.cli import app
from partner_attribution.offline.engine import evaluate, run_program_file
from partner_attribution.offline.stack_file import read_stack_config

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


def chromium_dom(page: Path, profile: Path, screenshot: Path | None = None, width: int = 1200) -> str:
    """The DOM Chromium builds from ``page``; with ``screenshot``, also a PNG of it ``width`` pixels wide."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Debian's chromium is needed for this test (scripts/test.sh installs it)"
    flags = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
    dom = subprocess.run([*flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120, check=True)
    if screenshot is not None:
        subprocess.run([*flags, f"--screenshot={screenshot}", f"--window-size={width},1400", page.as_uri()],
                       capture_output=True, timeout=120, check=True)  # fmt: skip
    return dom.stdout


class Seen(HTMLParser):
    """What the page shows: the text of each scope node (with its standing), of each count, of each customer row."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: dict[str, str] = {}
        self.counts: dict[str, str] = {}
        self.customers: list[str] = []
        self.headline = ""
        self.whys: list[str] = []
        self._stack: list[tuple[str, str | None, str | None]] = []
        self._text: dict[tuple[str, str], list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "li" and a.get("data-scope"):
            self.nodes.setdefault(str(a["data-scope"]), str(a.get("data-standing")))
        if a.get("data-count") and not self.counts.get(str(a["data-count"])):
            self._stack.append(("count", str(a["data-count"]), tag))
            self._text[("count", str(a["data-count"]))] = []
        if tag == "details" and a.get("data-customer"):
            self.customers.append(str(a["data-customer"]))
        if "why" in str(a.get("class") or "").split():
            key = str(len(self.whys) + len([k for k in self._stack if k[0] == "why"]))
            self._stack.append(("why", key, tag))
            self._text[("why", key)] = []
        if tag == "header":
            self._stack.append(("headline", "", tag))
            self._text[("headline", "")] = []

    def handle_endtag(self, tag: str) -> None:
        if self._stack and self._stack[-1][2] == tag:
            kind, key, _ = self._stack.pop()
            text = " ".join(" ".join(self._text[(kind, str(key))]).split())
            if kind == "count":
                self.counts[str(key)] = text
            elif kind == "why":
                self.whys.append(text)
            elif not self.headline:
                self.headline = text

    def handle_data(self, data: str) -> None:
        for kind, key, _ in self._stack:
            self._text[(kind, str(key))].append(data)


def seen(dom: str) -> Seen:
    parser = Seen()
    parser.feed(dom)
    return parser


runner = CliRunner()


def report(*args: str, stdin: str | None = None) -> str:
    result = runner.invoke(app, list(args), input=stdin, env={"SOURCE_DATE_EPOCH": "1796000000"}, catch_exceptions=False)
    assert result.exit_code in (0, 1), result.stderr
    return result.stdout


def test_one_customer_page_shows_the_tree_and_headline_of_its_document(tmp_path: Path) -> None:
    source = tmp_path / "contoso.json"
    source.write_text(json.dumps(mixed()))
    page = tmp_path / "contoso.html"
    page.write_text(report("report", "--input", str(source), "--format", "html"))
    text = page.read_text()
    assert "<script" not in text and "http" not in text.replace("http-equiv", "")  # self-contained
    shown = seen(chromium_dom(page, tmp_path / "profile"))
    assert shown.nodes == {
        MG: "earns PEC",
        SUB_A: "earns PEC",
        SUB_B: "linked, no PEC-eligible role",
        RG_B: "earns PEC",
        VAULT_B: "earns PEC",
        SUB_C: "credited to another partner ID",
    }
    assert "Partner attribution: contoso" in shown.headline and "Report made 2026-11-30 00:53 UTC" in shown.headline
    assert "Link states declared" in shown.headline and "Tenant aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa" in shown.headline
    assert shown.counts["subs-earning"] == "1 of 3 subscriptions earn PEC"
    assert shown.counts["subs-partly"] == "1 partly (some scopes below)"
    assert shown.counts["subs-none"] == "1 earn nothing"
    assert shown.counts["principals"] == "3 of 4 principals linked"
    assert shown.counts["other-partner"] == "1 grants credit another partner ID"
    # every mark has its words beside its colour, and the reason and fix where a scope earns nothing
    assert (
        "Why: moved's PAL link names partner ID 7654321, not 1234567. Fix: if the customer agrees, set "
        "overwriteExistingLink: true for moved in this stack and run pulumi up." in shown.whys
    )
    assert (
        "Why: Reader is not a PEC-eligible role: the link associates the partner but earns no PEC. Fix: grant a "
        "PEC-eligible role (e.g. Contributor) at this scope; see docs/roles.md." in shown.whys
    )


def test_a_lighthouse_customer_headline_counts_its_delegations(tmp_path: Path) -> None:
    page = tmp_path / "lighthouse.html"
    page.write_text(report("report", "--format", "html", "--customer", "northwind", stdin=json.dumps(lighthouse_only())))
    shown = seen(chromium_dom(page, tmp_path / "profile"))
    assert shown.counts["principals"] == "1 of 2 principals linked (2 through Lighthouse)"
    assert shown.counts["subs-earning"] == "1 of 2 subscriptions earn PEC"  # B: only its delegated resource group
    assert shown.counts["subs-partly"] == "1 partly (some scopes below)"
    assert shown.nodes == {SUB_A: "earns PEC", SUB_B: "no linked principal", RG_B: "earns PEC"}
    assert "Partner attribution: northwind" in shown.headline


def test_the_example_stack_renders(tmp_path: Path) -> None:
    evaluation = evaluate(run_program_file(PROJECT_ROOT / "__main__.py"), read_stack_config(PROJECT_ROOT / "Pulumi.dev.yaml"))
    attribution = json.loads(json.dumps(evaluation.outputs["attribution"]))
    for p in attribution["principals"]:
        p["linkState"] = "Active"
    page = tmp_path / "dev.html"
    page.write_text(report("report", "--format", "html", "--customer", "dev", stdin=json.dumps({"attribution": attribution})))
    shown = seen(chromium_dom(page, tmp_path / "profile"))
    expected = {r["scope"] for p in attribution["principals"] for r in p["roles"]}
    assert expected <= set(shown.nodes)  # every scope the document names is in the tree
    assert shown.counts["principals"] == f"{len(attribution['principals'])} of {len(attribution['principals'])} principals linked"


def test_portfolio_page_lists_customers_fix_first_with_their_counts(tmp_path: Path) -> None:
    folder = tmp_path / "outputs"
    folder.mkdir()
    (folder / "alpha.json").write_text(json.dumps(document(principal("platform", [("Contributor", SUB_A, True)]))))
    (folder / "beta.json").write_text(json.dumps(document(principal("late", [("Contributor", SUB_A, True)], state="NotLinked"))))
    (folder / "gamma.json").write_text(json.dumps(mixed()))
    (folder / "northwind.json").write_text(json.dumps(lighthouse_only()))
    hostile = document(principal("<img src=x onerror=alert(1)>", [("Contributor", SUB_A, True)], state="NotLinked"))
    (folder / "<script>x<'.json").write_text(json.dumps(hostile))
    page = tmp_path / "portfolio.html"
    page.write_text(report("report", "-d", str(folder), "--format", "html"))
    text = page.read_text()
    assert "<img" not in text and "<script" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    dom = chromium_dom(page, tmp_path / "profile")
    shown = seen(dom)
    assert shown.customers == ["gamma", "<script>x<'", "beta", "northwind", "alpha"]  # ties: by name
    assert "Partner attribution: 5 customers" in shown.headline
    # totals per partner ID: 5 customers, 8 subscriptions (alpha 1 earning, beta 1 not, the hostile one 1 not, gamma
    # 1 + 1 partly + 1 not, northwind 1 + 1 partly): 3 earning, 2 partly, 3 not
    assert "<td>1234567</td><td>5</td><td>8</td><td>3</td><td>2</td><td>3</td>" in dom


def test_the_lighthouse_example_customer_renders(tmp_path: Path) -> None:
    """The Lighthouse example's customer stack (evaluated with the managing stack's example output): its headline
    counts the delegations' principals (it said "0 of 0 principals linked"), and both delegated scopes earn."""
    from test_lighthouse_stack import CUSTOMER, LINKED_OBJECT_ID, MANAGING_OUTPUT, RG, SUB, _evaluate

    evaluation = _evaluate(CUSTOMER, json.loads(MANAGING_OUTPUT.read_text()))
    attribution = json.loads(json.dumps(evaluation.outputs["attribution"]))
    principals = {a["principalId"] for d in attribution["lighthouse"] for a in d["authorizations"]}
    linked = {a["principalId"] for d in attribution["lighthouse"] for a in d["authorizations"] if a["linkState"] == "Active"}
    assert linked == {LINKED_OBJECT_ID}
    page = tmp_path / "customer.html"
    page.write_text(report("report", "--format", "html", "--customer", "contoso", stdin=json.dumps({"attribution": attribution})))
    shown = seen(chromium_dom(page, tmp_path / "profile"))
    assert shown.counts["principals"] == (f"1 of {len(principals)} principals linked ({len(principals)} through Lighthouse)")
    assert shown.nodes[SUB] == "earns PEC" and shown.nodes[RG] == "earns PEC"


def test_a_generated_portfolio_renders(tmp_path: Path) -> None:
    """The benchmark's generated portfolio (bench/report_portfolio.py), 40 customers × 10 subscriptions × 5 principals:
    every customer is a row, and the totals are the documents' own."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("report_portfolio", PROJECT_ROOT / "bench" / "report_portfolio.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    folder = tmp_path / "outputs"
    folder.mkdir()
    documents = [bench.generated_document(c, 10, 5) for c in range(40)]
    for c, value in enumerate(documents):
        (folder / f"customer-{c:02d}.json").write_text(json.dumps(value))
    page = tmp_path / "portfolio.html"
    page.write_text(report("report", "-d", str(folder), "--format", "html"))
    dom = chromium_dom(page, tmp_path / "profile")
    shown = seen(dom)
    assert sorted(shown.customers) == [f"customer-{c:02d}" for c in range(40)]
    subscriptions = sum(len({r["scope"] for p in d["attribution"]["principals"] for r in p["roles"]
                             if r["scope"].count("/") == 2}) for d in documents)  # fmt: skip
    other = sum(
        len(p["roles"])
        for d in documents
        for p in d["attribution"]["principals"]
        if p["partnerId"] != "1234567" and p["linkState"] == "Active"
    )
    assert f"<td>1234567</td><td>40</td><td>{subscriptions}</td>" in dom
    assert dom.count("<td>") == 8 and f"<td>{other}</td></tr>" in dom  # one totals row; grants crediting another partner
