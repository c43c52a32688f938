"""What each customer scope earns the partner: attribution documents → grants → a scope tree (pure, no I/O).

A **grant** is one principal's role at one scope, held through a direct role assignment or an Azure Lighthouse
authorization, permanent or eligible (just-in-time). Each grant has a :class:`Standing`: it earns partner earned credit
(PEC), its principal is linked but the role is not PEC-eligible (or not permanent), its principal's PAL link names
another partner ID, or its principal has no live link. Each grant that does not earn carries the reason and the fix.

A **scope tree** places the scopes under each other (management group; subscription → resource group → resource;
the document does not say which subscriptions a management group holds, so management groups are roots). Roles are
inherited down the tree, as Azure RBAC inherits them: a node earns when a grant at it or above it earns.

Sources of the rules: docs/roles.md (PEC-eligible roles), docs/lighthouse.md (a permanent authorization of a
PAL-linked principal with a PEC-eligible role earns; just-in-time ones earn nothing), docs/partner-link.md
(re-pointing a link that names another partner ID needs ``overwriteExistingLink``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property, lru_cache

from .attribution import PLANNED_LINK_STATE, UNKNOWN_LINK_STATE, AttributionDocument
from .azure_ids import InvalidScopeError, parse_scope


class Standing(Enum):
    """What a grant or a scope earns the partner, worst first in :data:`FIX_ORDER`."""

    EARNS = "earns PEC"
    NO_PEC_ROLE = "linked, no PEC-eligible role"
    OTHER_PARTNER = "credited to another partner ID"
    NOT_LINKED = "no linked principal"

    @property
    def label(self) -> str:
        """The words shown beside the colour (colour is never the only signal)."""
        return self.value

    @property
    def css(self) -> str:
        """A class name for renderers."""
        return self.name.lower().replace("_", "-")


FIX_ORDER = (Standing.OTHER_PARTNER, Standing.NOT_LINKED, Standing.NO_PEC_ROLE, Standing.EARNS)
"""What to fix first: credit going to someone else, then no link at all, then roles that earn nothing."""

_BEST_FIRST = (Standing.EARNS, Standing.OTHER_PARTNER, Standing.NO_PEC_ROLE, Standing.NOT_LINKED)
"""Which standing a scope takes when several grants apply: it earns if any grant earns; otherwise the most telling."""

DIRECT = "direct"
LIGHTHOUSE = "Lighthouse"
PERMANENT = "permanent"
ELIGIBLE = "eligible"

SCOPE_KINDS = ("management group", "subscription", "resource group", "resource", "other")


@dataclass(frozen=True)
class Grant:
    """One principal's role at one scope, and what it earns the partner there."""

    scope: str
    principal: str
    """The principal as the stack names it (its name, or the Lighthouse display name)."""
    principal_id: str
    """Object ID (Lighthouse) or client ID (direct) when known."""
    role: str
    pec_eligible: bool
    delegation: str
    """:data:`DIRECT` (a role assignment) or :data:`LIGHTHOUSE` (a Lighthouse authorization)."""
    access: str
    """:data:`PERMANENT` or :data:`ELIGIBLE` (just-in-time)."""
    link_state: str
    """The PAL link's state as the document (or a verification) reports it; ``unknown`` when nobody reports it."""
    linked_partner_id: str
    """The partner ID the link names ('' when not linked or unknown)."""
    expected_partner_id: str
    """The partner ID the stack links the principal to."""
    standing: Standing
    reason: str = ""
    """Why it does not earn, in one line ('' when it earns)."""
    fix: str = ""
    """What to do about it, in one line ('' when it earns)."""
    link_credential: str = ""
    """How a direct principal's link signs in (``password`` or ``federated``); '' for a Lighthouse principal."""


def judge(
    *,
    who: str,
    role: str,
    pec_eligible: bool,
    delegation: str,
    access: str,
    link_state: str,
    linked_partner_id: str,
    expected_partner_id: str,
) -> tuple[Standing, str, str]:
    """The standing of one grant, with the reason and the fix when it does not earn."""
    lighthouse = delegation == LIGHTHOUSE
    if link_state == "Active" and linked_partner_id and expected_partner_id and linked_partner_id != expected_partner_id:
        where = "in the managing stack" if lighthouse else "in this stack"
        return (
            Standing.OTHER_PARTNER,
            f"{who}'s PAL link names partner ID {linked_partner_id}, not {expected_partner_id}",
            f"if the customer agrees, set overwriteExistingLink: true for {who} {where} and run pulumi up",
        )
    if link_state != "Active":
        if link_state == UNKNOWN_LINK_STATE:
            return (
                Standing.NOT_LINKED,
                f"{who} is not a principal of the managing stack: its PAL link is unknown",
                "name the managing stack (managingStack) or give the authorization to its linked principal",
            )
        where = "the managing stack" if lighthouse else "this stack"
        if link_state == PLANNED_LINK_STATE:
            return (
                Standing.NOT_LINKED,
                f"{who}'s PAL link is planned, not live (the report of a plan, before deploying)",
                f"run pulumi up for {where}: it makes the link",
            )
        state = link_state or "not reported"
        return (
            Standing.NOT_LINKED,
            f"{who}'s PAL link is {state}",
            f"run pulumi up --refresh for {where} (it makes the link), then partner-attribution verify",
        )
    if access != PERMANENT:
        return (
            Standing.NO_PEC_ROLE,
            f"{who}'s {role} is an eligible (just-in-time) authorization: it earns nothing",
            f"add a permanent authorization of {who} with a PEC-eligible role",
        )
    if not pec_eligible:
        return (
            Standing.NO_PEC_ROLE,
            f"{role} is not a PEC-eligible role: the link associates the partner but earns no PEC",
            "grant a PEC-eligible role (e.g. Contributor) at this scope; see docs/roles.md",
        )
    return Standing.EARNS, "", ""


def grants_of(document: AttributionDocument) -> list[Grant]:
    """Every grant a document declares: each principal's roles, then each Lighthouse authorization on each scope."""
    grants: list[Grant] = []
    for p in document.principals:
        expected = p.configured_partner_id or document.partner_id
        for r in p.roles:
            standing, reason, fix = judge(
                who=p.name, role=r.role, pec_eligible=r.pal_eligible, delegation=DIRECT, access=PERMANENT,
                link_state=p.link_state, linked_partner_id=p.partner_id, expected_partner_id=expected,
            )  # fmt: skip
            grants.append(
                Grant(r.scope, p.name, p.client_id, r.role, r.pal_eligible, DIRECT, PERMANENT, p.link_state or "",
                      p.partner_id if p.link_state == "Active" else "", expected, standing, reason, fix,
                      p.link_credential)
            )  # fmt: skip
    for d in document.lighthouse:
        for a in d.authorizations:
            who = a.principal_name or a.display_name or a.principal_id
            expected = a.configured_partner_id or document.partner_id
            linked = a.linked_partner_id or "" if a.link_state == "Active" else ""
            access = PERMANENT if a.permanent else ELIGIBLE
            standing, reason, fix = judge(
                who=who, role=a.role, pec_eligible=a.pec_eligible, delegation=LIGHTHOUSE, access=access,
                link_state=a.link_state, linked_partner_id=linked, expected_partner_id=expected,
            )  # fmt: skip
            for scope in d.scopes:
                grants.append(
                    Grant(scope, who, a.principal_id, a.role, a.pec_eligible, LIGHTHOUSE, access, a.link_state,
                          linked, expected, standing, reason, fix)
                )  # fmt: skip
    return grants


@lru_cache(maxsize=65536)
def scope_kind(scope: str) -> str:
    """``management group``, ``subscription``, ``resource group``, ``resource`` or ``other``."""
    try:
        return parse_scope(scope).kind
    except InvalidScopeError:
        return "other"


def parent_scope(scope: str) -> str | None:
    """The scope above ``scope`` in the tree: a resource's resource group, a resource group's subscription; None for
    subscriptions, management groups and scopes of no known form."""
    kind = scope_kind(scope)
    parts = scope.split("/")
    if kind == "resource group":
        return "/".join(parts[:3])
    if kind == "resource":
        return "/".join(parts[:5])
    return None


def _key(scope: str) -> str:
    return scope.lower()  # Azure resource IDs are case-insensitive


@dataclass
class ScopeNode:
    """One scope in the tree with the grants held at it and the grants it inherits from above."""

    scope: str
    kind: str
    grants: list[Grant] = field(default_factory=list)
    inherited: list[Grant] = field(default_factory=list)
    children: list[ScopeNode] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The last segment of the scope (the subscription ID, group or resource name)."""
        return self.scope.rstrip("/").rsplit("/", 1)[-1]

    @property
    def applicable(self) -> list[Grant]:
        return self.grants + self.inherited

    @cached_property
    def standing(self) -> Standing:
        """Computed once the tree is built (:func:`scope_tree` settles every node before returning it)."""
        standings = {g.standing for g in self.applicable}
        return next((s for s in _BEST_FIRST if s in standings), Standing.NOT_LINKED)

    @property
    def deciding(self) -> Grant | None:
        """The grant whose reason and fix explain the node's standing (None when no grant applies)."""
        standing = self.standing
        return next((g for g in self.applicable if g.standing is standing), None)

    @property
    def reason(self) -> str:
        if self.standing is Standing.EARNS:
            return ""
        grant = self.deciding
        if grant is None:
            return "no principal holds a role at this scope or above it" + (" (only on scopes below it)" if self.children else "")
        return grant.reason

    @property
    def fix(self) -> str:
        if self.standing is Standing.EARNS:
            return ""
        grant = self.deciding
        if grant is None:
            return "give a PAL-linked principal a PEC-eligible role here, or leave it if nothing here should earn"
        return grant.fix

    def walk(self) -> Iterable[ScopeNode]:
        yield self
        for child in self.children:
            yield from child.walk()

    @cached_property
    def earns_below(self) -> bool:
        """Some scope under this one earns."""
        return any(node.standing is Standing.EARNS for child in self.children for node in child.walk())


def scope_tree(grants: Sequence[Grant]) -> list[ScopeNode]:
    """The roots (management groups, subscriptions, scopes of no known form), each with its scopes below, in a stable
    order: kind, then scope. Intermediate scopes with no grant of their own appear so that the tree is whole."""
    nodes: dict[str, ScopeNode] = {}

    def node(scope: str) -> ScopeNode:
        key = _key(scope)
        found = nodes.get(key)
        if found is None:
            found = nodes[key] = ScopeNode(scope, scope_kind(scope))
            parent = parent_scope(scope)
            if parent is not None:
                node(parent).children.append(found)
        return found

    for grant in grants:
        node(grant.scope).grants.append(grant)
    roots = [n for key, n in nodes.items() if parent_scope(n.scope) is None]
    order = {kind: index for index, kind in enumerate(SCOPE_KINDS)}

    def settle(n: ScopeNode, above: list[Grant]) -> None:
        n.inherited = list(above)
        n.children.sort(key=lambda c: (order[c.kind], _key(c.scope)))
        for child in n.children:
            settle(child, above + n.grants)

    roots.sort(key=lambda n: (order[n.kind], _key(n.scope)))
    for root in roots:
        settle(root, [])
    return roots


@dataclass(frozen=True)
class Customer:
    """Who a document is about and where it came from, as the reader knows it."""

    name: str
    """The customer as the partner names it: the stack name, or the file name without its extension."""
    stack: str = ""
    """``org/project/stack`` when read from a Pulumi backend or named in the document."""
    source: str = ""
    """The file or backend it was read from."""


@dataclass
class CustomerCoverage:
    """One customer's scopes, grants and counts."""

    customer: Customer
    document: AttributionDocument
    grants: list[Grant]
    roots: list[ScopeNode]

    @property
    def partner_id(self) -> str:
        return self.document.partner_id

    @property
    def tenant_ids(self) -> list[str]:
        """The customer tenant(s): where the stack's delivery principals live (none recorded in a Lighthouse-only
        stack, whose principals live in the managing tenant)."""
        return sorted({p.tenant_id for p in self.document.principals if p.tenant_id})

    @property
    def tenant(self) -> str:
        return ", ".join(self.tenant_ids) or "not recorded"

    @property
    def subscriptions(self) -> list[ScopeNode]:
        return [n for n in self.roots if n.kind == "subscription"]

    def subscription_counts(self) -> dict[str, int]:
        """Subscriptions fully earning (the subscription itself), partly (only scopes below it), not at all."""
        counts = {"full": 0, "partly": 0, "none": 0}
        for sub in self.subscriptions:
            if sub.standing is Standing.EARNS:
                counts["full"] += 1
            elif sub.earns_below:
                counts["partly"] += 1
            else:
                counts["none"] += 1
        return counts

    @property
    def principals(self) -> list[tuple[str, str, bool]]:
        """Every principal that holds a grant or is in the stack, direct and Lighthouse alike: (delegation, name or
        object ID, linked to the expected partner ID)."""
        seen: dict[tuple[str, str], bool] = {}
        for p in self.document.principals:
            seen[(DIRECT, p.name)] = p.linked
        for g in self.grants:
            if g.delegation == LIGHTHOUSE:  # one principal (object ID) may hold several authorizations, named apart
                linked = g.link_state == "Active" and g.linked_partner_id == g.expected_partner_id
                key = (LIGHTHOUSE, g.principal_id.lower() or g.principal)
                seen[key] = seen.get(key, False) or linked
        return [(kind, name, linked) for (kind, name), linked in seen.items()]

    @property
    def other_partner_grants(self) -> list[Grant]:
        return [g for g in self.grants if g.standing is Standing.OTHER_PARTNER]

    @property
    def standing(self) -> Standing:
        """The customer's worst problem, in :data:`FIX_ORDER`, or EARNS when every scope earns and no grant credits
        another partner ID."""
        # scopes that hold no role themselves and inherit none (a subscription shown only because a resource group under
        # it is delegated) are counted as partly earning in the headline, not as a problem here
        standings = {n.standing for root in self.roots for n in root.walk() if n.applicable}
        if self.other_partner_grants:
            standings.add(Standing.OTHER_PARTNER)
        return next((s for s in FIX_ORDER if s in standings), Standing.EARNS)

    def fix_first_key(self) -> tuple[int, int, int, int, str]:
        """Sort key, what to fix first first: credit going to another partner, subscriptions earning nothing, partly
        earning, unlinked principals; then by name."""
        counts = self.subscription_counts()
        unlinked = sum(not linked for _, _, linked in self.principals)
        return (-len(self.other_partner_grants), -counts["none"], -counts["partly"], -unlinked, self.customer.name.lower())

    @cached_property
    def _headline(self) -> dict[str, object]:
        counts = self.subscription_counts()
        principals = self.principals
        return {
            "customer": self.customer.name,
            "stack": self.customer.stack,
            "tenant": self.tenant,
            "partnerId": self.partner_id,
            "subscriptions": len(self.subscriptions),
            "subscriptionsEarning": counts["full"],
            "subscriptionsPartlyEarning": counts["partly"],
            "subscriptionsNotEarning": counts["none"],
            "principals": len(principals),
            "principalsLinked": sum(linked for _, _, linked in principals),
            "lighthousePrincipals": sum(kind == LIGHTHOUSE for kind, _, _ in principals),
            "grants": len(self.grants),
            "grantsEarning": sum(g.standing is Standing.EARNS for g in self.grants),
            "grantsCreditingAnotherPartner": len(self.other_partner_grants),
            "scopesEarning": sum(n.standing is Standing.EARNS for root in self.roots for n in root.walk()),
        }

    def headline(self) -> dict[str, object]:
        """Who, and the counts: subscriptions fully, partly and not earning; principals linked (direct and
        Lighthouse alike); grants earning and crediting another partner ID; scopes earning."""
        return dict(self._headline)


def coverage_of(document: AttributionDocument, customer: Customer) -> CustomerCoverage:
    """One customer's coverage from its attribution document."""
    grants = grants_of(document)
    return CustomerCoverage(customer, document, grants, scope_tree(grants))


@dataclass
class Portfolio:
    """Many customers, sorted by what to fix first, with totals per partner ID."""

    customers: list[CustomerCoverage]

    def __post_init__(self) -> None:
        self.customers = sorted(self.customers, key=CustomerCoverage.fix_first_key)

    def totals(self) -> dict[str, dict[str, int]]:
        """Per partner ID: customers, subscriptions (earning, partly, not), grants earning and crediting another."""
        totals: dict[str, dict[str, int]] = {}
        for c in self.customers:
            t = totals.setdefault(
                c.partner_id or "(none)",
                {"customers": 0, "subscriptions": 0, "subscriptionsEarning": 0, "subscriptionsPartlyEarning": 0,
                 "subscriptionsNotEarning": 0, "grants": 0, "grantsEarning": 0, "grantsCreditingAnotherPartner": 0},
            )  # fmt: skip
            h = c.headline()
            t["customers"] += 1
            for key in list(t)[1:]:
                t[key] += int(h[key])  # type: ignore[call-overload]
        return dict(sorted(totals.items()))


GRANT_COLUMNS = (
    "customer", "tenant", "partnerId", "scope", "scopeType", "principal", "principalId", "role", "pecEligible",
    "delegation", "access", "linkState", "linkedPartnerId", "linkCredential", "earnsCredit", "standing", "reason", "fix",
)  # fmt: skip
"""The long table's columns: one record type, a column per fact, so a pivot table works without cleanup."""


def grant_records(customers: Iterable[CustomerCoverage]) -> list[dict[str, object]]:
    """One record per grant per scope, every record with every column of :data:`GRANT_COLUMNS`."""
    return [
        {
            "customer": c.customer.name,
            "tenant": c.tenant,
            "partnerId": g.expected_partner_id,
            "scope": g.scope,
            "scopeType": scope_kind(g.scope),
            "principal": g.principal,
            "principalId": g.principal_id,
            "role": g.role,
            "pecEligible": g.pec_eligible,
            "delegation": g.delegation,
            "access": g.access,
            "linkState": g.link_state,
            "linkedPartnerId": g.linked_partner_id,
            "linkCredential": g.link_credential,
            "earnsCredit": g.standing is Standing.EARNS,
            "standing": g.standing.label,
            "reason": g.reason,
            "fix": g.fix,
        }
        for c in customers
        for g in c.grants
    ]


def scope_records(customers: Iterable[CustomerCoverage]) -> list[dict[str, object]]:
    """One record per scope of every customer's tree: customer, scope, scope type, standing, reason, fix."""
    return [
        {
            "customer": c.customer.name,
            "tenant": c.tenant,
            "scope": n.scope,
            "scopeType": n.kind,
            "standing": n.standing.label,
            "earnsCredit": n.standing is Standing.EARNS,
            "reason": n.reason,
            "fix": n.fix,
        }
        for c in customers
        for root in c.roots
        for n in root.walk()
    ]


def overlay_verified(document: AttributionDocument, results: Mapping[str, tuple[str, str]]) -> AttributionDocument:
    """The document with each direct principal's link state and partner ID replaced by a live verification's
    (``results``: client ID, lower-case → (link state, partner ID)); principals not verified keep what the
    document declares."""
    from dataclasses import replace

    principals = []
    for p in document.principals:
        found = results.get(p.client_id.lower())
        principals.append(p if found is None else replace(p, link_state=found[0], partner_id=found[1]))
    return replace(document, principals=tuple(principals))
