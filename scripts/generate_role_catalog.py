"""Generate the built-in role catalog shipped as package data.

Reads the public reference files in ``reference/`` (in the repository; where each came from: ``reference/SOURCES.md``)
and writes ``components/partner_attribution/data/builtin_roles.json``:

* ``builtin-roles.tsv``: every Azure built-in role (name, role definition GUID).
  Source: easimon/azure-builtin-roles @ db0b2258 plus 5 tenant-level roles from the
  Microsoft Learn built-in roles index (see ``builtin-roles.SOURCE.md``).
* ``pal-eligible-roles.txt``: the roles Microsoft lists as eligible (or not) for
  partner earned credit, learn.microsoft.com/partner-center/billing/azure-roles-perms-pec
  (2022 copy, see ``SOURCES.md``).
* ``pal-name-check.md``: the 9 names on that page that differ from today's role names,
  matched by role definition GUID.

Run ``python scripts/generate_role_catalog.py`` after the reference files change; the
test suite fails while the committed catalog and the reference disagree.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from generated_file import write_or_check

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REFERENCE = PROJECT_ROOT / "reference"
DEFAULT_OUTPUT = PROJECT_ROOT / "components" / "partner_attribution" / "data" / "builtin_roles.json"

_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _read_builtin_roles(path: Path) -> list[tuple[str, str]]:
    rows = path.read_text(encoding="utf-8").splitlines()
    if rows[0].split("\t")[:2] != ["name", "id"]:
        raise SystemExit(f"{path}: unexpected header {rows[0]!r}")
    roles = []
    for line_no, row in enumerate(rows[1:], start=2):
        name, role_id = row.split("\t")[:2]
        if not _GUID.match(role_id):
            raise SystemExit(f"{path}:{line_no}: {role_id!r} is not a role definition GUID")
        roles.append((name, role_id))
    return roles


def _read_pal_sections(path: Path) -> dict[str, list[str]]:
    """Return {"eligible": [...names], "not-eligible": [...names]} from the PEC list."""
    sections: dict[str, list[str]] = {"eligible": [], "not-eligible": []}
    current: str | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("ELIGIBLE ("):
            current = "eligible"
        elif line.startswith("NOT ELIGIBLE ("):
            current = "not-eligible"
        elif line.startswith("FULL TABLE"):
            current = None
        elif current and "\t|" in line:
            sections[current].append(line.split("\t|")[0].strip())
    return sections


def _read_renames(path: Path) -> dict[str, str]:
    """PEC page name (case-folded) -> role definition GUID, from the name-check table."""
    renames = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and _GUID.match(cells[4]):
            renames[cells[2].casefold()] = cells[4]
    return renames


def build_catalog(reference: Path) -> dict[str, object]:
    roles = _read_builtin_roles(reference / "builtin-roles.tsv")
    sections = _read_pal_sections(reference / "pal-eligible-roles.txt")
    renames = _read_renames(reference / "pal-name-check.md")
    by_name = {name.casefold(): role_id for name, role_id in roles}

    status_by_id: dict[str, str] = {}
    for status, names in sections.items():
        for pec_name in names:
            role_id = by_name.get(pec_name.casefold()) or renames.get(pec_name.casefold())
            if role_id is None:
                raise SystemExit(f"PEC role {pec_name!r} matches no built-in role name or known rename")
            status_by_id[role_id] = status
    expected = len(sections["eligible"]) + len(sections["not-eligible"])
    if len(status_by_id) != expected:
        raise SystemExit(f"expected {expected} distinct PEC roles, matched {len(status_by_id)}")

    return {
        "_generated_by": "scripts/generate_role_catalog.py; do not edit by hand",
        "_sources": {
            "roles": "builtin-roles.tsv: easimon/azure-builtin-roles@db0b2258 (API dump 2026-08-22) "
            "+ 5 tenant-level roles from MicrosoftDocs/azure-docs built-in-roles.md@00a58329",
            "palEligibility": "pal-eligible-roles.txt: learn.microsoft.com/partner-center/billing/"
            "azure-roles-perms-pec (copy kvamseek/partner-center@85eb3c40, ms.date 11/08/2022); "
            "renamed roles matched by GUID per pal-name-check.md",
        },
        "roles": [{"name": name, "id": role_id, "pal": status_by_id.get(role_id, "unlisted")} for name, role_id in roles],
    }


def render(catalog: dict[str, object]) -> str:
    return json.dumps(catalog, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="exit 1 if the output file is out of date")
    args = parser.parse_args(argv)
    text = render(build_catalog(args.reference))
    return write_or_check(args.output, text, check=args.check, command="python scripts/generate_role_catalog.py")


if __name__ == "__main__":
    raise SystemExit(main())
