"""The PAL link a Python program declares: the plugin's ``PartnerAdminLink``, moved from the dynamic resource.

Releases 0.1 and 0.2 declared a Python program's link as a dynamic resource
(:data:`~partner_attribution.naming.DYNAMIC_PAL_LINK_TYPE`). :class:`ProgramPartnerAdminLink` declares the plugin's
custom resource (:data:`~partner_attribution.naming.PAL_LINK_TYPE`) under the same name and parent, with an alias
from the old type, so the engine moves an existing link to the plugin instead of creating a new one and deleting
the old, which would remove the customer's link:

* the provider changes too (``pulumi-python`` to ``partner-attribution``): the engine asks the new provider's
  DiffConfig, which never asks for a replacement (:meth:`PartnerAttributionProvider.diff_config`);
* the plugin's Check and Diff read the dynamic state (snake_case keys, ``__provider``) as what it is, and find no
  change (:mod:`.link`), so the step is ``same``: nothing is called at Microsoft.

``tests/engine/test_upgrade.py`` deploys with releases 0.1.0 and 0.2.0 and upgrades under the real engine.

Before the first link, the program checks that the engine will find the plugin (:mod:`.locate`) and otherwise
stops with what to add to ``Pulumi.yaml``; under Pulumi's mocks (``partner-attribution plan``, unit tests) no
plugin is needed and nothing is checked.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pulumi
import yaml
from pulumi.runtime import mocks, settings

from ..naming import DYNAMIC_PAL_LINK_TYPE
from ..partner_link import PartnerAdminLinkArgs
from .link import PartnerAdminLink
from .locate import PluginNotFoundError, cli_path_seen_from_program, problem, pulumi_home

PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")


def _under_mocks() -> bool:
    return isinstance(settings.SETTINGS.monitor, mocks.MockMonitor)


def project_folder() -> Path | None:
    """The folder of the running program's ``Pulumi.yaml``, as the Python language host gives it (``--root_directory``,
    ``pulumi.get_root_directory()``); None when no host gave one (an inline Automation API program: its project
    file may be anywhere, and the engine's own error applies)."""
    folder = settings.get_root_directory()
    if folder and any((Path(folder) / name).is_file() for name in PROJECT_FILES):
        return Path(folder)
    return None


@cache
def _check_plugin(folder: Path) -> None:
    file = next(folder / name for name in PROJECT_FILES if (folder / name).is_file())
    project = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    found = problem(folder, project, cli_path_seen_from_program(os.environ, project), pulumi_home(os.environ))
    if found:
        raise PluginNotFoundError(found)


def require_plugin() -> None:
    """Stop the program, before it declares a link, when the engine would not find the plugin (:mod:`.locate`)."""
    if _under_mocks():
        return
    folder = project_folder()
    if folder is not None:
        _check_plugin(folder)


class ProgramPartnerAdminLink(PartnerAdminLink):
    """The PAL link of a Python program's :class:`~partner_attribution.component.DeliveryPrincipal`: the plugin's
    custom resource, aliased from the dynamic resource of releases 0.1 and 0.2 (same name and parent)."""

    def __init__(self, name: str, args: PartnerAdminLinkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        require_plugin()
        moved = pulumi.ResourceOptions(aliases=[pulumi.Alias(type_=DYNAMIC_PAL_LINK_TYPE)])
        super().__init__(name, args, pulumi.ResourceOptions.merge(opts, moved))
