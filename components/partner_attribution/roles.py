"""The Azure built-in role catalog and partner-earned-credit (PAL) eligibility.

The catalog is package data generated from public reference files by
``scripts/generate_role_catalog.py``; see ``data/builtin_roles.json`` for sources.
Only built-in roles on Microsoft's partner-earned-credit list earn PAL credit
(learn.microsoft.com/partner-center/billing/azure-roles-perms-pec). Reader is listed as
not eligible; custom roles are not listed, so they are treated as not eligible.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from importlib import resources

from .azure_ids import GUID_PATTERN

ROLE_DEFINITION_ID_PATTERN = re.compile(
    r"^(?P<prefix>(/subscriptions/[^/]+)?)/providers/Microsoft\.Authorization/roleDefinitions/(?P<guid>[^/]+)\Z",
    re.IGNORECASE,
)
PRIVILEGED_ROLE_IDS = frozenset(
    {
        "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",  # Owner
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",  # User Access Administrator
    }
)
"""Roles that can grant access to others; a delivery principal needs an explicit acknowledgement to hold them."""


class PalEligibility(str, Enum):
    """How Microsoft's partner-earned-credit list treats a role."""

    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not-eligible"
    """Listed by Microsoft as not eligible (Reader and other read-only roles)."""
    UNLISTED = "unlisted"
    """A built-in role missing from the list: no credit is documented for it."""
    CUSTOM = "custom"
    """A custom role: the list covers built-in roles only."""


@dataclass(frozen=True)
class Role:
    """A role definition as the product sees it."""

    name: str
    """Built-in display name, or the GUID for a custom role."""
    guid: str
    """Role definition GUID, lower case."""
    pal: PalEligibility

    @property
    def pal_eligible(self) -> bool:
        return self.pal is PalEligibility.ELIGIBLE

    @property
    def built_in(self) -> bool:
        return self.pal is not PalEligibility.CUSTOM

    @property
    def privileged(self) -> bool:
        return self.guid in PRIVILEGED_ROLE_IDS


class UnknownRoleError(ValueError):
    """A role reference that is neither a built-in role name nor a role definition GUID or ID."""

    def __init__(self, reference: str, suggestions: list[str]) -> None:
        self.reference = reference
        self.suggestions = suggestions
        hint = f"did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        super().__init__(
            f"{reference!r} is not an Azure built-in role name"
            + (f"; {hint}" if hint else "")
            + " For a custom role give its role definition GUID or ID."
        )


class RoleCatalog:
    """Look up built-in roles by name (case-insensitive) or by role definition GUID or ID."""

    def __init__(self, roles: list[Role]) -> None:
        self._by_name = {role.name.casefold(): role for role in roles}
        self._by_guid = {role.guid: role for role in roles}
        self._names = [role.name for role in roles]

    @classmethod
    def load(cls) -> RoleCatalog:
        raw = json.loads(resources.files(__package__).joinpath("data/builtin_roles.json").read_text("utf-8"))
        return cls([Role(r["name"], r["id"].lower(), PalEligibility(r["pal"])) for r in raw["roles"]])

    def __len__(self) -> int:
        return len(self._by_guid)

    def resolve(self, reference: str) -> Role:
        """Return the role a configuration names.

        ``reference`` is a built-in role name (any letter case), a role definition GUID, or a
        role definition ID (``/providers/Microsoft.Authorization/roleDefinitions/<guid>``, with or
        without a ``/subscriptions/<id>`` prefix). GUIDs that are not built-in are custom roles.

        Raises:
            UnknownRoleError: the name matches no built-in role.
            ValueError: a role definition ID whose last segment is not a GUID.
        """
        text = reference.strip()
        match = ROLE_DEFINITION_ID_PATTERN.match(text)
        if match:
            if not GUID_PATTERN.match(match["guid"]):
                raise ValueError(f"{reference!r} ends in {match['guid']!r}, which is not a role definition GUID")
            text = match["guid"]
        elif text.startswith("/"):
            raise ValueError(
                f"{reference!r} is not a role definition ID; expected "
                "/providers/Microsoft.Authorization/roleDefinitions/<guid> or a built-in role name"
            )
        if GUID_PATTERN.match(text):
            guid = text.lower()
            return self._by_guid.get(guid) or Role(name=guid, guid=guid, pal=PalEligibility.CUSTOM)
        role = self._by_name.get(text.casefold())
        if role is None:
            raise UnknownRoleError(reference, self.suggest(text))
        return role

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """The built-in role names closest to ``name``."""
        folded = {n.casefold(): n for n in self._names}
        return [folded[m] for m in difflib.get_close_matches(name.casefold(), list(folded), n=limit, cutoff=0.6)]


@lru_cache(maxsize=1)
def builtin_roles() -> RoleCatalog:
    """The shared, lazily loaded catalog of Azure built-in roles."""
    return RoleCatalog.load()
