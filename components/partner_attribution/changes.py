"""What changed between two reports (``report --since``): links lost or re-pointed, roles added or removed, scopes that
stopped (or started) earning, customers that appeared or went. Pure: grants in, changes out.

An earlier report is read back from its JSON (the ``grants`` long table, :func:`grants_from_records`), so last week's
``report --format json`` is enough to say what to act on this week.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .attribution import AttributionFormatError
from .coverage import GRANT_COLUMNS, Grant, Standing, scope_tree

KINDS = ("customer removed", "link lost", "link re-pointed", "scope stopped earning", "role removed", "customer added",
         "role added", "link restored", "scope started earning")  # fmt: skip
"""Kinds of change, what to act on first first."""


@dataclass(frozen=True)
class Change:
    """One change since the earlier report."""

    customer: str
    kind: str
    """One of :data:`KINDS`."""
    subject: str
    """The scope, principal or role it is about."""
    before: str
    after: str

    @property
    def text(self) -> str:
        arrow = f": {self.before} → {self.after}" if self.before or self.after else ""
        return f"{self.customer}: {self.kind}: {self.subject}{arrow}"

    def to_json(self) -> dict[str, str]:
        return {"customer": self.customer, "kind": self.kind, "subject": self.subject, "before": self.before,
                "after": self.after}  # fmt: skip


def _grant_key(g: Grant) -> tuple[str, str, str, str, str]:
    return (g.scope.lower(), g.principal, g.role.lower(), g.delegation, g.access)


def _links(grants: Iterable[Grant]) -> dict[tuple[str, str], tuple[str, str]]:
    return {(g.delegation, g.principal): (g.link_state, g.linked_partner_id) for g in grants}


def _earning_scopes(grants: Sequence[Grant]) -> dict[str, str]:
    return {n.scope.lower(): n.scope for root in scope_tree(grants) for n in root.walk() if n.standing is Standing.EARNS}


def _link_text(state: tuple[str, str]) -> str:
    return f"linked to {state[1]}" if state[0] == "Active" and state[1] else (state[0] or "not reported")


def changes_between(before: Mapping[str, Sequence[Grant]], after: Mapping[str, Sequence[Grant]]) -> list[Change]:
    """Changes from ``before`` to ``after`` (customer name → its grants), what to act on first first."""
    changes: list[Change] = []
    for customer in sorted(set(before) | set(after)):
        if customer not in after:
            changes.append(Change(customer, "customer removed", customer, "", ""))
            continue
        if customer not in before:
            changes.append(Change(customer, "customer added", customer, "", ""))
            continue
        old, new = before[customer], after[customer]
        old_links, new_links = _links(old), _links(new)
        for key in sorted(set(old_links) & set(new_links)):
            was, now = old_links[key], new_links[key]
            who = f"{key[1]} ({key[0]})"
            was_linked, now_linked = was[0] == "Active", now[0] == "Active"
            if was_linked and not now_linked:
                changes.append(Change(customer, "link lost", who, _link_text(was), _link_text(now)))
            elif was_linked and now_linked and was[1] != now[1]:
                changes.append(Change(customer, "link re-pointed", who, _link_text(was), _link_text(now)))
            elif not was_linked and now_linked:
                changes.append(Change(customer, "link restored", who, _link_text(was), _link_text(now)))
        old_grants = {_grant_key(g): g for g in old}
        new_grants = {_grant_key(g): g for g in new}
        for grant_key in sorted(set(old_grants) - set(new_grants)):
            g = old_grants[grant_key]
            changes.append(Change(customer, "role removed", f"{g.principal}: {g.role} at {g.scope} ({g.delegation})", "", ""))
        for grant_key in sorted(set(new_grants) - set(old_grants)):
            g = new_grants[grant_key]
            changes.append(Change(customer, "role added", f"{g.principal}: {g.role} at {g.scope} ({g.delegation})", "", ""))
        old_earning, new_earning = _earning_scopes(old), _earning_scopes(new)
        for scope in sorted(set(old_earning) - set(new_earning)):
            changes.append(Change(customer, "scope stopped earning", old_earning[scope], "", ""))
        for scope in sorted(set(new_earning) - set(old_earning)):
            changes.append(Change(customer, "scope started earning", new_earning[scope], "", ""))
    order = {kind: index for index, kind in enumerate(KINDS)}
    return sorted(changes, key=lambda c: (order[c.kind], c.customer))


_STANDINGS = {s.label: s for s in Standing}


def grants_from_records(records: Any, where: str) -> list[tuple[str, Grant]]:
    """(customer, grant) pairs from an earlier report's ``grants`` long table; an error naming the record and column
    that is not what a report writes."""
    if not isinstance(records, list):
        raise AttributionFormatError(f"{where}: 'grants' must be a list of records")
    pairs = []
    for index, record in enumerate(records):
        if not isinstance(record, dict) or not all(column in record for column in GRANT_COLUMNS):
            missing = [c for c in GRANT_COLUMNS if not isinstance(record, dict) or c not in record]
            raise AttributionFormatError(f"{where}.grants[{index}]: missing {', '.join(missing)}")
        standing = _STANDINGS.get(record["standing"])
        if standing is None:
            raise AttributionFormatError(f"{where}.grants[{index}].standing: unknown {record['standing']!r}")
        pairs.append(
            (
                str(record["customer"]),
                Grant(
                    scope=str(record["scope"]),
                    principal=str(record["principal"]),
                    principal_id=str(record["principalId"]),
                    role=str(record["role"]),
                    pec_eligible=bool(record["pecEligible"]),
                    delegation=str(record["delegation"]),
                    access=str(record["access"]),
                    link_state=str(record["linkState"]),
                    linked_partner_id=str(record["linkedPartnerId"]),
                    expected_partner_id=str(record["partnerId"]),
                    standing=standing,
                    reason=str(record["reason"]),
                    fix=str(record["fix"]),
                    link_credential=str(record["linkCredential"]),
                ),
            )
        )
    return pairs
