"""``partner-attribution:index:PartnerAdminLink``: the PAL link as a custom resource of the plugin.

One implementation of the link: this module only translates. The engine's camelCase property values become the
snake_case properties of :class:`~partner_attribution.partner_link.PartnerAdminLinkProvider`, whose check, diff,
create, read, update and delete run unchanged (sign in as the principal, wait out Entra's replication, never
re-point another partner's link without ``overwriteExisting``, confirm every answer: :mod:`partner_attribution.pal`),
and its answers become camelCase again.

* The blocking link calls run on worker threads, never on the plugin's event loop, so the links of one deployment
  run side by side (the dynamic provider host serves four at a time). They share one connection pool (each still
  signs in as its own principal, and a token is used only for the principal that asked).
* A state written by the Python dynamic provider (snake_case keys, ``__provider``) is read as well: a stack can move
  its links to this resource with an alias (``reference/pulumi-engine/FACTS.md``).
* :class:`PartnerAdminLink` is the program side: what the plugin's ``DeliveryPrincipal`` declares for its link.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from typing import Any, TypeVar

import pulumi
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import (
    CheckFailure,
    CheckRequest,
    CheckResponse,
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    DiffRequest,
    DiffResponse,
    ReadRequest,
    ReadResponse,
    UpdateRequest,
    UpdateResponse,
)

from ..naming import PAL_LINK_TYPE
from ..partner_link import (
    CLIENT_SECRET,
    REPLACE_KEYS,
    UPDATE_KEYS,
    PartnerAdminLinkArgs,
    PartnerAdminLinkProvider,
    diagnostics_to,
)
from .engine_log import EngineLog
from .values import UNKNOWN, camel, plain_map, property_diffs, snake, wire_map

LINK_TYPE = PAL_LINK_TYPE
"""The custom resource's type token (the schema's ``resources`` key)."""
SECRET_KEYS = ("client_secret",)
"""Properties that are always secret, as inputs and as outputs."""
COMPUTED_KEYS = ("partner_name", "object_id", "state", "linked_partner_id")
"""Outputs the link computes (unknown in a preview of a new link)."""
T = TypeVar("T")


class LinkImportError(ValueError):
    """An import without what the link needs to sign in as its principal."""


def _snake_properties(values: Mapping[str, PropertyValue]) -> dict[str, Any]:
    """The engine's values (camelCase, or a dynamic provider's snake_case state) as the dynamic provider's properties."""
    return {snake(k): v for k, v in plain_map(values).items() if not k.startswith("__")}


def _camel_values(props: Mapping[str, Any]) -> dict[str, PropertyValue]:
    return wire_map({camel(k): v for k, v in props.items()}, secrets=[camel(k) for k in SECRET_KEYS])


class PartnerAdminLinkHandler:
    """The custom resource's lifecycle, for :class:`~partner_attribution.plugin.provider.PartnerAttributionProvider`."""

    def __init__(
        self, executor: ThreadPoolExecutor, transport: Callable[[], Any] | None = None, engine_log: EngineLog | None = None
    ) -> None:
        self._link = PartnerAdminLinkProvider()
        self._executor = executor
        self._make_transport = transport
        """Makes the transport the links share, at the first link call (azure-core loads then, not at the plugin's
        start)."""
        self._making_transport = threading.Lock()
        self._engine_log = engine_log or EngineLog(None)

    def _linking(self, urn: str, call: Callable[..., T]) -> Callable[..., T]:
        """``call`` on a worker thread, with the shared transport made first (once; importing azure-core and opening
        the pool is blocking work, kept off the event loop like the link itself), its warnings and progress shown
        with the resource ``urn``."""

        def run(*args: Any) -> T:
            with self._making_transport:
                if self._link.transport is None and self._make_transport is not None:
                    self._link.transport = self._make_transport()
            with diagnostics_to(lambda message, kind: self._engine_log.show(urn, message, kind)):
                return call(*args)

        return run

    async def _run(self, call: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, call, *args)

    async def check(self, request: CheckRequest) -> CheckResponse:
        """Defaults applied and every problem named by its camelCase property; unknown inputs stay unknown."""
        olds = _snake_properties(request.old_inputs)
        news = _snake_properties(request.new_inputs)
        result = await self._run(self._link.check, olds, news)
        inputs = dict(result.inputs or {})
        if inputs.get("credential_type") == CLIENT_SECRET:
            del inputs["credential_type"]  # the default, which a password link's state leaves out (as a 0.1 link's)
        failures = [CheckFailure(camel(f.property), f.reason) for f in result.failures or []]
        return CheckResponse(inputs=_camel_values(inputs), failures=failures)

    async def diff(self, request: DiffRequest) -> DiffResponse:
        """The dynamic provider's verdict, with each changed property named for the engine's display."""
        olds = _snake_properties(request.old_state)
        news = _snake_properties(request.new_inputs)
        result = await self._run(self._link.diff, request.resource_id, olds, news)
        if not result.changes:
            return DiffResponse(changes=False)
        replaces = set(result.replaces or [])
        changed = [k for k in (*REPLACE_KEYS, *UPDATE_KEYS) if k in olds or k in news if olds.get(k) != news.get(k)]
        detailed = property_diffs(changed, olds, news, replaces, name=camel)
        return DiffResponse(
            changes=True,
            replaces=[camel(k) for k in result.replaces or []],
            delete_before_replace=bool(result.delete_before_replace),
            diffs=list(detailed),
            detailed_diff=detailed,
        )

    async def create(self, request: CreateRequest) -> CreateResponse:
        """Link (adopting a link to the same partner ID); in a preview, the inputs with the link's outputs unknown."""
        props = _snake_properties(request.properties)
        if request.preview:
            return CreateResponse(resource_id="", properties=_camel_values({**props, **dict.fromkeys(COMPUTED_KEYS, UNKNOWN)}))
        result = await self._run(self._linking(request.urn, self._link.create), props)
        return CreateResponse(resource_id=result.id, properties=_camel_values(result.outs or {}))

    async def read(self, request: ReadRequest) -> ReadResponse:
        """The live link (refresh and import); a link that is gone reports the resource gone."""
        props = _snake_properties(request.properties)
        importing = not props.get("tenant_id") or not props.get("client_id")
        if importing:
            props = {**_snake_properties(request.inputs), **props}  # the import resource option: the program's inputs
        missing = [camel(k) for k in ("tenant_id", "client_id") if not props.get(k)]
        if missing:
            raise LinkImportError(
                f"importing PartnerAdminLink {request.resource_id!r} needs its inputs ({', '.join(missing)} and how it signs "
                "in): declare the resource in the program with the import resource option instead of `pulumi import`"
            )
        result = await self._run(self._linking(request.urn, self._link.read), request.resource_id, props)
        if not result.id:
            return ReadResponse(resource_id=None)
        outs = result.outs or {}
        live_id = f"{outs.get('tenant_id')}/{outs.get('object_id')}"
        if importing and live_id.lower() != request.resource_id.lower():
            raise LinkImportError(
                f"PartnerAdminLink {request.resource_id!r}: the principal {props['client_id']} is {live_id} (tenant/object "
                "ID); import it with that ID"
            )
        return ReadResponse(
            resource_id=result.id, properties=_camel_values(result.outs or {}), inputs=_camel_values(result.inputs or {})
        )

    async def update(self, request: UpdateRequest) -> UpdateResponse:
        """A new partner ID re-points the link (only this stack's own, or with ``overwriteExisting``); anything else
        calls nothing."""
        olds = _snake_properties(request.olds)
        news = _snake_properties(request.news)
        if request.preview:
            kept = {k: olds.get(k) for k in COMPUTED_KEYS}
            if news.get("partner_id") != olds.get("partner_id"):
                kept = dict.fromkeys(COMPUTED_KEYS, UNKNOWN)
            return UpdateResponse(properties=_camel_values({**news, **kept}))
        result = await self._run(self._linking(request.urn, self._link.update), request.resource_id, olds, news)
        return UpdateResponse(properties=_camel_values(result.outs or {}))

    async def delete(self, request: DeleteRequest) -> None:
        """Unlink only the stack's own link (:func:`~partner_attribution.partner_link.own_partner_id`), leaving any other
        in place with a warning; a link already gone, or its principal deleted, is success. The engine also sends the
        state's inputs (``old_inputs``), which this SDK's ``DeleteRequest`` leaves out: they would tell nothing more,
        as every refresh replaces them with the live link's."""
        await self._run(self._linking(request.urn, self._link.delete), request.resource_id, _snake_properties(request.properties))


_INPUTS = tuple(f.name for f in fields(PartnerAdminLinkArgs))


class PartnerAdminLink(pulumi.CustomResource):
    """The plugin's PAL link, declared from a program the plugin runs (its ``DeliveryPrincipal``): the same
    arguments and outputs as :class:`partner_attribution.partner_link.PartnerAdminLink`."""

    partner_id: pulumi.Output[str]
    """The partner ID the principal is linked to (after a refresh: the live one)."""
    partner_name: pulumi.Output[str | None]
    tenant_id: pulumi.Output[str]
    client_id: pulumi.Output[str]
    object_id: pulumi.Output[str]
    """Object ID of the linked principal, as the ManagementPartner API reports it."""
    state: pulumi.Output[str]
    """``Active`` once linked."""

    def __init__(self, name: str, args: PartnerAdminLinkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        props: dict[str, Any] = {key: getattr(args, key) for key in _INPUTS}
        secret_outputs = []
        if props["client_secret"] is not None:
            props["client_secret"] = pulumi.Output.secret(props["client_secret"])
            secret_outputs = ["clientSecret"]
        if props["credential_type"] == CLIENT_SECRET:
            del props["credential_type"]  # the default, left out as Check leaves it out (and as 0.1 and 0.2 did)
        props.update(dict.fromkeys(COMPUTED_KEYS))
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=secret_outputs))
        super().__init__(LINK_TYPE, name, props, opts)

    def translate_output_property(self, prop: str) -> str:
        """The engine's camelCase as this class's attribute names."""
        return snake(prop)

    def translate_input_property(self, prop: str) -> str:
        """This class's snake_case arguments as the schema's camelCase."""
        return camel(prop)
