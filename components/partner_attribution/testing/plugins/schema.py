"""A permissive schema for a fake plugin, read from the installed Python SDK of its package: every resource type
the SDK declares, with every property it names (typed ``Any``). The YAML language host needs a package's schema to
resolve ``type: azuread:Application``; Python programs never ask for it.

The SDK's files are scanned as text (no import): a resource's token is the first argument of its
``super().__init__('<token>', ...)``, its properties are the names of its ``@pulumi.getter``s.
"""

from __future__ import annotations

import json
import re
from importlib.util import find_spec
from pathlib import Path

from .launchers import PLUGINS, plugin_version

_TOKEN = re.compile(r"__init__\(\s*'([a-z-]+:[A-Za-z0-9/_.]+:[A-Za-z0-9]+)'", re.S)
_NAMED = re.compile(r'@pulumi\.getter\(name="([A-Za-z0-9_$]+)"\)')
_PLAIN = re.compile(r"@pulumi\.getter\s*\n\s*def ([a-z0-9_]+)\(")
ANY = {"$ref": "pulumi.json#/Any"}


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)


def schema(name: str) -> str:
    """The schema of plugin ``name`` (``azuread`` or ``azure-native``) as JSON text."""
    spec = find_spec(PLUGINS[name])
    assert spec is not None and spec.origin is not None, f"{PLUGINS[name]} is not installed"
    root = Path(spec.origin).parent
    resources: dict[str, dict[str, object]] = {}
    for path in root.rglob("*.py"):
        text = path.read_text(errors="replace")
        match = _TOKEN.search(text)
        if match is None or "pulumi.CustomResource" not in text:
            continue
        names = set(_NAMED.findall(text)) | {_camel(n) for n in _PLAIN.findall(text)}
        properties = {n: ANY for n in sorted(names)}
        resources[match.group(1)] = {"inputProperties": properties, "properties": properties}
    document = {
        "name": name,
        "version": plugin_version(name),
        "meta": {"moduleFormat": "(.*)(?:/[^/]*)"},
        "resources": resources,
    }
    return json.dumps(document)
