"""The executables the engine starts for the fake plugins: ``pulumi-resource-<name>``, each running
``python -m partner_attribution.testing.plugins <name>`` with the interpreter that has this package."""

from __future__ import annotations

import shlex
import sys
from importlib.metadata import version
from pathlib import Path

PLUGINS = {"azuread": "pulumi_azuread", "azure-native": "pulumi_azure_native"}
"""Plugin name → the Python SDK whose version the plugin reports (the version that SDK asks the engine for)."""


def plugin_version(name: str) -> str:
    """The version the installed Python SDK of ``name`` requests, e.g. ``6.11.1`` for azuread."""
    return version(PLUGINS[name])


def write_launchers(folder: Path, python: str = sys.executable) -> list[Path]:
    """Write ``pulumi-resource-azuread`` and ``pulumi-resource-azure-native`` into ``folder``; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in PLUGINS:
        path = folder / f"pulumi-resource-{name}"
        path.write_text(
            "#!/bin/sh\n"
            f"# A fake {name} plugin (partner_attribution.testing.plugins), backed by the fake Azure.\n"
            # -I: the plugin is this package's, whatever PYTHONPATH the program runs with
            f'exec {shlex.quote(python)} -u -I -m partner_attribution.testing.plugins {name} "$@"\n'
        )
        path.chmod(0o755)
        written.append(path)
    return written
