"""docs/component-reference.md is generated from the typed classes' docstrings and stays in step with the code."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from conftest import PROJECT_ROOT
from partner_attribution import (
    DeliveryPrincipal,
    DeliveryPrincipalArgs,
    LighthouseDelegation,
    LighthouseDelegationArgs,
    RoleAssignmentArgs,
)
from partner_attribution.testing import Fault

SCRIPT = PROJECT_ROOT / "scripts" / "generate_component_reference.py"
PAGE = PROJECT_ROOT / "docs" / "component-reference.md"


@pytest.fixture(scope="module")
def generator() -> Iterator[ModuleType]:
    """The generator loaded as ``python scripts/generate_component_reference.py`` runs it: its folder on sys.path
    (it imports the scripts' shared ``generated_file``)."""
    sys.path.insert(0, str(SCRIPT.parent))
    spec = importlib.util.spec_from_file_location("generate_component_reference", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module by name
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(SCRIPT.parent))


def test_the_page_is_up_to_date() -> None:
    result = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def cells(line: str) -> list[str]:
    """A markdown table row's cells (escaped pipes stay in their cell)."""
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]


def section(title: str) -> str:
    text = PAGE.read_text(encoding="utf-8")
    start = text.index(f"\n### {title}\n") if f"\n### {title}\n" in text else text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    following = text.find("\n### ", start + 1)
    ends = [e for e in (end, following) if e != -1]
    return text[start : min(ends) if ends else len(text)]


@pytest.mark.parametrize("args_type", [DeliveryPrincipalArgs, RoleAssignmentArgs, LighthouseDelegationArgs, Fault])
def test_every_input_is_listed_with_its_real_default(args_type: type) -> None:
    title = args_type.__name__ if args_type is not Fault else "partner_attribution.testing.Fault"
    rows = {cells(line)[0].strip("`"): cells(line)[2] for line in section(title).splitlines() if line.startswith("| `")}
    for field in dataclasses.fields(args_type):
        assert field.name in rows, f"{args_type.__name__}.{field.name} is missing"
        if field.default is not dataclasses.MISSING:
            assert rows[field.name] == f"`{field.default!r}`", field.name
        elif field.default_factory is not dataclasses.MISSING:
            assert rows[field.name] == f"`{field.default_factory()!r}`", field.name
        else:
            assert rows[field.name] == "required", field.name
    assert len(rows) == len(dataclasses.fields(args_type))


@pytest.mark.parametrize("component", [DeliveryPrincipal, LighthouseDelegation])
def test_every_output_is_listed(component: type) -> None:
    rows = {cells(line)[0].strip("`") for line in section(component.__name__).splitlines() if line.startswith("| `")}
    declared = {name for name in component.__annotations__ if not name.startswith("_")}
    assert rows == declared


def test_an_undocumented_field_is_an_error_naming_it(generator: ModuleType, tmp_path: Path) -> None:
    source = tmp_path / "args.py"
    source.write_text('class Args:\n    """Doc."""\n\n    documented: str\n    """Yes."""\n    bare: int = 3\n')
    missing: list[str] = []
    members = generator.fields(source, "Args", missing)
    assert [(m.name, m.type, m.default, m.doc) for m in members] == [
        ("documented", "str", None, "Yes."),
        ("bare", "int", "3", ""),
    ]
    assert missing == [f"{source}: Args.bare"]


def test_docstrings_become_markdown(generator: ModuleType) -> None:
    doc = (
        "Uses :class:`~partner_attribution.DeliveryPrincipal` and ``x``::\n\n    code()\n\nArgs:\n"
        "    name: the name,\n        over two lines.\n"
    )
    assert generator.markdown(doc) == (
        "Uses `DeliveryPrincipal` and `x`:\n\n```python\ncode()\n```\n\n**Args**\n\n- `name`: the name, over two lines."
    )
    assert generator.cell("a | b\n c") == "a \\| b c"
