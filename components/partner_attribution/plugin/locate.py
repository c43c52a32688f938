"""Where the Pulumi engine finds the plugin for a Python project, and a clear error when it would not.

The plugin is the console script ``pulumi-resource-partner-attribution`` that installing the package puts in the
virtualenv's ``bin`` folder. The engine looks for ``pulumi-resource-<name>`` (pulumi/pulumi v3.276.0,
``getPluginInfoAndPath`` in ``sdk/go/common/workspace/plugins.go``) in this order: the folders the project declares
in ``Pulumi.yaml`` under ``plugins: providers:`` (``name``, ``path``: a folder, relative to the project), then the
CLI's ``PATH``, then its plugin cache (``$PULUMI_HOME/plugins``). The Python language host runs the program with
the project's ``virtualenv`` activated but never changes the CLI's own ``PATH``, so a virtualenv's ``bin`` is not
where the engine looks unless ``Pulumi.yaml`` says so (``reference/pulumi-engine/FACTS.md``)::

    plugins:
      providers:
        - name: partner-attribution
          path: .venv/bin
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pulumi.errors import RunError

PLUGIN_NAME = "partner-attribution"
"""The plugin's name, as ``Pulumi.yaml``'s ``plugins: providers:`` names it."""
PLUGIN_EXECUTABLE = f"pulumi-resource-{PLUGIN_NAME}"
"""The console script the engine starts."""


class PluginNotFoundError(RunError):
    """The Pulumi engine would not find the plugin: the message says where it looked and what to add (a
    :class:`pulumi.RunError`: the program stops with the message alone, no stack)."""


def installed_folder() -> Path:
    """The folder of this interpreter's console scripts: where installing the package put the plugin."""
    return Path(sys.executable).parent


def declared_folder(project_dir: Path, project: Mapping[str, Any]) -> Path | None:
    """The folder ``Pulumi.yaml`` (``project``, read from ``project_dir``) declares for the plugin, made absolute;
    None when it declares none."""
    plugins = project.get("plugins") or {}
    for entry in (plugins.get("providers") or []) if isinstance(plugins, Mapping) else []:
        if isinstance(entry, Mapping) and entry.get("name") == PLUGIN_NAME and entry.get("path"):
            return (project_dir / str(entry["path"])).resolve()
    return None


def with_declared_folder(project: Mapping[str, Any], folder: Path) -> dict[str, Any]:
    """``project`` (a ``Pulumi.yaml``'s content) with the plugin's folder set to ``folder`` (absolute), the other
    plugins kept."""
    plugins = dict(project.get("plugins") or {})
    providers = [p for p in plugins.get("providers") or [] if not (isinstance(p, Mapping) and p.get("name") == PLUGIN_NAME)]
    plugins["providers"] = [*providers, {"name": PLUGIN_NAME, "path": str(folder)}]
    return {**project, "plugins": plugins}


def copied_project(project_dir: Path, project: Mapping[str, Any]) -> dict[str, Any]:
    """``project`` (the ``Pulumi.yaml`` in ``project_dir``) for a copy in another folder: the plugin's folder, when
    declared, made absolute, so the copy finds the same plugin."""
    declared = declared_folder(project_dir, project)
    return dict(project) if declared is None else with_declared_folder(project, declared)


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _cached(pulumi_home: Path) -> bool:
    return any(_executable(d / PLUGIN_EXECUTABLE) for d in (pulumi_home / "plugins").glob(f"resource-{PLUGIN_NAME}-v*"))


def _suggested_path(project_dir: Path) -> str:
    folder = installed_folder()
    try:
        return str(folder.relative_to(project_dir.resolve()))
    except ValueError:
        return str(folder)


def problem(project_dir: Path, project: Mapping[str, Any], cli_path: str, pulumi_home: Path) -> str | None:
    """Why the engine, run for the project in ``project_dir`` with ``PATH`` = ``cli_path``, would not find the
    plugin; None when it would."""
    declared = declared_folder(project_dir, project)
    if declared is not None:
        if _executable(declared / PLUGIN_EXECUTABLE):
            return None
        return (
            f"{project_dir / 'Pulumi.yaml'} declares the folder {declared} for the {PLUGIN_NAME} plugin "
            f"(plugins: providers:), which has no {PLUGIN_EXECUTABLE}: install the package into that virtualenv "
            f"(pip install partner-attribution), or set the path to the bin folder of the virtualenv it is installed in"
        )
    if shutil.which(PLUGIN_EXECUTABLE, path=cli_path) or _cached(pulumi_home):
        return None
    return (
        f"the Pulumi engine can't find the {PLUGIN_NAME} plugin ({PLUGIN_EXECUTABLE}, installed with the package "
        f"into the virtualenv's bin folder, which is not on the Pulumi CLI's PATH). Declare it in "
        f"{project_dir / 'Pulumi.yaml'}:\n\nplugins:\n  providers:\n    - name: {PLUGIN_NAME}\n"
        f"      path: {_suggested_path(project_dir)}\n"
    )


def host_activates_a_virtualenv(project: Mapping[str, Any]) -> bool:
    """Whether Pulumi's Python language host runs this project's program in a virtualenv it activates: with the
    ``uv`` or ``poetry`` toolchain, or with ``pip`` (the default) when ``runtime.options.virtualenv`` is set (pulumi/pulumi
    v3.276.0 ``sdk/python/toolchain``: ``pip.go``, ``uv.go``, ``poetry.go``, each ``Command``)."""
    runtime = project.get("runtime")
    options = runtime.get("options") if isinstance(runtime, Mapping) else None
    options = options if isinstance(options, Mapping) else {}
    toolchain = str(options.get("toolchain") or "pip")
    return toolchain in ("uv", "poetry") or bool(options.get("virtualenv"))


def cli_path_seen_from_program(environ: Mapping[str, str], project: Mapping[str, Any]) -> str:
    """The CLI's ``PATH`` as a program run by the Python language host can tell it: when the host activates the
    project's virtualenv (:func:`host_activates_a_virtualenv`) it puts the virtualenv's ``bin`` in front of the CLI's
    ``PATH`` and sets ``VIRTUAL_ENV`` (``ActivateVirtualEnv`` in ``sdk/python/toolchain/toolchain.go``), so that first
    entry is left out; a virtualenv the user activated before running ``pulumi`` is on the CLI's ``PATH`` too."""
    entries = environ.get("PATH", "").split(os.pathsep)
    virtual_env = environ.get("VIRTUAL_ENV")
    host_added = str(Path(virtual_env) / ("Scripts" if os.name == "nt" else "bin")) if virtual_env else None
    if entries and host_added and entries[0] == host_added and host_activates_a_virtualenv(project):
        entries = entries[1:]
    return os.pathsep.join(entries)


def pulumi_home(environ: Mapping[str, str]) -> Path:
    """``$PULUMI_HOME``, else ``~/.pulumi``: where the CLI keeps its plugin cache."""
    return Path(environ.get("PULUMI_HOME") or Path.home() / ".pulumi")
