"""The PAL link read, asynchronously: many identities' links read on one event loop (``verify``;
``reference/azure-sdk/ASYNC-VERIFY.md``).

:class:`AsyncLinkReader` is a :class:`~.client.PartnerLinkClient` whose read runs on asyncio: the same rules
apply, from the same code. The access token is used only when its tenant and application are the identity's
(:class:`~.identity.CheckedCredential`), the answer must be Active and name the caller's tenant and object
(``PartnerLinkClient._confirm``), transient failures are retried within one budget and permanent ones fail at once
(``PartnerLinkClient._after_failure``), and no secret or token appears in a message. What differs is how it signs in
and sends: azure-identity's asynchronous credentials (``azure.identity.aio``) ask the tenant's token endpoint
directly, without MSAL and without its OpenID discovery, and every request goes through one shared azure-core
asynchronous transport (aiohttp), so a thousand principals cost a thousand sign-ins and reads on a few sockets and
no thread each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol, cast

from .client import AnswerNotConfirmedError, LinkState, PartnerLinkClient, overrun
from .errors import Transient, TransientError, UnconfirmedAnswer
from .identity import CheckedCredential, ClientSecretSource, CloudEndpoints, CredentialSource, ResponseHook
from .retry import Budget

if TYPE_CHECKING:
    from azure.core import AzureClouds
    from azure.core.credentials import TokenCredential
    from azure.core.credentials_async import AsyncTokenCredential
    from azure.mgmt.managementpartner.aio import ACEProvisioningManagementPartnerAPI as AsyncPartnerAPI


@cache
def _sdk_cloud() -> AzureClouds:
    """The cloud the ARM client would look up itself (azure-core's ``settings.current``), looked up once: the lookup
    builds a new named-tuple class each time, 6% of ``verify``'s CPU when made for every principal. The client uses it
    only for its default endpoint and scope, and is always given both (:class:`~.identity.CloudEndpoints`)."""
    from azure.core.settings import settings

    return cast("AzureClouds", settings.current.azure_cloud)  # type: ignore[attr-defined]


class AsyncCredentialSource(CredentialSource, Protocol):
    """A credential source that also builds an asynchronous credential (client secret, federated assertion)."""

    def async_credential(
        self, endpoints: CloudEndpoints, response_hook: ResponseHook | None, read_timeout: float, transport: Any
    ) -> AsyncTokenCredential:
        """A fresh azure-identity asynchronous credential sending through ``transport``."""


class AsyncCheckedCredential(CheckedCredential):
    """:class:`~.identity.CheckedCredential` for an asynchronous credential: the same check of each access token's
    tenant, application and object before it goes to ARM."""

    def __init__(self, inner: AsyncTokenCredential, source: CredentialSource) -> None:
        super().__init__(cast("TokenCredential", inner), source)
        self.async_inner = inner

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:  # type: ignore[override]
        """The inner credential's token, once it is checked to be for this identity."""
        token = await self.async_inner.get_token(*scopes, **kwargs)
        self._check(token.token)
        return token

    async def get_token_info(self, *scopes: str, **kwargs: Any) -> Any:  # type: ignore[override]
        """As :meth:`get_token`, for azure-core's newer token protocol."""
        token = await self.async_inner.get_token_info(*scopes, **kwargs)  # type: ignore[attr-defined]
        self._check(token.token)
        return token

    async def close(self) -> None:  # type: ignore[override]
        """Close the inner credential (its transport stays open when it is shared)."""
        await self.async_inner.close()


class AsyncLinkReader(PartnerLinkClient):
    """Reads one identity's PAL link on the running event loop (:meth:`read`); ``transport`` is an azure-core
    asynchronous transport, shared between readers (``verify``). Only reading: linking and unlinking stay with the
    blocking :class:`~.client.PartnerLinkClient`, whose other options it takes. ``async_sleep`` waits before a retry
    (what ``sleep`` does for the blocking client), measured by the same ``clock``."""

    def __init__(
        self,
        source: AsyncCredentialSource,
        endpoints: CloudEndpoints | None = None,
        *,
        async_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        **options: Any,
    ) -> None:
        super().__init__(source, endpoints, **options)
        self.async_source = source
        self.async_sleep = async_sleep
        self._async_api: AsyncPartnerAPI | None = None

    def _forget_credential(self) -> None:
        super()._forget_credential()
        self._async_api = None

    def get(self) -> LinkState | None:
        """Not on a reader: ``await`` :meth:`read`."""
        raise TypeError("an AsyncLinkReader reads on the event loop: await read()")

    def link(self, partner_id: str, *, overwrite: bool = False, expected_current: str | None = None) -> LinkState:
        """Not on a reader: linking is the blocking :class:`~.client.PartnerLinkClient`'s."""
        raise TypeError("an AsyncLinkReader only reads: link with PartnerLinkClient")

    def unlink(self, partner_id: str) -> bool:
        """Not on a reader: unlinking is the blocking :class:`~.client.PartnerLinkClient`'s."""
        raise TypeError("an AsyncLinkReader only reads: unlink with PartnerLinkClient")

    def _async_client(self) -> AsyncPartnerAPI:
        if self._async_api is None:
            from azure.mgmt.managementpartner.aio import ACEProvisioningManagementPartnerAPI

            if self._credential is not None:
                self._tokens += self._credential.tokens
            inner = self.async_source.async_credential(
                self.endpoints, self._record_token_response, self.read_timeout, self.transport
            )
            self._credential = AsyncCheckedCredential(inner, self.source)
            self._async_api = ACEProvisioningManagementPartnerAPI(
                self._credential,  # type: ignore[arg-type]
                cloud_setting=_sdk_cloud(),
                **self._arm_client_options(),
            )
        return self._async_api

    async def read(self) -> LinkState | None:
        """The identity's current link, or None when it has none (404 or state Deleted); as
        :meth:`~.client.PartnerLinkClient.get`."""
        with self._reporting("link read"):
            return await self._read(self._budget())

    async def _read(self, budget: Budget) -> LinkState | None:
        from azure.core.exceptions import ResourceNotFoundError

        async def attempt(fresh: bool, seconds: float) -> LinkState | None:
            if fresh and not isinstance(self.source, ClientSecretSource):  # a secret has nothing to fetch
                # Fetching the pipeline's token (blocking I/O, on a thread) is part of the attempt, and of its bound.
                await asyncio.to_thread(self.source.prepare, max(1.0, min(self.read_timeout, seconds)))
            try:
                link = LinkState.from_response(await self._async_client().partners.get(**self._timeouts(budget)))
            except ResourceNotFoundError:
                return None
            if link.state.strip().lower() == "deleted":
                return None
            return self._confirm(link, None)

        attempts = 0
        previous: Transient | None = None
        while True:
            attempts += 1
            self._report.attempted()
            self._token_response = self._arm_response = None
            seconds = budget.remaining
            try:
                try:
                    return await asyncio.wait_for(attempt(self._async_api is None, seconds), timeout=seconds)
                except asyncio.TimeoutError:
                    raise overrun(seconds) from None
                except AnswerNotConfirmedError as exc:
                    raise TransientError(UnconfirmedAnswer(f"Microsoft's answer is not a link: {exc}")) from None
            except Exception as exc:  # noqa: BLE001 - classified by _after_failure, re-raised as our own error
                delay, previous = self._after_failure("reading the partner link", exc, attempts, previous, budget)
            await self.async_sleep(delay)
