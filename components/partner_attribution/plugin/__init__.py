"""The Pulumi plugin ``partner-attribution``: the package for programs in any Pulumi language.

Installing the package puts ``pulumi-resource-partner-attribution`` on PATH (a console script running :func:`main`),
where the engine finds the plugin. It serves, from one schema (``schema.json``):

* ``partner-attribution:index:PartnerAdminLink``, a custom resource: the PAL link through the same link client as
  the Python dynamic provider (:mod:`.link`);
* ``partner-attribution:index:DeliveryPrincipal`` and ``:LighthouseDelegation``, components whose inputs are those
  of one entry of the stack configuration (:mod:`.components`).

Built on Pulumi's asyncio provider server (``pulumi.provider.experimental``), with failures answered as messages
without the plugin's stack (:mod:`.server`).
"""

from __future__ import annotations

import sys


def main() -> None:
    """``pulumi-resource-partner-attribution ENGINE_ADDRESS [flags]``: serve the plugin to the engine."""
    from .. import __version__
    from ..pal.identity import quiet_sdk_logging
    from .provider import PartnerAttributionProvider
    from .server import engine_address, serve

    quiet_sdk_logging()
    serve(sys.argv[1:], __version__, PartnerAttributionProvider(engine_address(sys.argv[1:])))


__all__ = ["main"]
