"""The fake's model of a directory and of what it serves: apps, secrets, injected faults, recorded requests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

Target = Literal["discovery", "token", "arm", "graph", "oidc", "control", "any"]
FaultKind = Literal["status", "drop", "slow", "gather", "body", "redirect", "echo", "trickle", "foreign_token"]


@dataclass
class FakeApp:
    """A service principal in the fake tenant."""

    tenant_id: str
    """Its tenant."""
    client_id: str
    """Application (client) ID."""
    object_id: str
    """Object ID of its service principal (what a link is stored under)."""
    ready_at: float = 0.0
    """Token requests fail with AADSTS700016 until then (replication delay)."""
    created_at: float = 0.0
    """When it was made (the fake's ``clock``): its application, through Graph or :meth:`FakeAzure.add_app`."""
    arm_ready_at: float = 0.0
    """ARM answers 401 until then."""
    deleted: bool = False
    """Deleted from Entra (:meth:`FakeAzure.delete_app`)."""
    application_object_id: str = ""
    """The application object's ID in Microsoft Graph (``/applications/<ID>``), when Graph made the app."""
    display_name: str = ""
    """The application's display name (Graph ``displayName``), when Graph made the app."""
    service_principal: bool = True
    """Whether the app has its service principal in the tenant (Graph: ``POST /servicePrincipals``)."""
    secrets: dict[str, FakeSecret] = field(default_factory=dict, repr=False)
    """Its client secrets, by value."""
    federated: list[FakeFederatedCredential] = field(default_factory=list)
    """Its federated identity credentials."""


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
    """Which requests: ``discovery``, ``token``, ``arm``, ``oidc`` (the pipelines' token endpoints) or ``any``."""
    kind: FaultKind
    """``status``: answer ``status``; ``drop``: close the connection; ``slow``: wait ``delay`` then serve;
    ``gather``: hold each request until ``count`` of them are held at once, then serve them all (and every later one
    at once), or serve it after ``delay`` seconds if they never gather: proof that requests run side by side (use it
    with ``times=None`` and a ``delay`` of a minute or two);
    ``body``: answer 200 with ``payload`` (a lie); ``redirect``: answer ``status`` (307) with ``location``;
    ``echo``: answer 400 with the request's body and Authorization header in the error (as some proxies do);
    ``trickle``: send a 200 answer one byte every ``delay`` seconds; ``foreign_token``: answer the token
    request with a valid token for another app (``payload``: the FakeApp)."""
    status: int = 503
    """HTTP status of a ``status`` or ``redirect`` answer."""
    retry_after: float | None = None
    """``Retry-After`` seconds sent with a ``status`` answer."""
    delay: float = 0.0
    """Seconds to wait (``slow``) or between bytes (``trickle``)."""
    method: str | None = None
    """Only requests with this HTTP method; None: any."""
    times: int | None = 1
    """How many matching requests it hits; None: every one."""
    payload: Any = None
    """The body of a ``body`` answer, or the app of a ``foreign_token`` answer."""
    location: str | None = None
    """``Location`` of a ``redirect`` answer."""
    count: int = 0
    """How many requests a ``gather`` fault holds together."""
    except_client_id: str | None = None
    """Not the token requests of this client (e.g. the deploying identity's, which must not be held)."""


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake served. Bodies and headers are never recorded (they carry secrets)."""

    at: float
    """When (the fake's ``clock``)."""
    method: str
    """HTTP method."""
    path: str
    """Path and query."""
    target: Target
    """Which part of the fake served it."""
    status: int | None
    """None when the fault dropped the connection."""
    client_id: str | None = None
    """The client that asked, when known."""
    tenant_id: str | None = None
    """The tenant asked about, when known."""
    throttled: bool = False
    """Answered 429 by the fake's throttling (:mod:`.throttle`)."""
    before_retry_after: bool = False
    """Sent by a client that a ``Retry-After`` had told to wait, before that wait was over (:mod:`.throttle`)."""


@dataclass(frozen=True)
class LinkEvent:
    """One change of a PAL link the fake stores: linked or re-pointed (PUT, PATCH, or out of band), or unlinked
    (DELETE, or out of band). Its list (``FakeAzure.link_events``) shows whether a link was ever absent."""

    at: float
    """When (the fake's ``clock``)."""
    tenant_id: str
    object_id: str
    """The linked service principal."""
    partner_id: str | None
    """The partner ID linked; None when the link was removed."""


def now_text() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")
