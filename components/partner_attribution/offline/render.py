"""Render offline plans: a tree for people, markdown for pull requests, a summary over many stacks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..report import md_cell
from ..visible import printable

if TYPE_CHECKING:
    from rich.console import Console
    from rich.tree import Tree

    from .plan import StackPlan


def summary(plans: list[StackPlan]) -> dict[str, int]:
    return {
        "stacks": len(plans),
        "ok": sum(p.ok for p in plans),
        "failed": sum(not p.ok for p in plans),
        "principals": sum(len(p.principals) for p in plans),
        "warnings": sum(len(p.warnings) for p in plans),
    }


def _eligibility(flag: bool) -> str:
    return "PEC-eligible" if flag else "not PEC-eligible"


def _shown(value: Any) -> Any:
    """Every string of a plan as one escaped line: control characters and line breaks in names, scopes or what a
    managing stack's output says are shown (``\\x1b``, ``\\n``), never sent to the terminal or the markdown."""
    if isinstance(value, str):
        return printable(value, newlines=False)
    if isinstance(value, dict):
        return {key: _shown(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shown(item) for item in value]
    return value


def _shown_plan(plan: StackPlan) -> StackPlan:
    from dataclasses import fields, replace

    return replace(plan, **{f.name: _shown(getattr(plan, f.name)) for f in fields(plan)})


def print_tree(out: Console, plan: StackPlan) -> None:
    from rich.markup import escape
    from rich.tree import Tree

    plan = _shown_plan(plan)
    tree = Tree(f"[bold]{escape(plan.source)}[/]")
    if not plan.ok:
        tree.add("[red]not planned: configuration errors (below)[/]")
    for p in plan.principals:
        branch = tree.add(f"[bold]{escape(p['name'])}[/] ({escape(p['displayName'])})")
        names = p["resources"]
        if p["existingApplication"]:
            branch.add("existing application (not declared; pulumi destroy leaves it and its link)")
        if names["application"]:
            branch.add(f"application {escape(names['application'])}")
        if names["servicePrincipal"]:
            branch.add(f"service principal {escape(names['servicePrincipal'])}")
        if names["password"]:
            branch.add(f"link credential: password {escape(names['password'])}, valid until {p['credentialEndDate'][:10]}")
        elif p["linkCredential"] == "password":
            branch.add("link credential: password from linkSecrets")
        federation = p["linkFederation"]
        if federation:
            where = (
                f"federated credential {escape(federation['federatedCredential'])}"
                if federation["federatedCredential"]
                else "an existing federated credential"
            )
            branch.add(
                f"link credential: federated, no secret; {where} trusts issuer {escape(str(federation['issuer']))}, "
                f"subject {escape(str(federation['subject']))}"
            )
        for fic in p["federatedCredentials"]:
            branch.add(f"federated credential {escape(fic)}")
        for role in p["roleAssignments"]:
            colour = "green" if role["palEligible"] else "yellow"
            eligibility = f"[{colour}]{_eligibility(role['palEligible'])}[/]"
            line = branch.add(f"role [bold]{escape(role['role'])}[/] at {escape(role['scope'])} {eligibility}")
            if role.get("adopts"):
                line.add(f"adopts the existing assignment {escape(role['adopts'])} (import; destroy leaves it)")
            elif role.get("ifItExists"):
                line.add(escape(role["ifItExists"]))
        branch.add(f"PAL link to partner ID [bold]{p['partnerId']}[/]")
        branch.add(f"attribution: {escape(p['attribution'])}")
    _lighthouse_tree(tree, plan)
    _models_tree(tree, plan)
    out.print(tree)


def _authorization_text(a: dict[str, Any]) -> str:
    who = f"{a.get('principalName') or a['displayName']} ({a['principalId']})"
    kind = "permanent" if a["permanent"] else "eligible (just-in-time)"
    pec = "PEC-eligible" if a["pecEligible"] else "not PEC-eligible"
    credit = "earns the credit" if a["earnsCredit"] else "no credit"
    return f"{a['role']} for {who}: {kind}, {pec}, link {a['linkState']}, {credit}"


def _lighthouse_tree(tree: Tree, plan: StackPlan) -> None:
    from rich.markup import escape

    if plan.managing_stack is not None:
        managing = plan.managing_stack
        where = f"outputs from {managing['outputs']}" if managing["resolved"] else managing["note"]
        tree.add(f"managing stack [bold]{escape(managing['name'])}[/]: {escape(where)}")
    for d in plan.lighthouse:
        branch = tree.add(
            f"[bold]Lighthouse delegation {escape(d['name'])}[/] ({escape(d['offerName'])}) to managing tenant "
            f"{escape(d['managingTenantId'])}"
        )
        colour = "green" if d["earnsCredit"] else "red"
        branch.add(f"[{colour}]credit earned by: {escape(d['creditedBy'])}[/]")
        for scope in d["delegatedScopes"]:
            credited = ", ".join(f"{c['principal']} as {c['role']} (link {c['linkState']})" for c in scope["earnsCreditFor"])
            branch.add(
                f"scope {escape(scope['scope'])}: assignment {escape(str(scope['assignment']))}, definition "
                f"{escape(str(scope['definition']))}; credit: {escape(credited or 'none')}"
            )
        for a in d["authorizations"]:
            branch.add(f"authorization {escape(_authorization_text(a))}")
        branch.add(f"[dim]{escape(d['replacedWhen'])}[/]")


def _models_tree(tree: Tree, plan: StackPlan) -> None:
    from rich.markup import escape

    models = plan.attribution_models
    if not models:
        return
    branch = tree.add("[bold]attribution models[/]")
    branch.add(f"Customer Usage Attribution: {escape(models['customerUsageAttribution']['summary'])}")
    for w in models["nonAzureWorkloads"]:
        branch.add(f"{escape(w['name'])} ({escape(w['product'])}): {escape(w['attribution'])}")


def markdown(plan: StackPlan) -> str:
    plan = _shown_plan(plan)
    lines = [f"### {plan.source}", ""]
    if not plan.ok:
        lines += ["**Configuration errors:**", ""] + [f"- {e}" for e in plan.errors]
        return "\n".join(lines)
    if plan.principals:
        lines += ["| principal | partner ID | link credential | role | scope | PAL |", "|---|---|---|---|---|---|"]
    for p in plan.principals:
        for role in p["roleAssignments"]:
            pal = "yes" if role["palEligible"] else "no"
            lines.append(
                f"| {p['name']} | {p['partnerId']} | {p['linkCredential']} | {role['role']} | `{role['scope']}` | {pal} |"
            )
        if not p["roleAssignments"]:
            lines.append(f"| {p['name']} | {p['partnerId']} | {p['linkCredential']} | none | {md_cell(p['attribution'])} | — |")
    if plan.lighthouse:
        lines += _lighthouse_markdown(plan)
    lines += _models_markdown(plan)
    lines += [""] + [f"> warning: {w}" for w in plan.warnings]
    return "\n".join(lines).rstrip()


def _lighthouse_markdown(plan: StackPlan) -> list[str]:
    lines = ["", "**Azure Lighthouse delegations**", ""]
    if plan.managing_stack is not None:
        managing = plan.managing_stack
        where = f"outputs from `{managing['outputs']}`" if managing["resolved"] else managing["note"]
        lines += [f"Managing stack `{md_cell(managing['name'])}`: {md_cell(where)}", ""]
    lines += [
        "| delegation | customer scope | managing principal | role | permanent or eligible | PEC-eligible | link state "
        "| credit |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for d in plan.lighthouse:
        for scope in d["scopes"]:
            for a in d["authorizations"]:
                who = f"{a.get('principalName') or a['displayName']} ({a['principalId']})"
                lines.append(
                    "| "
                    + " | ".join(
                        [
                            md_cell(d["name"]),
                            f"`{md_cell(scope)}`",
                            md_cell(who),
                            md_cell(a["role"]),
                            "permanent" if a["permanent"] else "eligible",
                            "yes" if a["pecEligible"] else "no",
                            md_cell(a["linkState"]),
                            "earns it" if a["earnsCredit"] else "no",
                        ]
                    )
                    + " |"
                )
        lines += ["", f"{md_cell(d['name'])}: credit earned by {md_cell(d['creditedBy'])}", ""]
    return lines


def _models_markdown(plan: StackPlan) -> list[str]:
    models = plan.attribution_models
    if not models:
        return []
    lines = ["", "**Attribution models**", ""]
    lines += [f"- {md_cell(p['name'])}: {md_cell(p['attribution'])}" for p in models["principals"]]
    lines.append(f"- Customer Usage Attribution: {md_cell(models['customerUsageAttribution']['summary'])}")
    lines += [
        f"- {md_cell(w['name'])} ({md_cell(w['product'])}): {md_cell(w['attribution'])}" for w in models["nonAzureWorkloads"]
    ]
    return lines
