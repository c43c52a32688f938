"""Workload identity federation: where a pipeline's OIDC token comes from, and what it claims.

A federated PAL link signs in as the delivery principal with azure-identity's client-assertion
credential; the assertion is the pipeline's OIDC token, fetched afresh at each attempt. It reads more places than
azure-native does (which reads neither ``AZURE_FEDERATED_TOKEN_FILE``, ``ARM_OIDC_REQUEST_*`` nor
``SYSTEM_OIDCREQUESTURI``; azuread reads the last two): docs/link-credentials.md has the table, from
``reference/federation/FACTS.md`` §6-§9:

==========================================  ==============================================================
``AZURE_FEDERATED_TOKEN_FILE``              a file holding the token (Kubernetes workload identity), read at
                                            every attempt
``ARM_OIDC_TOKEN_FILE_PATH``                the same (the providers' setting)
``ARM_OIDC_REQUEST_URL`` + ``_TOKEN``       an OIDC request endpoint (azuread's generic OIDC)
``ACTIONS_ID_TOKEN_REQUEST_URL`` + ``_TOKEN`` GitHub Actions (``permissions: id-token: write``), requested
                                            with the exchange audience
``SYSTEM_OIDCREQUESTURI`` + ``SYSTEM_ACCESSTOKEN``  Azure Pipelines, with the service connection ID from
+ a service connection ID                   ``AZURESUBSCRIPTION_SERVICE_CONNECTION_ID``,
                                            ``ARM_OIDC_AZURE_SERVICE_CONNECTION_ID`` or
                                            ``ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID`` (as azure-identity's
                                            ``AzurePipelinesCredential`` requests it)
``ARM_OIDC_TOKEN``                          a token given as is (Pulumi ESC ``azure-login``, Azure DevOps
                                            ``addSpnToEnvironment`` ``idToken``): never renewed
==========================================  ==============================================================

The first that is configured is used, renewable sources first: token files (read at every attempt), then token
requests (a fresh token at every attempt), and a token given as is (``ARM_OIDC_TOKEN``) last, since nothing renews
it and a link may wait minutes for Entra's replication. (azure-native, which signs in once per run, takes a given
token first.) Claims of a token are read for messages and checks only (issuer, subject, audience, expiry); a
token is never printed.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import stat
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .retry import run_within

EXCHANGE_AUDIENCES = {
    "public": "api://AzureADTokenExchange",
    "usgovernment": "api://AzureADTokenExchangeUSGov",
    "china": "api://AzureADTokenExchangeChina",
}
"""The audience of a federated credential per cloud (FACTS.md §1; Microsoft documents the US Government and
China values for managed identities, and recommends the global value for other issuers: not confirmed for
GitHub or Azure DevOps tokens in sovereign clouds)."""

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
AZURE_DEVOPS_ISSUER = "https://vstoken.dev.azure.com/{organization_id}"
REQUEST_TIMEOUT = 20.0
MAX_TOKEN_BYTES = 64 * 1024

LOOKED_FOR = (
    "AZURE_FEDERATED_TOKEN_FILE",
    "ARM_OIDC_TOKEN_FILE_PATH",
    "ARM_OIDC_REQUEST_URL/_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN (GitHub Actions, id-token: write)",
    "SYSTEM_OIDCREQUESTURI + SYSTEM_ACCESSTOKEN (Azure Pipelines)",
    "ARM_OIDC_TOKEN",
)
"""Where a pipeline token is looked for, in order: named in the message when none is found."""
TOKEN_SOURCE_VARIABLES = (
    "AZURE_FEDERATED_TOKEN_FILE",
    "ARM_OIDC_TOKEN_FILE_PATH",
    "ARM_OIDC_REQUEST_URL",
    "ARM_OIDC_REQUEST_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "SYSTEM_OIDCREQUESTURI",
    "SYSTEM_ACCESSTOKEN",
    "ARM_OIDC_TOKEN",
)
"""Every variable :func:`find_token_source` reads a token (or a token request) from: blank them all, and no pipeline
token is found."""

_SERVICE_CONNECTION_VARIABLES = (
    "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID",
    "ARM_OIDC_AZURE_SERVICE_CONNECTION_ID",
    "ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID",
)


class TokenSourceError(Exception):
    """The pipeline's token could not be had; the message says from where and why (never the token).
    ``permanent``: retrying cannot help (a token file that is not there, a redirect), so fail fast."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class TokenClaims:
    """What a JWT says about itself, read without verifying it (for messages and checks only)."""

    issuer: str | None
    subject: str | None
    audience: tuple[str, ...]
    expires_at: float | None
    tenant_id: str | None = None
    app_id: str | None = None
    """``appid`` (v1 tokens) or ``azp`` (v2): the client the token was issued to."""
    object_id: str | None = None

    @classmethod
    def of(cls, token: str) -> TokenClaims:
        """The claims of ``token``; :class:`ValueError` when it is not a JWT."""
        parts = token.split(".")
        if len(parts) != 3:
            raise ValueError("not a JWT (expected three dot-separated parts)")
        payload = parts[1] + "=" * (-len(parts[1]) % 4)
        try:
            claims: Any = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
        except (binascii.Error, ValueError, UnicodeError, RecursionError) as exc:
            raise ValueError("not a JWT (its payload is not base64url JSON)") from exc
        if not isinstance(claims, dict):
            raise ValueError("not a JWT (its payload is not a JSON object)")
        audience = claims.get("aud")
        audiences = tuple(audience) if isinstance(audience, list) else ((audience,) if isinstance(audience, str) else ())
        expiry = claims.get("exp")

        def text(key: str) -> str | None:
            value = claims.get(key)
            return value if isinstance(value, str) else None

        return cls(
            issuer=text("iss"),
            subject=text("sub"),
            audience=audiences,
            expires_at=float(expiry) if isinstance(expiry, (int, float)) and not isinstance(expiry, bool) else None,
            tenant_id=text("tid"),
            app_id=text("appid") or text("azp"),
            object_id=text("oid"),
        )


class TokenSource(Protocol):
    """Where the pipeline's OIDC token comes from."""

    @property
    def name(self) -> str:
        """Which variables it reads, for messages."""

    def token(self, audience: str, timeout: float = REQUEST_TIMEOUT) -> str:
        """A fresh token for ``audience``; :class:`TokenSourceError` when there is none."""


@dataclass(frozen=True)
class StaticToken:
    """A token given as is: it can expire during a long run (AADSTS700024), nothing renews it."""

    name: str
    value: str = field(repr=False)

    def token(self, audience: str, timeout: float = REQUEST_TIMEOUT) -> str:
        return normalised_token(self.value, f"the token in {self.name}")


@dataclass(frozen=True)
class TokenFile:
    """A file the platform keeps fresh; read at every attempt, at most :data:`MAX_TOKEN_BYTES`, and only when it is
    a regular file (a FIFO would block the read, a link to ``/dev/zero`` would never end)."""

    name: str
    path: Path

    def token(self, audience: str, timeout: float = REQUEST_TIMEOUT) -> str:
        where = f"the token file {self.path} ({self.name})"
        try:
            # Non-blocking: opening a FIFO that has no writer would otherwise wait forever.
            descriptor = os.open(self.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        except OSError as exc:
            raise TokenSourceError(f"cannot read {where}: {exc.strerror or exc}", permanent=True) from None
        try:
            mode = os.fstat(descriptor).st_mode
            if not stat.S_ISREG(mode):
                raise TokenSourceError(
                    f"{where} is {_file_kind(mode)}, not a regular file; point {self.name} at the file the platform "
                    "writes the token to",
                    permanent=True,
                )
            chunks: list[bytes] = []
            size = 0
            while size <= MAX_TOKEN_BYTES:
                chunk = os.read(descriptor, MAX_TOKEN_BYTES + 1 - size)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        except OSError as exc:
            raise TokenSourceError(f"cannot read {where}: {exc.strerror or exc}", permanent=True) from None
        finally:
            os.close(descriptor)
        if size > MAX_TOKEN_BYTES:
            raise TokenSourceError(f"{where} is larger than {MAX_TOKEN_BYTES} bytes, too large to be a token", permanent=True)
        return normalised_token(b"".join(chunks), where)


def _file_kind(mode: int) -> str:
    kinds = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"), (stat.S_ISDIR, "a directory"))
    return next((kind for test, kind in kinds if test(mode)), "not a regular file")


_JWT_CHARACTERS = re.compile(r"[A-Za-z0-9_.-]+\Z")


def normalised_token(raw: bytes | str, where: str) -> str:
    """A token as read from ``where``, normalised: a UTF-8 byte-order mark and surrounding whitespace (a trailing
    newline) are removed. Anything else a JWT cannot contain (a line break or space inside, other characters) is
    refused, permanently, with a message that says so and never shows the token."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise TokenSourceError(f"{where} is not UTF-8 text, so it holds no token", permanent=True) from None
    text = raw.removeprefix("\ufeff").strip(" \t\r\n")
    if not text:
        raise TokenSourceError(f"{where} is empty", permanent=True)
    if _JWT_CHARACTERS.match(text):
        return text
    if any(c in text for c in " \t\r\n"):
        problem = "has a line break or space inside the token; a token is one line: write it without them"
    else:
        problem = "has characters a token (a JWT: letters, digits, '-', '_', '.') cannot contain; write the token alone"
    raise TokenSourceError(f"{where} {problem}", permanent=True)


RETRIED_STATUSES = frozenset({408, 429})
"""Token endpoint answers below 500 that are worth another attempt (timeout, throttling); every other 4xx (a bad
request, a refused or expired request token, a wrong URL) is permanent, and 5xx is retried."""


def _status_problem(status: int) -> str:
    if status in (401, 403):
        return (
            f"the token endpoint refused the request token (HTTP {status}): it has expired or may not request an ID "
            "token (GitHub Actions: permissions: id-token: write; Azure Pipelines: map SYSTEM_ACCESSTOKEN and check the "
            "service connection ID)"
        )
    if status in (404, 405, 410):
        return f"the token endpoint answered HTTP {status}: the request URL is wrong, or the service connection does not exist"
    return f"the token endpoint answered HTTP {status}"


def _http_json(method: str, url: str, bearer: str, timeout: float, headers: Mapping[str, str] | None = None) -> Any:
    """The JSON answer of a token endpoint, read at most :data:`MAX_TOKEN_BYTES` and ``timeout`` seconds in all,
    headers included: an endpoint that streams forever or trickles (its body or its headers) fails fast instead of
    growing the process or holding the budget. What a retry cannot change (a 4xx other than 408 and 429, a body too
    large, not JSON or nested too deeply) is permanent."""
    return run_within(
        timeout,
        lambda: _read_json_answer(method, url, bearer, timeout, headers),
        lambda: TokenSourceError(f"the token endpoint did not finish its answer within {timeout:.1f}s"),
    )


def _read_json_answer(method: str, url: str, bearer: str, timeout: float, headers: Mapping[str, str] | None) -> Any:
    import requests
    import urllib3

    deadline = time.monotonic() + timeout
    try:
        response = requests.request(
            method,
            url,
            headers={"Authorization": f"Bearer {bearer}", "Accept": "application/json", **(headers or {})},
            timeout=(min(10.0, timeout), timeout),
            allow_redirects=False,
            stream=True,
        )
    except requests.RequestException as exc:
        raise TokenSourceError(f"the token request failed: {type(exc).__name__}") from None
    with response:
        status = response.status_code
        if 300 <= status < 400:
            raise TokenSourceError(f"the token endpoint answered HTTP {status} (a redirect); not followed", permanent=True)
        if status != 200:
            permanent = 400 <= status < 500 and status not in RETRIED_STATUSES
            raise TokenSourceError(_status_problem(status), permanent=permanent)
        body = bytearray()
        try:
            # read1: what has arrived, so a trickle meets the deadline check instead of filling a whole buffer.
            while chunk := response.raw.read1(8192):
                body += chunk
                if len(body) > MAX_TOKEN_BYTES:
                    raise TokenSourceError(
                        f"the token endpoint's answer is larger than {MAX_TOKEN_BYTES} bytes, too large to hold a token; "
                        "not read further",
                        permanent=True,
                    )
                if time.monotonic() > deadline:
                    raise TokenSourceError(f"the token endpoint did not finish its answer within {timeout:.1f}s")
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise TokenSourceError(f"the token request failed while reading the answer: {type(exc).__name__}") from None
    try:
        return json.loads(bytes(body).decode("utf-8-sig"))
    except ValueError:
        raise TokenSourceError("the token endpoint answered something that is not JSON", permanent=True) from None
    except RecursionError:
        raise TokenSourceError("the token endpoint's answer is nested too deeply to hold a token", permanent=True) from None


@dataclass(frozen=True)
class OidcRequest:
    """GitHub Actions' ID token request (and the providers' generic ``ARM_OIDC_REQUEST_*``):
    ``GET <url>&audience=<audience>`` with the request token as bearer; the answer's ``value``."""

    name: str
    url: str
    request_token: str = field(repr=False)

    def token(self, audience: str, timeout: float = REQUEST_TIMEOUT) -> str:
        from urllib.parse import quote

        separator = "&" if "?" in self.url else "?"
        answer = _http_json("GET", f"{self.url}{separator}audience={quote(audience, safe='')}", self.request_token, timeout)
        value = answer.get("value") if isinstance(answer, dict) else None
        if not isinstance(value, str) or not value:
            raise TokenSourceError(f"the token endpoint ({self.name}) answered without a 'value'", permanent=True)
        return normalised_token(value, f"the token from {self.name}")


@dataclass(frozen=True)
class AzurePipelinesRequest:
    """Azure Pipelines' OIDC request, as azure-identity's ``AzurePipelinesCredential`` makes it: ``POST
    <SYSTEM_OIDCREQUESTURI>?api-version=7.1&serviceConnectionId=<id>`` with the job's access token; the
    answer's ``oidcToken`` (FACTS.md §7)."""

    name: str
    url: str
    access_token: str = field(repr=False)
    service_connection_id: str

    def token(self, audience: str, timeout: float = REQUEST_TIMEOUT) -> str:
        from urllib.parse import quote

        url = f"{self.url}?api-version=7.1&serviceConnectionId={quote(self.service_connection_id, safe='')}"
        answer = _http_json("POST", url, self.access_token, timeout, {"X-TFS-FedAuthRedirect": "Suppress"})
        value = answer.get("oidcToken") if isinstance(answer, dict) else None
        if not isinstance(value, str) or not value:
            raise TokenSourceError(f"the token endpoint ({self.name}) answered without an 'oidcToken'", permanent=True)
        return normalised_token(value, f"the token from {self.name}")


def find_token_source(environ: Mapping[str, str] | None = None) -> TokenSource | None:
    """The first pipeline token source configured in ``environ`` (default: this process's), or None."""
    env = os.environ if environ is None else environ

    def get(name: str) -> str:
        return env.get(name, "").strip()

    for variable in ("AZURE_FEDERATED_TOKEN_FILE", "ARM_OIDC_TOKEN_FILE_PATH"):
        if get(variable):
            return TokenFile(variable, Path(get(variable)))
    if get("ARM_OIDC_REQUEST_URL") and get("ARM_OIDC_REQUEST_TOKEN"):
        return OidcRequest("ARM_OIDC_REQUEST_URL", get("ARM_OIDC_REQUEST_URL"), get("ARM_OIDC_REQUEST_TOKEN"))
    if get("ACTIONS_ID_TOKEN_REQUEST_URL") and get("ACTIONS_ID_TOKEN_REQUEST_TOKEN"):
        return OidcRequest(
            "ACTIONS_ID_TOKEN_REQUEST_URL", get("ACTIONS_ID_TOKEN_REQUEST_URL"), get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
        )
    connection = next((get(v) for v in _SERVICE_CONNECTION_VARIABLES if get(v)), "")
    if get("SYSTEM_OIDCREQUESTURI") and get("SYSTEM_ACCESSTOKEN") and connection:
        return AzurePipelinesRequest("SYSTEM_OIDCREQUESTURI", get("SYSTEM_OIDCREQUESTURI"), get("SYSTEM_ACCESSTOKEN"), connection)
    if get("ARM_OIDC_TOKEN"):
        return StaticToken("ARM_OIDC_TOKEN", get("ARM_OIDC_TOKEN"))
    return None


def no_token_source_message(who: str, issuer: str | None = None, subject: str | None = None) -> str:
    """What to say when a federated link has no pipeline token to sign in with."""
    trusted = f" that presents issuer {issuer} and subject {subject}" if issuer and subject else ""
    return (
        f"the PAL link of {who} signs in with workload identity federation, and no pipeline token was found "
        f"(looked for {', '.join(LOOKED_FOR)}). Run pulumi from the pipeline{trusted}, "
        "or give the principal the password link credential (linkCredential: password)."
    )


def token_lifetime_left(claims: TokenClaims, now: float | None = None) -> float | None:
    """Seconds until the token expires (negative when expired), or None when it has no ``exp``."""
    return None if claims.expires_at is None else claims.expires_at - (time.time() if now is None else now)
