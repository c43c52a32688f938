"""``python -m partner_attribution.testing.plugins <azuread|azure-native> <engine address> ...``: serve one fake
provider plugin over Pulumi's provider protocol (what its ``pulumi-resource-<name>`` launcher runs)."""

from __future__ import annotations

import sys

from pulumi.provider.experimental.server import main as serve

from .launchers import plugin_version


def run(argv: list[str]) -> None:
    """Serve the plugin named by ``argv[0]``; the rest is what the engine passed."""
    if not argv or argv[0] not in ("azuread", "azure-native"):
        sys.exit("usage: python -m partner_attribution.testing.plugins azuread|azure-native ENGINE_ADDRESS")
    name, rest = argv[0], argv[1:]
    if name == "azuread":
        from .azuread import AzureAdProvider

        provider: object = AzureAdProvider()
    else:
        from .azure_native import AzureNativeProvider

        provider = AzureNativeProvider()
    sys.argv = [sys.argv[0], *rest]  # the host parses the engine's arguments from sys.argv
    serve(rest, plugin_version(name), provider)  # type: ignore[arg-type]


if __name__ == "__main__":
    run(sys.argv[1:])
