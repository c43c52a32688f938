"""The provider the plugin serves: its schema, the ``PartnerAdminLink`` custom resource and the two components."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from importlib import resources
from typing import Any

from pulumi.provider.experimental.provider import (
    CheckRequest,
    CheckResponse,
    ConfigureRequest,
    ConfigureResponse,
    ConstructRequest,
    ConstructResponse,
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    DiffRequest,
    DiffResponse,
    GetSchemaRequest,
    GetSchemaResponse,
    Provider,
    ReadRequest,
    ReadResponse,
    UpdateRequest,
    UpdateResponse,
)

from .. import __version__
from .engine_log import EngineLog
from .link import LINK_TYPE, PartnerAdminLinkHandler

PACKAGE = "partner-attribution"
"""The plugin's name: the engine starts ``pulumi-resource-partner-attribution``."""
MAX_CONCURRENT_LINKS = 256
"""Worker threads for blocking link calls: each waits out Entra's replication of its own principal, so a
deployment's links run side by side. Not a limit chosen for Entra or ARM: each link calls ARM as its own principal,
with buckets of its own (250 reads, 200 writes: ``reference/throttling/FACTS.md``), and Entra's answer to too many
sign-ins is a 429 with ``Retry-After``, which the link client waits out (:mod:`partner_attribution.pal.client`). 256 is
above what a deployment runs at once (the engine's ``--parallel``, 8 by default on 2 CPUs in CLI v3.276.0 and raised
for many principals as the README advises; a landing zone has tens to hundreds of principals); threads start only
when needed."""


@cache
def schema() -> dict[str, Any]:
    """The package schema (``schema.json`` next to this module), its version the package's."""
    document: dict[str, Any] = json.loads(resources.files(__package__).joinpath("schema.json").read_text(encoding="utf-8"))
    document["version"] = __version__
    return document


def _shared_transport() -> Any:
    """The connections the plugin's links share: one pool of :data:`MAX_CONCURRENT_LINKS` per host, one OpenID
    discovery per tenant (:func:`partner_attribution.pal.shared_transport.shared_transport`)."""
    from ..pal.shared_transport import shared_transport

    return shared_transport(MAX_CONCURRENT_LINKS)


class UnknownTypeError(ValueError):
    """The engine asked for a type this plugin does not have."""


class PartnerAttributionProvider(Provider):
    """``partner-attribution``: ``PartnerAdminLink`` (custom resource), ``DeliveryPrincipal`` and
    ``LighthouseDelegation`` (components)."""

    def __init__(self, engine_address: str | None = None) -> None:
        """``engine_address``: the engine's, where the links' warnings and progress are sent (None: to stderr)."""
        self.link = PartnerAdminLinkHandler(
            ThreadPoolExecutor(MAX_CONCURRENT_LINKS, thread_name_prefix="pal-link"),
            _shared_transport,
            EngineLog(engine_address),
        )

    async def get_schema(self, request: GetSchemaRequest) -> GetSchemaResponse:
        return GetSchemaResponse(schema=json.dumps(schema()))

    async def diff_config(self, request: DiffRequest) -> DiffResponse:
        """The plugin has no configuration: a change of provider never replaces its resources.

        The engine asks the *new* provider this whenever a resource's provider changes (``providerChanged`` in
        pulumi/pulumi v3.276.0 ``pkg/resource/deploy/step_generator.go``), as it does when a Python program's link
        moves by alias from the dynamic provider (``pulumi:providers:pulumi-python``) to this plugin; a replacement
        answered here would create a new link and then delete the old one through the dynamic provider, removing the
        customer's link. The resource's own :meth:`diff` decides what changes. (The SDK sends ``changes=False`` as
        "unknown"; the engine replaces only for what ``replaces`` names, which is nothing.)"""
        return DiffResponse(changes=False, replaces=[])

    async def configure(self, request: ConfigureRequest) -> ConfigureResponse:
        return ConfigureResponse(accept_secrets=True, supports_preview=True, accept_outputs=True, accept_resources=True)

    def _link(self, urn_type: str) -> PartnerAdminLinkHandler:
        type_token = urn_type.rsplit("$", 1)[-1]  # a child's URN type is prefixed with its parents' ("A$B")
        if type_token != LINK_TYPE:
            raise UnknownTypeError(f"partner-attribution has no custom resource {type_token!r}; it has {LINK_TYPE}")
        return self.link

    async def check(self, request: CheckRequest) -> CheckResponse:
        return await self._link(request.type).check(request)

    async def diff(self, request: DiffRequest) -> DiffResponse:
        return await self._link(request.type).diff(request)

    async def create(self, request: CreateRequest) -> CreateResponse:
        return await self._link(request.type).create(request)

    async def read(self, request: ReadRequest) -> ReadResponse:
        return await self._link(request.type).read(request)

    async def update(self, request: UpdateRequest) -> UpdateResponse:
        return await self._link(request.type).update(request)

    async def delete(self, request: DeleteRequest) -> None:
        await self._link(request.type).delete(request)

    async def construct(self, request: ConstructRequest) -> ConstructResponse:
        from . import components  # the Azure SDKs load only in a process that declares a component (about 0.5 s)

        return await components.construct(request)
