"""The connections ``verify`` shares between the principals it checks: one asynchronous connection pool.

Each principal still signs in with its own credential and gets its own token; only sockets are shared, for one run.
The pool trusts what the blocking client (``requests``) trusts, so ``verify`` and ``link`` agree on which servers are
genuine: the CA bundle in ``REQUESTS_CA_BUNDLE`` (or ``CURL_CA_BUNDLE``), otherwise ``requests``' own (certifi).
Proxies come from the environment (``HTTPS_PROXY``, ``NO_PROXY``), as for ``requests``.
"""

from __future__ import annotations

import os
import ssl
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from azure.core.pipeline.transport import AioHttpTransport


def ca_bundle() -> str:
    """The CA bundle ``requests`` verifies servers with: ``REQUESTS_CA_BUNDLE``, else ``CURL_CA_BUNDLE``, else its own."""
    from requests.certs import where

    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or where()


def tls_context() -> ssl.SSLContext:
    """One TLS context for the whole run (certificate and host name verified, against :func:`ca_bundle`). azure-core
    would otherwise build one, reading the bundle anew, for every request that names a bundle
    (``reference/azure-sdk/ASYNC-VERIFY.md``)."""
    return ssl.create_default_context(cafile=ca_bundle())


def shared_async_transport(concurrency: int) -> AioHttpTransport:
    """One azure-core asynchronous transport (aiohttp) for every principal's sign-in and ARM call: up to
    ``concurrency`` connections per host, kept open, so checking many principals does not open two new TLS
    connections (Entra, ARM) for each one. Call it on the event loop that will use it; close its ``session``
    when the run is over."""
    import aiohttp
    from azure.core.pipeline.transport import AioHttpTransport

    connector = aiohttp.TCPConnector(ssl=tls_context(), limit=0, limit_per_host=max(1, concurrency))
    session = aiohttp.ClientSession(
        connector=connector,
        trust_env=True,  # proxies from the environment, as requests does
        cookie_jar=aiohttp.DummyCookieJar(),  # no cookies carried from one principal's answer to another's request
        auto_decompress=False,  # as azure-core's own sessions: the pipeline decompresses
    )
    return AioHttpTransport(session=session, session_owner=False)
