"""The repository stands alone: the public material it relies on is in ``reference/``, each file with where it came
from, and nothing else in the repository reads or cites a path outside it."""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "reference"
INDEX = REFERENCE / "SOURCES.md"

OUTSIDE_MENTIONS = re.compile(r"\.\./shared|shared/reference")
"""How the repository used to reach the reference folder beside it (gone since it is ``reference/``)."""
FILE_ANCHORED = re.compile(r"Path\(__file__\)\.resolve\(\)(?P<chain>\.parents\[(?P<index>\d+)\]|(?:\.parent\b)+)")
ROOT_PARENT = re.compile(r"\b\w*ROOT\.parent\b")
MARKDOWN_LINK = re.compile(r"\]\((?P<target>[^)\s#]+)(?:#[^)]*)?\)")
REFERENCE_CITATION = re.compile(r"(?<![\w/.-])reference/(?P<path>[\w./-]*[\w-])")


@cache
def tracked_files() -> tuple[Path, ...]:
    """Every file git tracks or would track (untracked but not ignored), outside ``reference/``, but this one (whose
    examples of what the guard sees would be found by it)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    paths = (ROOT / name for name in listed.split("\0") if name)
    return tuple(p for p in paths if p.is_file() and not p.is_relative_to(REFERENCE) and p != Path(__file__).resolve())


def text_of(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None


def test_every_reference_file_says_where_it_came_from() -> None:
    index = INDEX.read_text(encoding="utf-8")
    files = sorted(p.relative_to(REFERENCE).as_posix() for p in REFERENCE.rglob("*") if p.is_file())
    assert len(files) >= 30, files
    missing = [name for name in files if f"`{name}`" not in index and f"| {name} |" not in index]
    assert not missing, f"add these to reference/SOURCES.md with their source and retrieval date: {missing}"


def test_the_index_gives_a_retrieval_date_for_each_row() -> None:
    rows = [line for line in INDEX.read_text(encoding="utf-8").split("\n## ", 1)[0].splitlines() if line.startswith("| `")]
    assert len(rows) >= 15
    undated = [row for row in rows if not re.search(r"\| \d{4}-\d{2}-\d{2}[^|]*\|$", row)]
    assert not undated


def test_nothing_mentions_the_folder_beside_the_repository() -> None:
    changelog = ROOT / "CHANGELOG.md"
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in tracked_files()
        if path != changelog and (text := text_of(path)) is not None
        for number, line in enumerate(text.splitlines(), start=1)
        if OUTSIDE_MENTIONS.search(line)
    ]
    assert not offenders, f"cite reference/<path> instead: {offenders}"


def test_no_python_file_climbs_above_the_repository_root() -> None:
    offenders = []
    for path in tracked_files():
        if path.suffix != ".py" or (text := text_of(path)) is None:
            continue
        depth = len(path.relative_to(ROOT).parts) - 1  # parents[depth] of the file is the root
        for match in FILE_ANCHORED.finditer(text):
            index = int(match["index"]) if match["index"] is not None else match["chain"].count(".parent") - 1
            if index > depth:
                offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
        offenders += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in ROOT_PARENT.finditer(text)]
    assert not offenders, f"these read outside the repository: {offenders}"


def test_markdown_links_stay_inside_the_repository() -> None:
    offenders = []
    for path in tracked_files():
        if path.suffix != ".md" or path.name == "CHANGELOG.md" or (text := text_of(path)) is None:
            continue
        for match in MARKDOWN_LINK.finditer(text):
            target = match["target"]
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (path.parent / target).resolve().is_relative_to(ROOT):
                offenders.append(f"{path.relative_to(ROOT)}: {target}")
    assert not offenders


def test_every_citation_of_reference_names_a_file_that_exists() -> None:
    dangling = sorted(
        {
            f"{path.relative_to(ROOT)}: reference/{match['path']}"
            for path in tracked_files()
            if path.suffix in {".py", ".md", ".sh", ".yaml", ".yml", ".toml"} and (text := text_of(path)) is not None
            for match in REFERENCE_CITATION.finditer(text)
            if not (REFERENCE / match["path"]).exists()
        }
    )
    assert not dangling


@pytest.mark.parametrize(
    ("line", "outside"),
    [
        ("see ../shared/reference/README.md", True),
        ("REFERENCE = ROOT / 'shared/reference'", True),
        ("see reference/README.md", False),
    ],
)
def test_the_guard_sees_the_old_citations(line: str, outside: bool) -> None:
    assert bool(OUTSIDE_MENTIONS.search(line)) is outside


def test_the_guard_sees_a_climb_out_of_the_root() -> None:
    assert FILE_ANCHORED.search("X = Path(__file__).resolve().parents[2] / 'shared'")["index"] == "2"  # type: ignore[index]
    assert FILE_ANCHORED.search("X = Path(__file__).resolve().parent.parent.parent")["chain"].count(".parent") == 3  # type: ignore[index]
    assert ROOT_PARENT.search("DEFAULT = PROJECT_ROOT.parent / 'shared'")
