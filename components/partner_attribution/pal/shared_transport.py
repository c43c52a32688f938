"""The blocking connections many principals' PAL link operations share (the plugin's links, each on a worker thread):
one pool, and one OpenID discovery per tenant.

Each principal still signs in with its own credential and gets its own token; only sockets and the tenant's public
metadata are shared, for the life of the process. (``verify`` reads links asynchronously over its own pool:
:mod:`partner_attribution.verify_transport`.)
"""

from __future__ import annotations

import http.cookiejar
import threading
from typing import Any

import requests
from azure.core.pipeline.transport import RequestsTransport

DISCOVERY_SUFFIX = "/v2.0/.well-known/openid-configuration"
"""How the URL of an Entra tenant's OpenID discovery ends (MSAL's tenant discovery)."""


class DiscoveryOnceSession(requests.Session):
    """A ``requests`` session that answers a repeated OpenID discovery (``GET <authority>/<tenant>/v2.0/.well-known/
    openid-configuration``) from the first successful answer for that exact URL, for as long as the session lives
    (one plugin process). MSAL discovers the tenant's token endpoint anew for every client application, that is for
    every principal; principals of one tenant then share one discovery instead of one round trip each. Only 2xx
    answers are kept (an unknown tenant is asked again), and only discovery: tokens and ARM calls always go out."""

    def __init__(self) -> None:
        super().__init__()
        self._discovered: dict[str, requests.Response] = {}
        self._discovering: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """As :meth:`requests.Session.request`; a repeated discovery is answered before the request is even prepared
        (preparing it, with the session's and the environment's settings, is about a third of a request's CPU)."""
        key = url.decode() if isinstance(url, bytes) else url
        if method != "GET" or not key.endswith(DISCOVERY_SUFFIX) or args or kwargs.get("params") or kwargs.get("stream"):
            return super().request(method, url, *args, **kwargs)
        with self._lock:
            one_at_a_time = self._discovering.setdefault(key, threading.Lock())
        with one_at_a_time:  # principals of one tenant start together: the first asks, the others wait for its answer
            known = self._discovered.get(key)
            if known is not None:
                return _copy(known)
            response = super().request(method, url, **kwargs)
            if 200 <= response.status_code < 300:
                self._discovered[key] = _copy(response)
            return response


def _copy(response: requests.Response) -> requests.Response:
    """A response of its own for each caller, sharing the body already read (immutable bytes). ``copy.copy`` would go
    through ``Response.__getstate__``, which drops ``raw`` (azure-core sets a flag on it)."""
    duplicate = requests.Response()
    duplicate.__dict__.update(response.__dict__)
    duplicate.headers = requests.structures.CaseInsensitiveDict(response.headers)
    return duplicate


def shared_transport(concurrency: int) -> RequestsTransport:
    """One azure-core transport for every principal's sign-in and ARM call: its connection pool keeps up to
    ``concurrency`` TLS connections per host open, so linking many principals does not open two new TLS connections
    (Entra, ARM) for each one, and each tenant's OpenID metadata is fetched once (:class:`DiscoveryOnceSession`)."""
    session = DiscoveryOnceSession()
    # No cookies carried from one principal's answer to another's request (Entra sets some on token answers).
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=max(1, concurrency))
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return RequestsTransport(session=session, session_owner=False)
