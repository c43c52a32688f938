"""Fake ``azuread`` and ``azure-native`` provider plugins for the real Pulumi engine, backed by the fake Azure.

The real plugins cannot run where Azure is not reachable (and can't be built here); these serve the same
resource types over Pulumi's provider protocol. The types this project declares live in the fake's Microsoft
Graph and Azure Resource Manager (:class:`~partner_attribution.testing.FakeAzure`), so the PAL link signs in as the
principal the fake ``azuread`` made; any other type is accepted generically (inputs become outputs, an ID is made),
so a whole landing-zone program runs. What each plugin was configured with is kept in
``FakeAzure.provider_configurations``.

:func:`~.launchers.write_launchers` writes the ``pulumi-resource-azuread`` and ``pulumi-resource-azure-native``
executables the engine starts (put their folder first on ``PATH``).
"""

from .launchers import PLUGINS, plugin_version, write_launchers

__all__ = ["PLUGINS", "plugin_version", "write_launchers"]
