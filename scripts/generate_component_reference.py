"""Generate ``docs/component-reference.md``: the components' inputs and outputs, the stack-output helpers and the
testing kit, from the typed classes' docstrings (as the Pulumi Registry's component pages list each input with its
type, default and meaning, and each output).

The source files are read, not imported: types are shown as they are written (a module's ``Literal`` aliases
expanded), defaults as written, meanings from the docstring under each field. A public field, output or method
without a docstring is an error: document it where it is declared, not here.

Run ``python scripts/generate_component_reference.py`` after changing a documented class; the test suite fails while
the committed page and the code disagree (``--check``).
"""

from __future__ import annotations

import argparse
import ast
import inspect
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from generated_file import write_or_check

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PACKAGE = PROJECT_ROOT / "components" / "partner_attribution"
DEFAULT_OUTPUT = PROJECT_ROOT / "docs" / "component-reference.md"


class UndocumentedError(Exception):
    """Public names without a docstring; the message lists them, each with its file and class."""


@dataclass(frozen=True)
class Member:
    """One documented name of a class: a field, an output or a method."""

    name: str
    type: str
    default: str | None
    """As written; None when required (or for an output or a method)."""
    doc: str


def _where(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


def _module(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _aliases(module: ast.Module) -> dict[str, str]:
    """Module-level ``Name = Literal[...]`` aliases, as the values they stand for."""
    aliases = {}
    for node in module.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Subscript)
            and ast.unparse(node.value.value) == "Literal"
        ):
            aliases[node.targets[0].id] = " | ".join(
                ast.unparse(e) for e in ast.walk(node.value.slice) if isinstance(e, ast.Constant)
            )
    return aliases


def _class(module: ast.Module, name: str, path: Path) -> ast.ClassDef:
    for node in module.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return node
    raise SystemExit(f"{path}: no class {name}")


def _docstring_after(body: list[ast.stmt], index: int) -> str | None:
    following = body[index + 1] if index + 1 < len(body) else None
    if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant) and isinstance(following.value.value, str):
        return inspect.cleandoc(following.value.value)
    return None


def _type(annotation: ast.expr, aliases: dict[str, str]) -> str:
    text = ast.unparse(annotation)
    for alias, value in aliases.items():
        text = text.replace(alias, value) if text == alias or text.startswith(f"{alias} ") else text
    return text


def _default(value: ast.expr | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, ast.Call) and ast.unparse(value.func) == "field":
        for keyword in value.keywords:
            if keyword.arg == "default_factory":
                return {"dict": "{}", "list": "[]"}.get(ast.unparse(keyword.value), ast.unparse(keyword.value) + "()")
            if keyword.arg == "default":
                return ast.unparse(keyword.value)
        return None
    return ast.unparse(value)


def fields(path: Path, class_name: str, missing: list[str]) -> list[Member]:
    """The annotated attributes of ``class_name`` in ``path`` (dataclass fields, or a component's outputs), each with
    the docstring under it; names without one are added to ``missing``."""
    module = _module(path)
    aliases = _aliases(module)
    cls = _class(module, class_name, path)
    members = []
    for index, node in enumerate(cls.body):
        if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name) or node.target.id.startswith("_"):
            continue
        doc = _docstring_after(cls.body, index)
        if doc is None:
            missing.append(f"{_where(path)}: {class_name}.{node.target.id}")
            doc = ""
        members.append(Member(node.target.id, _type(node.annotation, aliases), _default(node.value), doc))
    return members


def class_doc(path: Path, class_name: str) -> str:
    doc = ast.get_docstring(_class(_module(path), class_name, path))
    if not doc:
        raise UndocumentedError(f"{_where(path)}: class {class_name} has no docstring")
    return markdown(doc)


def _signature(function: ast.FunctionDef) -> str:
    arguments = ast.unparse(function.args)
    arguments = arguments.removeprefix("self, ").removeprefix("self").removeprefix("cls, ")
    returns = f" -> {ast.unparse(function.returns)}" if function.returns is not None else ""
    return f"({arguments}){returns}"


def methods(path: Path, class_name: str, missing: list[str]) -> list[Member]:
    """Public methods and properties of ``class_name``, with their signature and docstring."""
    cls = _class(_module(path), class_name, path)
    members = []
    for node in cls.body:
        if not isinstance(node, ast.FunctionDef) or (node.name.startswith("_") and node.name != "__init__"):
            continue
        doc = ast.get_docstring(node)
        if node.name == "__init__" and not doc:
            doc = "Make one; the arguments are described with the class."
        if not doc:
            missing.append(f"{_where(path)}: {class_name}.{node.name}")
            doc = ""
        is_property = any(ast.unparse(d) == "property" for d in node.decorator_list)
        kind = "property" if is_property else "constructor" if node.name == "__init__" else "method"
        signature = f"-> {ast.unparse(node.returns)}" if is_property and node.returns is not None else _signature(node)
        members.append(Member(node.name if node.name != "__init__" else class_name, signature, kind, doc))
    return members


def function(path: Path, name: str) -> tuple[str, str]:
    for node in _module(path).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            doc = ast.get_docstring(node)
            if not doc:
                raise UndocumentedError(f"{_where(path)}: {name} has no docstring")
            return f"{name}{_signature(node)}", markdown(doc)
    raise SystemExit(f"{path}: no function {name}")


_ROLE = re.compile(r":(?:class|meth|func|mod|data|attr):`~?(?P<target>[^`]+)`")
_SECTION = re.compile(r"^(Args|Raises|Returns):$")
_ENTRY = re.compile(r"^    (?P<name>[\w.*]+): (?P<text>.*)$")


def inline(text: str) -> str:
    """reST inline markup as markdown: ``literal`` and :role:`target` become code (``~`` keeps the last part)."""

    def role(match: re.Match[str]) -> str:
        target = match["target"]
        return f"`{target.rsplit('.', 1)[-1]}`" if match.group(0).count("~") else f"`{target.lstrip('.')}`"

    return _ROLE.sub(role, text).replace("``", "`")


def markdown(doc: str) -> str:
    """A docstring as markdown: inline markup, ``text::`` literal blocks as Python code blocks, and Google-style
    ``Args:``/``Raises:`` sections as lists."""
    out: list[str] = []
    lines = doc.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.endswith("::") and index + 1 < len(lines) and not lines[index + 1].strip():
            out.extend([inline(line[:-1]), "", "```python"])
            index += 2
            while index < len(lines) and (lines[index].startswith("    ") or not lines[index].strip()):
                out.append(lines[index][4:])
                index += 1
            while out and not out[-1].strip():
                out.pop()
            out.extend(["```", ""])
            continue
        if _SECTION.match(line):
            out.append(f"**{line[:-1]}**")
            out.append("")
            index += 1
            while index < len(lines) and lines[index].startswith("    "):
                entry = _ENTRY.match(lines[index])
                if entry:
                    out.append(f"- `{entry['name']}`: {inline(entry['text'])}")
                else:
                    out[-1] += " " + inline(lines[index].strip())
                index += 1
            continue
        out.append(inline(line))
        index += 1
    return "\n".join(out).strip()


def cell(text: str) -> str:
    """Markdown table cell: one line, pipes escaped, inline markup as markdown."""
    return inline(" ".join(text.split())).replace("|", "\\|")


def input_table(members: list[Member], column: str = "input") -> Iterator[str]:
    yield f"| {column} | type | default | meaning |"
    yield "|---|---|---|---|"
    for m in members:
        default = "required" if m.default is None else f"`{m.default}`"
        yield f"| `{m.name}` | `{cell(m.type)}` | {default} | {cell(m.doc)} |"


def output_table(members: list[Member]) -> Iterator[str]:
    yield "| output | type | meaning |"
    yield "|---|---|---|"
    for m in members:
        yield f"| `{m.name}` | `{cell(m.type)}` | {cell(m.doc)} |"


def member_table(members: list[Member]) -> Iterator[str]:
    yield "| member | signature | what it does |"
    yield "|---|---|---|"
    for m in members:
        yield f"| `{m.name}` ({m.default}) | `{cell(m.type)}` | {cell(m.doc.split(chr(10) + chr(10))[0])} |"


ARGS = PACKAGE / "args.py"
COMPONENT = PACKAGE / "component.py"
LIGHTHOUSE_ARGS = PACKAGE / "lighthouse" / "args.py"
LIGHTHOUSE_COMPONENT = PACKAGE / "lighthouse" / "component.py"
STACK_OUTPUTS = PACKAGE / "stack_outputs.py"
ATTRIBUTION = PACKAGE / "attribution.py"
FAKE_MODEL = PACKAGE / "testing" / "fake" / "model.py"
FAKE_SERVER = PACKAGE / "testing" / "fake" / "server.py"
PROVIDER_HOST = PACKAGE / "testing" / "provider_host.py"
ENGINE = PACKAGE / "offline" / "engine.py"


def render() -> str:
    """The whole page; raises :class:`UndocumentedError` listing every public name without a docstring."""
    missing: list[str] = []
    lines: list[str] = [
        "# Component reference",
        "",
        "<!-- Generated by scripts/generate_component_reference.py from the classes' docstrings; do not edit by hand. -->",
        "",
        "For partners who use the components in a Pulumi program of their own (Python). Install the package in the",
        "environment Pulumi runs (README, *Using the component in your own program*; a complete project:",
        "`examples/consumer/`). Import everything below from `partner_attribution` unless a module is named.",
        "",
    ]

    def component(title: str, import_line: str, component_file: Path, component_class: str) -> None:
        lines.extend([f"## {title}", "", f"`{import_line}`", "", class_doc(component_file, component_class), ""])
        lines.extend(["Outputs:", "", *output_table(fields(component_file, component_class, missing)), ""])

    def args(path: Path, class_name: str, module: str = "", column: str = "input") -> None:
        lines.extend([f"### {module}{class_name}", "", class_doc(path, class_name), ""])
        lines.extend([*input_table(fields(path, class_name, missing), column), ""])

    component(
        "DeliveryPrincipal",
        "DeliveryPrincipal(name: str, args: DeliveryPrincipalArgs, opts: pulumi.ResourceOptions | None = None)",
        COMPONENT,
        "DeliveryPrincipal",
    )
    args(ARGS, "DeliveryPrincipalArgs")
    args(ARGS, "RoleAssignmentArgs")
    args(ARGS, "FederatedCredentialArgs")
    args(ARGS, "LinkFederationArgs")
    lines.extend([*member_table([m for m in methods(ARGS, "LinkFederationArgs", missing) if m.name != "LinkFederationArgs"]), ""])
    lines.extend(["(`from partner_attribution.args import LinkFederationArgs, ExistingApplicationArgs`)", ""])
    args(ARGS, "ExistingApplicationArgs")

    component(
        "LighthouseDelegation",
        "LighthouseDelegation(name: str, args: LighthouseDelegationArgs, opts: pulumi.ResourceOptions | None = None)",
        LIGHTHOUSE_COMPONENT,
        "LighthouseDelegation",
    )
    args(LIGHTHOUSE_ARGS, "LighthouseDelegationArgs")
    args(LIGHTHOUSE_ARGS, "LighthouseAuthorizationArgs")
    args(LIGHTHOUSE_ARGS, "LighthouseEligibleAuthorizationArgs")
    args(LIGHTHOUSE_ARGS, "LighthouseApproverArgs")

    lines.extend(
        [
            "## Stack outputs: what `report`, `verify` and `plan` read",
            "",
            markdown(ast.get_docstring(_module(STACK_OUTPUTS)) or ""),
            "",
        ]
    )
    for name in ("attribution_output", "link_credentials_output"):
        signature, doc = function(STACK_OUTPUTS, name)
        lines.extend([f"### {name}", "", "```python", signature, "```", "", doc, ""])
    args(ATTRIBUTION, "WorkloadEntry")

    lines.extend(
        [
            "## Testing kit",
            "",
            "For your own tests of a program that uses the components (install the `testing` extra:",
            '`pip install "partner-attribution[testing]"`). What the fake models and where from: `docs/testing.md`.',
            "",
        ]
    )
    engine_signature, engine_doc = function(ENGINE, "evaluate")
    lines.extend(
        ["### partner_attribution.offline.engine.evaluate", "", "```python", engine_signature, "```", "", engine_doc, ""]
    )
    lines.extend([*member_table(methods(ENGINE, "Evaluation", missing)), ""])
    lines.extend(["### partner_attribution.testing.FakeAzure", "", class_doc(FAKE_SERVER, "FakeAzure"), ""])
    lines.extend([*member_table(methods(FAKE_SERVER, "FakeAzure", missing)), ""])
    for name in ("Fault", "FakeApp", "RecordedRequest"):
        args(FAKE_MODEL, name, module="partner_attribution.testing.", column="field")
    lines.extend(
        [
            "### partner_attribution.testing.provider_host.DynamicProviderHost",
            "",
            class_doc(PROVIDER_HOST, "DynamicProviderHost"),
            "",
        ]
    )
    lines.extend([*member_table(methods(PROVIDER_HOST, "DynamicProviderHost", missing)), ""])

    if missing:
        raise UndocumentedError("give these a docstring where they are declared:\n  " + "\n  ".join(missing))
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="exit 1 if the output file is out of date")
    options = parser.parse_args(argv)
    try:
        text = render()
    except UndocumentedError as exc:
        print(exc, file=sys.stderr)
        return 1
    return write_or_check(
        options.output, text, check=options.check, command="python scripts/generate_component_reference.py"
    )


if __name__ == "__main__":
    raise SystemExit(main())
