"""The connections ``verify`` shares between the principals it checks: one asynchronous connection pool.

Each principal still signs in with its own credential and gets its own token; only sockets are shared, for one run.
The pool trusts what the blocking client (``requests``) trusts, so ``verify`` and ``link`` agree on which servers are
genuine: the CA bundle in ``REQUESTS_CA_BUNDLE`` (or ``CURL_CA_BUNDLE``), otherwise ``requests``' own (certifi).
Proxies come from the environment (``HTTPS_PROXY``, ``NO_PROXY``), as for ``requests``; ``.netrc`` is not read (Entra
and ARM are sent no password but the principal's own).
"""

from __future__ import annotations

import os
import ssl
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from azure.core.pipeline.transport import AioHttpTransport


def ca_bundle() -> str:
    """The CA bundle ``requests`` verifies servers with: ``REQUESTS_CA_BUNDLE``, else ``CURL_CA_BUNDLE``, else its own."""
    from requests.certs import where

    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or where()


def tls_context() -> ssl.SSLContext:
    """One TLS context for the whole run (certificate and host name verified, against :func:`ca_bundle`). azure-core
    would otherwise build one, reading the bundle anew, for every request that names a bundle
    (``reference/azure-sdk/ASYNC-VERIFY.md``). The bundle may be a file or, as ``requests`` also accepts, a folder of
    hashed certificates (OpenSSL's ``c_rehash`` layout)."""
    bundle = ca_bundle()
    if os.path.isdir(bundle):
        return ssl.create_default_context(capath=bundle)
    return ssl.create_default_context(cafile=bundle)


def environment_proxy(url: str) -> str | None:
    """The proxy the environment names for ``url`` (``HTTPS_PROXY``/``HTTP_PROXY`` by scheme, else ``ALL_PROXY`` as
    ``requests`` reads it; None when ``NO_PROXY`` covers its host): ``urllib.request``'s lookup, which aiohttp makes
    when it trusts the environment."""
    from urllib.parse import urlsplit
    from urllib.request import getproxies, proxy_bypass

    parts = urlsplit(url)
    if not parts.hostname or proxy_bypass(parts.hostname):
        return None
    proxies = getproxies()
    return proxies.get(parts.scheme) or proxies.get("all")


class EnvironmentProxyTransport(AioHttpTransport):
    """azure-core's aiohttp transport, sending each request through :func:`environment_proxy` of its origin, looked up
    once per origin. aiohttp's own ``trust_env`` looks the proxy (and ``.netrc``) up again for every request, each on a
    worker thread: a tenth of ``verify``'s CPU."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        super().__init__(session=session, session_owner=False)
        self.proxies: dict[str, str | None] = {}
        """The proxy of each origin asked so far (None: none)."""

    async def send(self, request: Any, **config: Any) -> Any:
        """As :meth:`AioHttpTransport.send`, through the origin's proxy unless the caller named one."""
        if "proxy" not in config and not config.get("proxies"):
            parts = urlsplit(request.url)
            origin = f"{parts.scheme}://{parts.netloc}"
            if origin not in self.proxies:
                self.proxies[origin] = environment_proxy(origin)
            config["proxy"] = self.proxies[origin]
        return await super().send(request, **config)


def shared_async_transport(concurrency: int) -> EnvironmentProxyTransport:
    """One azure-core asynchronous transport (aiohttp) for every principal's sign-in and ARM call: up to
    ``concurrency`` connections per host, kept open, so checking many principals does not open two new TLS
    connections (Entra, ARM) for each one. Call it on the event loop that will use it; close its ``session``
    when the run is over."""
    connector = aiohttp.TCPConnector(ssl=tls_context(), limit=0, limit_per_host=max(1, concurrency))
    session = aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),  # no cookies carried from one principal's answer to another's request
        auto_decompress=False,  # as azure-core's own sessions: the pipeline decompresses
    )
    return EnvironmentProxyTransport(session)
