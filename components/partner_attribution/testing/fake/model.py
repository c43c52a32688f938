"""The fake's model of a directory and of what it serves: apps, secrets, injected faults, recorded requests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

Target = Literal["discovery", "token", "arm", "graph", "oidc", "control", "any"]
FaultKind = Literal["status", "drop", "slow", "body", "redirect", "echo", "trickle", "foreign_token"]


@dataclass
class FakeApp:
    """A service principal in the fake tenant."""

    tenant_id: str
    client_id: str
    object_id: str
    ready_at: float = 0.0
    """Token requests fail with AADSTS700016 until then (replication delay)."""
    arm_ready_at: float = 0.0
    """ARM answers 401 until then."""
    deleted: bool = False
    application_object_id: str = ""
    """The application object's ID in Microsoft Graph (``/applications/<ID>``), when Graph made the app."""
    display_name: str = ""
    service_principal: bool = True
    """Whether the app has its service principal in the tenant (Graph: ``POST /servicePrincipals``)."""
    secrets: dict[str, FakeSecret] = field(default_factory=dict, repr=False)
    federated: list[FakeFederatedCredential] = field(default_factory=list)


@dataclass
class FakeFederatedCredential:
    """A federated identity credential on an app: the issuer, subject and audience it trusts
    (matched case-sensitively, as Entra does)."""

    issuer: str
    subject: str
    audience: str = "api://AzureADTokenExchange"
    ready_at: float = 0.0
    id: str = ""
    """Its ID in Microsoft Graph (``federatedIdentityCredentials/<ID>``)."""
    name: str = ""
    """Until then, a matching assertion is answered with AADSTS70021 (replication, FACTS.md §4)."""


@dataclass
class FakeSecret:
    ready_at: float = 0.0
    key_id: str = ""
    """Its ``keyId`` in Microsoft Graph (``removePassword`` names it)."""
    expires_at: float | None = None
    revoked: bool = False


@dataclass
class Fault:
    """A fault to inject into matching requests, ``times`` times (``None``: always)."""

    target: Target
    kind: FaultKind
    """``status``: answer ``status``; ``drop``: close the connection; ``slow``: wait ``delay`` then serve;
    ``body``: answer 200 with ``payload`` (a lie); ``redirect``: answer ``status`` (307) with ``location``;
    ``echo``: answer 400 with the request's body and Authorization header in the error (as some proxies do);
    ``trickle``: send a 200 answer one byte every ``delay`` seconds; ``foreign_token``: answer the token
    request with a valid token for another app (``payload``: the FakeApp)."""
    status: int = 503
    retry_after: float | None = None
    delay: float = 0.0
    method: str | None = None
    times: int | None = 1
    payload: Any = None
    location: str | None = None


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake served. Bodies and headers are never recorded (they carry secrets)."""

    at: float
    method: str
    path: str
    target: Target
    status: int | None
    """None when the fault dropped the connection."""
    client_id: str | None = None
    tenant_id: str | None = None


def now_text() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")
