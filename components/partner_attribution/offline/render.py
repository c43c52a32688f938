"""Render offline plans: a tree for people, markdown for pull requests, a summary over many stacks."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

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
    return "PAL-eligible" if flag else "not PAL-eligible"


def print_tree(out: Console, plan: StackPlan) -> None:
    from rich.markup import escape
    from rich.tree import Tree

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
            branch.add("link credential: password from linkSecrets (a Pulumi secret)")
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
            branch.add(f"role [bold]{escape(role['role'])}[/] at {escape(role['scope'])} {eligibility}")
        branch.add(f"PAL link to partner ID [bold]{p['partnerId']}[/]")
    out.print(tree)


def markdown(plan: StackPlan) -> str:
    lines = [f"### {plan.source}", ""]
    if not plan.ok:
        lines += ["**Configuration errors:**", ""] + [f"- {e}" for e in plan.errors]
        return "\n".join(lines)
    lines += ["| principal | partner ID | link credential | role | scope | PAL |", "|---|---|---|---|---|---|"]
    for p in plan.principals:
        for role in p["roleAssignments"]:
            pal = "yes" if role["palEligible"] else "no"
            lines.append(
                f"| {p['name']} | {p['partnerId']} | {p['linkCredential']} | {role['role']} | `{role['scope']}` | {pal} |"
            )
    lines += [""] + [f"> warning: {w}" for w in plan.warnings]
    return "\n".join(lines).rstrip()
