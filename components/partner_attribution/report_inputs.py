"""Where the report's attribution documents come from: files, folders of files, or the stacks of a Pulumi backend;
and the optional extras: a verification's live link states, an earlier report for ``--since``.

Each document is ``pulumi stack output --json`` (or its ``attribution`` value). From a backend, the stacks are listed
and their outputs read with the Pulumi CLI through the Automation API's command runner
(:class:`pulumi.automation.PulumiCommand`), with the arguments ``LocalWorkspace.list_stacks(include_all=True)`` and
``LocalWorkspace.stack_outputs`` use: ``stack ls --json --all`` and ``stack output --json --stack <name>``. The report
reads only the masked read (never ``--show-secrets``): the attribution output holds no secret, so the report needs no
right to decrypt the stack's secrets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .attribution import MAX_DOCUMENT_BYTES, AttributionDocument, AttributionFormatError
from .changes import grants_from_records
from .coverage import Customer, Grant, coverage_of, grants_of
from .json_files import JsonFileError, parse_json, read_json_file


class ReportSourceError(ValueError):
    """A source of documents that cannot be read; the message names it and what to do."""


@dataclass(frozen=True)
class SourcedDocument:
    """A document and who it is about."""

    customer: Customer
    document: AttributionDocument


def _load_json(path: Path) -> Any:
    try:
        return read_json_file(path, MAX_DOCUMENT_BYTES)
    except JsonFileError as exc:
        raise ReportSourceError(str(exc)) from None


def _document(value: Any, where: str) -> AttributionDocument:
    try:
        return AttributionDocument.from_stack_output(value)
    except AttributionFormatError as exc:
        raise ReportSourceError(f"{where}: {exc}") from None


def document_files(paths: Sequence[Path]) -> list[Path]:
    """The JSON files named, a folder standing for the ``*.json`` files in it (sorted); an error for a path that
    is neither, or a folder with no JSON file."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.glob("*.json") if p.is_file())
            if not found:
                raise ReportSourceError(f"{path}: no .json file in this folder (save each stack's 'pulumi stack output --json')")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        elif path.exists():
            raise ReportSourceError(f"{path} is not a regular file; give saved 'pulumi stack output --json' files or a folder")
        else:
            raise ReportSourceError(f"{path} not found")
    return files


def read_document_files(paths: Sequence[Path]) -> list[SourcedDocument]:
    """One document per file; the customer is named after the file (its name without ``.json``)."""
    return [SourcedDocument(Customer(f.stem, "", str(f)), _document(_load_json(f), str(f))) for f in document_files(paths)]


def read_backend_stacks(pulumi_root: str | None = None, cwd: str = ".", env: dict[str, str] | None = None) -> tuple[
    list[SourcedDocument], list[str]
]:  # fmt: skip
    """Every stack of the logged-in Pulumi backend that has an ``attribution`` output, and the names of those that
    have none (skipped). ``pulumi_root`` is where the CLI is installed (default: ``pulumi`` on PATH)."""
    import subprocess

    from pulumi.automation import CommandError, PulumiCommand

    try:
        command = PulumiCommand(root=pulumi_root, skip_version_check=True)
    except (OSError, subprocess.CalledProcessError) as exc:  # the constructor runs 'pulumi version'
        raise ReportSourceError(
            f"the Pulumi CLI is needed to read a backend's stacks ({exc}); install it, or give the saved outputs as files"
        ) from None
    environment = dict(env or {})

    def run(args: list[str]) -> Any:
        try:
            result = command.run(args, cwd, environment)
        except CommandError as exc:
            raise ReportSourceError(f"pulumi {' '.join(args)} failed: {str(exc).strip()[:500]}") from None
        try:
            return parse_json((result.stdout or "null").encode("utf-8"), f"pulumi {' '.join(args)}")
        except JsonFileError as exc:
            raise ReportSourceError(str(exc)) from None

    stacks = run(["stack", "ls", "--json", "--all"])
    if not isinstance(stacks, list):
        raise ReportSourceError("pulumi stack ls --json --all: expected a list of stacks")
    documents: list[SourcedDocument] = []
    skipped: list[str] = []
    for entry in stacks:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str):
            continue
        outputs = run(["stack", "output", "--json", "--stack", name])
        if not isinstance(outputs, dict) or "attribution" not in outputs:
            skipped.append(name)
            continue
        short = name.rsplit("/", 1)[-1]
        documents.append(SourcedDocument(Customer(short, name, "pulumi backend"), _document(outputs, f"stack {name}")))
    return documents, skipped


def read_verified(path: Path) -> dict[str, tuple[str, str]]:
    """Live link states from ``partner-attribution verify --format json``: client ID (lower case) → (link state,
    partner ID). ``ok`` and ``wrong-partner`` are active links to the partner ID found; ``missing`` is no link;
    ``error`` could not be checked and is left out (the document's state stands)."""
    value = _load_json(path)
    results = value.get("results") if isinstance(value, dict) else None
    if not isinstance(results, list):
        raise ReportSourceError(f"{path}: expected the output of 'partner-attribution verify --format json'")
    states: dict[str, tuple[str, str]] = {}
    for index, r in enumerate(results):
        if not isinstance(r, dict) or not isinstance(r.get("clientId"), str) or not isinstance(r.get("status"), str):
            raise ReportSourceError(f"{path}: results[{index}] has no clientId or status")
        if r["status"] in ("ok", "wrong-partner"):
            states[r["clientId"].lower()] = ("Active", str(r.get("actualPartnerId") or ""))
        elif r["status"] == "missing":
            states[r["clientId"].lower()] = ("NotLinked", "")
    return states


def read_earlier(paths: Sequence[Path]) -> dict[str, list[Grant]]:
    """The grants of an earlier run, per customer: an earlier ``report --format json`` (one file with ``grants``),
    or the documents it was made from (files or folders)."""
    if len(paths) == 1 and paths[0].is_file():
        value = _load_json(paths[0])
        if isinstance(value, dict) and "grants" in value:
            try:
                pairs = grants_from_records(value["grants"], str(paths[0]))
            except AttributionFormatError as exc:
                raise ReportSourceError(str(exc)) from None
            earlier: dict[str, list[Grant]] = {}
            for name in customer_names(value):
                earlier.setdefault(name, [])
            for name, grant in pairs:
                earlier.setdefault(name, []).append(grant)
            return earlier
    return {d.customer.name: grants_of(d.document) for d in read_document_files(paths)}


def customer_names(report_json: dict[str, Any]) -> list[str]:
    """The customers an earlier report covered (also those with no grant)."""
    customers = report_json.get("customers")
    if isinstance(customers, list):
        return [str(c["customer"]) for c in customers if isinstance(c, dict) and "customer" in c]
    headline = report_json.get("headline")
    if isinstance(headline, dict) and "customer" in headline:
        return [str(headline["customer"])]
    return []


def current_grants(documents: Sequence[SourcedDocument]) -> dict[str, list[Grant]]:
    """This run's grants per customer, for :func:`~partner_attribution.changes.changes_between`."""
    return {d.customer.name: coverage_of(d.document, d.customer).grants for d in documents}
