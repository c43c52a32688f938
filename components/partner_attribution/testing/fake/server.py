"""A local HTTPS fake of the Entra token endpoint and the ManagementPartner API: state, faults, server.

What it fakes is in :mod:`.entra` and :mod:`.arm`; its model in :mod:`.model`.

Faithful to what is public (``reference/``): the 2018-02-01 spec and its examples,
and traffic recorded by Microsoft's CLI and PowerShell tests:

* one link per tenant and object ID (the caller's token decides whose link it is);
* PUT ``/partners/{id}`` links, PATCH ``/partners/{id}`` re-points (``createdTime`` kept,
  ``etag``/``version`` + 1), DELETE answers 200 with an empty body, GET ``/partners`` returns
  the caller's link whatever its ID; bodies have the recorded shape (lower-case ``id``).

Not documented anywhere, so modelled and configurable: what PUT does when the caller is linked
to another ID (``put_when_linked_elsewhere``: ``"conflict"`` answers 409, ``"repoint"`` re-points),
the error body for a missing link (404 ``PartnerNotFound``), for a partner ID Microsoft does not
know (400 ``InvalidPartnerId``), and whether a removed link reads as 404 or as ``state: Deleted``
(``deleted_links``).

Entra errors use the statuses and bodies Entra sends: AADSTS700016 as 400 ``unauthorized_client``,
AADSTS7000215 and AADSTS7000222 as 401 ``invalid_client``, AADSTS90002 (unknown tenant) as 400
``invalid_tenant`` at OpenID discovery.

Usage::

    with FakeAzure() as azure:
        app = azure.add_app()                     # a service principal in a new tenant
        secret = azure.add_secret(app)            # an obviously fake secret value
        endpoints = CloudEndpoints.for_cloud(authority_host=azure.authority_host,
                                             arm_endpoint=azure.arm_endpoint)
        # set REQUESTS_CA_BUNDLE=azure.ca_bundle so clients trust the fake's CA

The server listens on 127.0.0.1 only, with a CA of its own made by trustme.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import socket
import ssl
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs, urlsplit

from .arm import arm_error, serve_arm
from .entra import serve_discovery, serve_instance_discovery, serve_token
from .graph import serve_graph
from .model import FakeApp, FakeFederatedCredential, FakeSecret, Fault, LinkEvent, RecordedRequest, Target, now_text
from .oidc import EXCHANGE_AUDIENCE, GITHUB_ISSUER, serve_pipeline_token
from .resources import serve_resources
from .throttle import (
    ARM_DOCUMENTED_LIMITS,
    BucketLimit,
    Operation,
    Throttle,
    Verdict,
    arm_request_refused,
    token_request_refused,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

PUBLIC_HOSTS = (
    "login.microsoftonline.com",
    "management.azure.com",
    "graph.microsoft.com",
    "login.microsoftonline.us",
    "management.usgovcloudapi.net",
    "login.chinacloudapi.cn",
    "management.chinacloudapi.cn",
)
"""Hosts the fake answers for through its proxy (:attr:`FakeAzure.proxy_url`): a program that talks to Azure's
real endpoints (the PAL link with its default endpoints) reaches the fake instead, with its CA, and nothing else."""


class FakeAzure:
    """Entra + ManagementPartner on one local HTTPS port.

    Args:
        partners: partner ID → the partner name the API reports for it.
        accept_any_partner: accept any numeric partner ID; when false, only those in ``partners`` (others are answered
            400 ``InvalidPartnerId``, as are those added to ``rejected_partner_ids``).
        put_when_linked_elsewhere: what PUT does for a caller linked to another partner ID (Microsoft does not
            document it): ``conflict`` (409) or ``repoint``.
        deleted_links: what a deleted link looks like: ``404`` (gone) or ``state`` (kept with ``state: Deleted``).
        latency: seconds added to every answer.
        replication_delay: Entra's replication delay D, in seconds: an application made through Graph, its service
            principal, and a password or federated credential added to it are refused at sign-in (AADSTS700016,
            7000215, 70021) until D seconds after each was made.
        token_throttle: the token endpoint's limit (no documented rate: ``reference/throttling/FACTS.md`` §2), per
            client application in its tenant or per tenant (``token_throttle_per``); None: never throttled.
        arm_throttle: ARM's token buckets per scope, principal and operation type (default: the documented ones,
            :data:`~.throttle.ARM_DOCUMENTED_LIMITS`); None: never throttled.
        clock: the fake's time in seconds (default: ``time.monotonic``): replication delays, throttling, expiry and
            the times it records count by it. A test gives the clock its client waits by (``PartnerLinkClient``'s
            ``clock`` and ``sleep``), so that waiting out a delay takes no wall time.
        signing_key: the RSA key that signs the tokens it issues (default: a new 2048-bit key; tests share one,
            because making one costs a tenth of a second).
    """

    def __init__(
        self,
        *,
        partners: dict[str, str] | None = None,
        accept_any_partner: bool = True,
        put_when_linked_elsewhere: Literal["conflict", "repoint"] = "conflict",
        deleted_links: Literal["404", "state"] = "404",
        latency: float = 0.0,
        replication_delay: float = 0.0,
        token_throttle: BucketLimit | None = None,
        token_throttle_per: Literal["client", "tenant"] = "client",
        arm_throttle: Mapping[Operation, BucketLimit] | Literal["documented"] | None = "documented",
        clock: Callable[[], float] = time.monotonic,
        signing_key: RSAPrivateKey | None = None,
    ) -> None:
        self.partners = dict(partners or {})
        self.accept_any_partner = accept_any_partner
        self.rejected_partner_ids: set[str] = set()
        self.put_when_linked_elsewhere = put_when_linked_elsewhere
        self.deleted_links = deleted_links
        self.latency = latency
        self.clock = clock
        """The fake's time in seconds (see the ``clock`` argument)."""
        self.requests: list[RecordedRequest] = []
        self.connections = 0
        """TLS connections accepted so far (each request on a kept-alive connection reuses one)."""
        self.faults: list[Fault] = []
        self._gathering = threading.Condition()
        self._gathers: dict[int, _Gather] = {}
        self.tenants: set[str] = set()
        self.apps: dict[str, FakeApp] = {}  # by client ID
        self.links: dict[tuple[str, str], dict[str, Any]] = {}  # (tenant, object ID) -> properties
        self.link_events: list[LinkEvent] = []
        """Every change of a link, oldest first (not kept by :meth:`save`)."""
        self.tokens: dict[str, tuple[str, str]] = {}  # access token -> (tenant, client ID)
        self.federation_disabled = False
        """Answer every client assertion with AADSTS700223 (a tenant that disables federation)."""
        self.pipeline_tokens: dict[str, dict[str, Any]] = {}  # request token -> claims of the OIDC token it gets
        self.arm_resources: dict[str, dict[str, Any]] = {}  # lower-case resource ID -> resource (resources.py)
        self.app_ready_after = replication_delay_seconds(replication_delay)
        """Replication delay of an application (and of its service principal) made through Graph (AADSTS700016 until
        then)."""
        self.secret_ready_after = self.app_ready_after
        """Replication delay of a password added through Graph (AADSTS7000215 until then)."""
        self.federated_ready_after = self.app_ready_after
        """Replication delay of a federated credential added through Graph (AADSTS70021 until then)."""
        self.token_throttle = Throttle({"write": token_throttle}) if token_throttle is not None else None
        """Throttling of the token endpoint (:mod:`.throttle`), or None."""
        self.token_throttle_per = token_throttle_per
        if arm_throttle == "documented":
            arm_throttle = {op: BucketLimit(*limit) for op, limit in ARM_DOCUMENTED_LIMITS.items()}
        self.arm_throttle = Throttle(dict(arm_throttle)) if arm_throttle is not None else None
        """Throttling of ARM (:mod:`.throttle`), or None."""
        self.provider_configurations: list[dict[str, Any]] = []
        """What each fake provider plugin was configured with (``partner_attribution.testing.plugins``), in order."""
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.signing_key = signing_key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.signing_public_key = self.signing_key.public_key()
        self.lock = threading.RLock()
        self._in_flight = 0
        self.most_in_flight = 0
        """The most requests served at the same time so far (how far clients' requests overlapped)."""
        self._idle = threading.Condition(self.lock)
        """Signalled when a request finishes; see :meth:`wait_idle`."""
        self._server: ThreadingHTTPServer | None = None
        self._proxy: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._tls: ssl.SSLContext | None = None
        self._tmp = tempfile.TemporaryDirectory(prefix="fake-azure-")
        self.ca_bundle = str(Path(self._tmp.name) / "fake-azure-ca.pem")

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> FakeAzure:
        """Serve on a free port of 127.0.0.1 with a new CA (its bundle at ``ca_bundle``); returns the fake."""
        import trustme

        ca = trustme.CA(organization_name="partner-attribution fake Azure CA")
        cert = ca.issue_cert("127.0.0.1", "localhost", *PUBLIC_HOSTS)
        ca.cert_pem.write_to_path(self.ca_bundle)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        self._tls = context
        fake = self

        class Handler(RequestContext):
            azure = fake

        server = _QuietServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": _SHUTDOWN_POLL_SECONDS}, name="fake-azure", daemon=True
        )
        self._thread.start()
        proxy = _QuietServer(("127.0.0.1", 0), Handler)
        proxy.daemon_threads = True
        self._proxy = proxy
        threading.Thread(
            target=proxy.serve_forever, kwargs={"poll_interval": _SHUTDOWN_POLL_SECONDS}, name="fake-azure-proxy", daemon=True
        ).start()
        return self

    def stop(self) -> None:
        """Stop serving and delete the CA bundle."""
        for server in (self._server, self._proxy):
            if server is not None:
                server.shutdown()
                server.server_close()
        self._server = self._proxy = None
        self._tmp.cleanup()

    def __enter__(self) -> FakeAzure:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``https://127.0.0.1:<port>``, once started."""
        assert self._server is not None, "start() the fake first"
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    @property
    def authority_host(self) -> str:
        """Where Entra's endpoints are (give it as the authority host)."""
        return self.base_url

    @property
    def arm_endpoint(self) -> str:
        """Where the ManagementPartner API is (give it as the ARM endpoint)."""
        return self.base_url

    @property
    def proxy_url(self) -> str:
        """An HTTP proxy that tunnels ``CONNECT`` to Azure's public hosts (:data:`PUBLIC_HOSTS`) into the fake, and
        refuses every other host: a client using Azure's real endpoints through it talks to the fake."""
        assert self._proxy is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._proxy.server_address[1]}"

    def environment(self, *, proxy: bool = False) -> dict[str, str]:
        """Environment variables that make requests-based clients trust the fake; with ``proxy``, also send
        Azure's public endpoints to it (:attr:`proxy_url`)."""
        env = {
            "REQUESTS_CA_BUNDLE": self.ca_bundle,
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
        if proxy:
            env.update(HTTPS_PROXY=self.proxy_url, https_proxy=self.proxy_url)
        return env

    def caller(self, h: RequestContext) -> tuple[str, str] | None:
        """(tenant, client ID) of the fake access token a request carries, or None."""
        auth = h.headers.get("Authorization", "")
        identity = self.tokens.get(auth[7:]) if auth.lower().startswith("bearer ") else None
        if identity is not None:
            h.meta.update(tenant_id=identity[0], client_id=identity[1])
        return identity

    def app_by_object_id(self, tenant: str, object_id: str) -> FakeApp | None:
        """The app whose service principal has ``object_id`` in ``tenant`` (deleted ones are gone)."""
        with self.lock:
            return next(
                (a for a in self.apps.values() if a.object_id == object_id and a.tenant_id == tenant and not a.deleted), None
            )

    def app_by_application_id(self, tenant: str, application_object_id: str) -> FakeApp | None:
        """The app whose application object (Graph ``/applications/<ID>``) is ``application_object_id``."""
        with self.lock:
            return next(
                (
                    a
                    for a in self.apps.values()
                    if a.application_object_id == application_object_id and a.tenant_id == tenant and not a.deleted
                ),
                None,
            )

    def role_assignments(self) -> list[dict[str, Any]]:
        """The role assignments ARM holds (each with ``id``, ``name`` and ``properties``)."""
        with self.lock:
            return [dict(r) for k, r in self.arm_resources.items() if "/providers/microsoft.authorization/roleassignments/" in k]

    # -- saved state ---------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write the directory, links and ARM resources to ``path`` (JSON), for a later :meth:`load`: what
        ``partner-attribution rehearse`` keeps between commands. Replication delays are not kept (all caught up);
        a password's expiry is kept as its wall-clock time."""
        now, wall = self.clock(), time.time()
        with self.lock:
            apps = [
                {
                    "tenant_id": a.tenant_id, "client_id": a.client_id, "object_id": a.object_id, "deleted": a.deleted,
                    "application_object_id": a.application_object_id, "display_name": a.display_name,
                    "service_principal": a.service_principal,
                    "secrets": [
                        {"value": v, "key_id": s.key_id, "revoked": s.revoked,
                         "expires": None if s.expires_at is None else wall + (s.expires_at - now)}
                        for v, s in a.secrets.items()
                    ],
                    "federated": [
                        {"issuer": f.issuer, "subject": f.subject, "audience": f.audience, "id": f.id, "name": f.name}
                        for f in a.federated
                    ],
                }
                for a in self.apps.values()
            ]  # fmt: skip
            state = {
                "tenants": sorted(self.tenants),
                "apps": apps,
                "links": [{"tenant": t, "object_id": o, "link": link} for (t, o), link in self.links.items()],
                "arm_resources": self.arm_resources,
            }
        path.write_text(json.dumps(state, indent=1))
        path.chmod(0o600)  # it holds the fake's passwords

    def load(self, path: Path) -> None:
        """Read what :meth:`save` wrote (nothing when ``path`` does not exist)."""
        if not path.exists():
            return
        state = json.loads(path.read_text())
        now, wall = self.clock(), time.time()
        with self.lock:
            self.tenants.update(state["tenants"])
            for entry in state["apps"]:
                app = FakeApp(
                    entry["tenant_id"], entry["client_id"], entry["object_id"], deleted=entry["deleted"],
                    application_object_id=entry["application_object_id"], display_name=entry["display_name"],
                    service_principal=entry["service_principal"],
                )  # fmt: skip
                for secret in entry["secrets"]:
                    expires = secret["expires"]
                    app.secrets[secret["value"]] = FakeSecret(
                        key_id=secret["key_id"],
                        revoked=secret["revoked"],
                        expires_at=None if expires is None else now + (expires - wall),
                    )
                app.federated = [FakeFederatedCredential(**f) for f in entry["federated"]]
                self.apps[app.client_id] = app
            for entry in state["links"]:
                self.links[(entry["tenant"], entry["object_id"])] = entry["link"]
            self.arm_resources.update(state["arm_resources"])

    # -- directory -----------------------------------------------------------------------------
    def add_tenant(self, tenant_id: str | None = None) -> str:
        """Add a tenant (a new GUID unless ``tenant_id`` is given); returns its ID."""
        tenant = tenant_id or str(uuid.uuid4())
        with self.lock:
            self.tenants.add(tenant)
        return tenant

    def add_app(
        self,
        tenant_id: str | None = None,
        *,
        client_id: str | None = None,
        object_id: str | None = None,
        ready_after: float = 0.0,
        arm_ready_after: float = 0.0,
    ) -> FakeApp:
        """Register a service principal; it becomes usable ``ready_after`` seconds from now."""
        tenant = self.add_tenant(tenant_id)
        now = self.clock()
        app = FakeApp(
            tenant_id=tenant,
            client_id=client_id or str(uuid.uuid4()),
            object_id=object_id or str(uuid.uuid4()),
            ready_at=now + ready_after,
            arm_ready_at=now + arm_ready_after,
            created_at=now,
        )
        with self.lock:
            self.apps[app.client_id] = app
        return app

    def add_secret(
        self, app: FakeApp, *, ready_after: float = 0.0, expires_after: float | None = None, value: str | None = None
    ) -> str:
        """Add a client secret: an obviously fake value unless one is given."""
        secret = value or f"fake-secret-{secrets.token_hex(12)}"
        now = self.clock()
        with self.lock:
            app.secrets[secret] = FakeSecret(
                ready_at=now + ready_after,
                key_id=str(uuid.uuid4()),
                expires_at=None if expires_after is None else now + expires_after,
            )
        return secret

    def make_ready(self, app: FakeApp, secret: str | None = None) -> None:
        """Entra catches up now: the app (and ``secret``) become usable, whatever delay they were given."""
        with self.lock:
            app.ready_at = 0.0
            if secret is not None:
                app.secrets[secret].ready_at = 0.0

    def expire_secret(self, app: FakeApp, secret: str) -> None:
        """The secret has expired from now on (AADSTS7000222)."""
        with self.lock:
            app.secrets[secret].expires_at = self.clock() - 1

    def revoke_secret(self, app: FakeApp, secret: str) -> None:
        """The secret is removed from the app from now on (AADSTS7000215)."""
        with self.lock:
            app.secrets[secret].revoked = True

    def delete_app(self, app: FakeApp) -> None:
        """The app is deleted from now on: Entra no longer knows it."""
        with self.lock:
            app.deleted = True

    def add_federated_credential(
        self, app: FakeApp, issuer: str, subject: str, *, audience: str = EXCHANGE_AUDIENCE, ready_after: float = 0.0
    ) -> FakeFederatedCredential:
        """Trust ``issuer`` + ``subject`` on ``app``; usable ``ready_after`` seconds from now (AADSTS70021 before)."""
        credential = FakeFederatedCredential(issuer, subject, audience, self.clock() + ready_after, str(uuid.uuid4()))
        with self.lock:
            app.federated.append(credential)
        return credential

    # -- tokens ----------------------------------------------------------------------------------
    def sign(self, claims: dict[str, Any]) -> str:
        """A JWT signed with the fake's key (RS256), as an identity provider would sign it."""
        import jwt

        return jwt.encode(claims, self.signing_key, algorithm="RS256", headers={"kid": "fake-key-1"})

    def access_token_for(self, app: FakeApp) -> str:
        """An ARM access token for ``app``, with the claims Entra puts in one (tid, appid, oid), and remembered
        so the fake's ARM knows whose it is."""
        now = int(time.time())
        token = self.sign(
            {
                "aud": "https://management.azure.com/",
                "iss": f"https://sts.windows.net/{app.tenant_id}/",
                "iat": now,
                "nbf": now,
                "exp": now + 3600,
                "tid": app.tenant_id,
                "appid": app.client_id,
                "oid": app.object_id,
                "sub": app.object_id,
                "idtyp": "app",
                "jti": secrets.token_hex(8),
            }
        )
        with self.lock:
            self.tokens[token] = (app.tenant_id, app.client_id)
        return token

    @property
    def issuer(self) -> str:
        """The fake's own OIDC issuer (discovery and JWKS under it)."""
        return f"{self.base_url}/oidc"

    def issue_oidc_token(
        self, subject: str, *, issuer: str | None = None, audience: str = EXCHANGE_AUDIENCE, lifetime: float = 600.0
    ) -> str:
        """A pipeline's OIDC token: ``issuer`` (default: the fake's own) claims ``subject`` for ``audience``."""
        now = time.time()
        return self.sign(
            {
                "iss": issuer or self.issuer,
                "sub": subject,
                "aud": audience,
                "iat": int(now),
                "nbf": int(now),
                "exp": int(now + lifetime),
            }
        )

    def github_actions_environment(self, subject: str, *, issuer: str = GITHUB_ISSUER, lifetime: float = 600.0) -> dict[str, str]:
        """The variables a GitHub Actions job with ``id-token: write`` has, pointing at a stand-in of its token
        endpoint: ``GET <url>&audience=<aud>`` with the request token answers ``{"value": <JWT>}``."""
        request_token = f"fake-actions-request-{secrets.token_hex(12)}"
        with self.lock:
            self.pipeline_tokens[request_token] = {"iss": issuer, "sub": subject, "lifetime": lifetime}
        return {
            "ACTIONS_ID_TOKEN_REQUEST_URL": f"{self.base_url}/_actions/idtoken?api-version=2.0",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": request_token,
        }

    def azure_pipelines_environment(self, subject: str, *, issuer: str, service_connection_id: str) -> dict[str, str]:
        """The variables of an Azure Pipelines job, pointing at a stand-in of its OIDC request endpoint."""
        access_token = f"fake-system-access-{secrets.token_hex(12)}"
        with self.lock:
            self.pipeline_tokens[access_token] = {
                "iss": issuer,
                "sub": subject,
                "lifetime": 600.0,
                "connection": service_connection_id,
            }
        return {
            "SYSTEM_OIDCREQUESTURI": f"{self.base_url}/_ado/oidctoken",
            "SYSTEM_ACCESSTOKEN": access_token,
            "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID": service_connection_id,
        }

    # -- links ---------------------------------------------------------------------------------
    def link_of(self, app: FakeApp) -> dict[str, Any] | None:
        """The app's PAL link as the API stores it (partnerId, state, version, ...), or None."""
        with self.lock:
            link = self.links.get((app.tenant_id, app.object_id))
            return dict(link) if link else None

    def set_link(self, app: FakeApp, partner_id: str) -> None:
        """Link (or re-point) ``app`` out of band, as another tool or partner would."""
        with self.lock:
            self.write_link(app.tenant_id, app.object_id, partner_id)

    def remove_link(self, app: FakeApp) -> None:
        """Unlink ``app`` out of band."""
        with self.lock:
            self.delete_link(app.tenant_id, app.object_id)

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until no request is being served (slow answers finish after their client gave up)."""
        with self._idle:
            if not self._idle.wait_for(lambda: self._in_flight == 0, timeout):
                raise TimeoutError(f"{self._in_flight} requests still in flight after {timeout}s")

    @contextlib.contextmanager
    def serving(self) -> Any:
        """Count a request in flight while it is served (for :meth:`wait_idle`)."""
        with self.lock:
            self._in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self._in_flight)
        try:
            yield
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def inject(self, fault: Fault) -> Fault:
        """Apply ``fault`` to the matching requests from now on; returns it (its ``times`` counts down)."""
        with self.lock:
            self.faults.append(fault)
        return fault

    def requests_to(self, target: Target) -> list[RecordedRequest]:
        """The requests served to ``target`` (``any``: all), oldest first."""
        return [r for r in self.requests if target in ("any", r.target)]

    def clear_requests(self) -> None:
        """Forget the requests recorded so far."""
        with self.lock:
            self.requests.clear()

    def partner_name(self, partner_id: str) -> str:
        """The partner name the API reports for ``partner_id`` (``partners``, else ``Partner <id>``)."""
        return self.partners.get(partner_id, f"Partner {partner_id}")

    def write_link(self, tenant: str, object_id: str, partner_id: str) -> dict[str, Any]:
        """Store a link as PUT and PATCH do (an active link re-pointed keeps ``createdTime``; ``version`` + 1); used
        by the handlers and :meth:`set_link`."""
        existing = self.links.get((tenant, object_id))
        now = now_text()
        if existing and existing["state"] == "Active":
            version = existing["version"] + 1
            created = existing["createdTime"]
        else:
            version = (existing["version"] + 1) if existing else 1
            created = now
        link = {
            "partnerId": partner_id,
            "partnerName": self.partner_name(partner_id),
            "tenantId": tenant,
            "objectId": object_id,
            "version": version,
            "updatedTime": now,
            "createdTime": created,
            "state": "Active",
        }
        self.links[(tenant, object_id)] = link
        self.link_events.append(LinkEvent(self.clock(), tenant, object_id, partner_id))
        return link

    def delete_link(self, tenant: str, object_id: str) -> None:
        """Remove a link as DELETE does (or mark it ``Deleted`` with ``deleted_links="state"``); used by the handlers
        and :meth:`remove_link`."""
        link = self.links.get((tenant, object_id))
        if link is None:
            return
        if self.deleted_links == "state":
            link.update(state="Deleted", version=link["version"] + 1, updatedTime=now_text())
        else:
            del self.links[(tenant, object_id)]
        self.link_events.append(LinkEvent(self.clock(), tenant, object_id, None))

    def take_fault(self, target: Target, method: str, client_id: str | None = None) -> Fault | None:
        """The first injected fault that matches a request (``client_id``: a token request's), counted down; used by
        the handlers."""
        with self.lock:
            for fault in self.faults:
                excepted = fault.except_client_id is not None and fault.except_client_id == client_id
                if fault.target in (target, "any") and fault.method in (None, method) and fault.times != 0 and not excepted:
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None


    def gather(self, fault: Fault) -> None:
        """Hold a request of a ``gather`` fault until ``fault.count`` of its requests are held at once, then let them
        all go (and every later one straight through), or let this one go after ``fault.delay`` seconds."""
        with self._gathering:
            # Keyed by id() with the fault itself kept in the entry, so that no other fault can take its id.
            entry = self._gathers.setdefault(id(fault), _Gather(fault))
            entry.held += 1
            if entry.held >= fault.count:
                entry.gathered = True
                self._gathering.notify_all()
            elif not self._gathering.wait_for(lambda: entry.gathered, timeout=fault.delay):
                entry.held -= 1  # it goes on alone: no longer held


@dataclass
class _Gather:
    """What a ``gather`` fault holds: how many requests now, and whether they have gathered."""

    fault: Fault
    held: int = 0
    gathered: bool = False


def replication_delay_seconds(value: object) -> float:
    """A replication delay as seconds: a finite number, 0 or more (:class:`ValueError` naming it otherwise)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0 or value == float("inf"):
        raise ValueError(f"replication_delay must be a number of seconds, 0 or more, not {value!r}")
    return float(value)


_SHUTDOWN_POLL_SECONDS = 0.02
"""How often a server's loop looks for :meth:`FakeAzure.stop`'s request to end (socketserver's default, 0.5 s, made
every stop wait up to half a second per server: most of the test suite's time)."""


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    """Connections waiting to be accepted (socketserver's default is 5): more clients opening connections at once
    (``verify``'s 16) had their connection attempts dropped and retried a second later."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout, injected drop) is part of the scenarios, not an error.
        return


class RequestContext(BaseHTTPRequestHandler):
    """One request being served; :mod:`.entra` and :mod:`.arm` answer through :meth:`send`."""

    azure: FakeAzure
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    """An answer's headers and body go out as two writes; with Nagle's algorithm the body waited for the client's
    delayed acknowledgement of the headers, about 40 ms on Linux, so every answer took that much longer than
    ``latency`` says."""

    def setup(self) -> None:
        super().setup()
        with self.azure.lock:
            self.azure.connections += 1

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence default stderr logging
        return

    # every method goes through one dispatcher
    def do_GET(self) -> None:
        self._dispatch()

    def do_CONNECT(self) -> None:
        """The proxy: a tunnel to one of Azure's public hosts is served by the fake itself, in TLS with the fake's
        certificate (valid for those hosts under the fake's CA); any other host is refused."""
        host = self.path.rsplit(":", 1)[0].lower()
        context = self.azure._tls
        if host not in PUBLIC_HOSTS or context is None:
            self.send_response(403, "the fake Azure proxy only tunnels to Azure's public hosts")
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.close_connection = True
            return
        self.send_response(200, "Connection Established")
        self.end_headers()
        self.wfile.flush()
        tunnel = context.wrap_socket(self.connection, server_side=True)
        self.connection = tunnel
        self.rfile = tunnel.makefile("rb")
        self.wfile = tunnel.makefile("wb")
        self.close_connection = False  # http.server reads the tunnelled requests next, from the TLS stream

    do_PUT = do_PATCH = do_DELETE = do_POST = do_GET  # noqa: N815 - http.server's method names

    def _dispatch(self) -> None:
        with self.azure.serving():
            self._serve()

    def _serve(self) -> None:
        url = urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        lowered = url.path.lower()
        if lowered.startswith("/providers/microsoft.managementpartner"):
            target: Target = "arm"
        elif url.path.endswith("/oauth2/v2.0/token"):
            target = "token"
        elif url.path.startswith(("/oidc", "/_actions", "/_ado")):
            target = "oidc"
        elif url.path.startswith("/_fake/"):
            target = "control"
        elif url.path.startswith("/v1.0/"):
            target = "graph"
        elif "/providers/" in lowered:
            target = "arm"
        else:
            target = "discovery"
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fake = self.azure
        if fake.latency:
            time.sleep(fake.latency)
        client_id = parse_qs(body.decode("utf-8", "replace")).get("client_id", [None])[0] if target == "token" else None
        fault = fake.take_fault(target, self.command, client_id)
        self.meta: dict[str, str | None] = {"client_id": None, "tenant_id": None}
        self.throttle_verdict: Verdict | None = None
        if fault is not None:
            if fault.kind == "slow":
                time.sleep(fault.delay)
            elif fault.kind == "gather":
                fake.gather(fault)
            elif fault.kind == "drop":
                self.record(target, url.path, None)
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            elif fault.kind in ("body", "redirect", "echo", "trickle", "foreign_token"):
                self._lie(fault, target, url.path, body)
                return
            else:
                headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
                if fault.payload is not None:
                    payload = fault.payload
                elif target == "arm":
                    payload = arm_error(
                        "ServerError" if fault.status >= 500 else "TooManyRequests", f"Injected fault {fault.status}"
                    )
                else:
                    payload = {
                        "error": "temporarily_unavailable",
                        "error_description": f"Injected fault {fault.status}",
                    }
                self.send(target, url.path, fault.status, payload, headers)
                return
        if target == "token" and token_request_refused(self, url.path, parts, body):
            return
        if target == "arm" and arm_request_refused(self, url.path):
            return
        if target == "oidc":
            serve_pipeline_token(self, parts, url.path, parse_qs(url.query))
        elif target == "control":
            self._control(parts, url.path, body)
        elif target == "graph":
            serve_graph(self, parts, url.path, body)
        elif target == "arm" and not lowered.startswith("/providers/microsoft.managementpartner"):
            serve_resources(self, url.path, body)
        elif target == "discovery" and [p.lower() for p in parts] == ["common", "discovery", "instance"]:
            serve_instance_discovery(self, url.path, parse_qs(url.query))
        elif target == "discovery":
            serve_discovery(self, parts, url.path)
        elif target == "token":
            serve_token(self, parts, url.path, body)
        else:
            serve_arm(self, parts, url.path, parse_qs(url.query))

    def public_base(self) -> str:
        """The base URL this request was sent to: an Azure public host through the proxy, else the fake's own."""
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        return f"https://{host}" if host in PUBLIC_HOSTS else self.azure.base_url

    def _control(self, parts: list[str], path: str, body: bytes) -> None:
        """``POST /_fake/providers/<name>/configuration``: a fake provider plugin reports what it was configured
        with (kept in :attr:`FakeAzure.provider_configurations`)."""
        if len(parts) == 4 and parts[1] == "providers" and parts[3] == "configuration" and self.command == "POST":
            record = {"provider": parts[2], **json.loads(body or b"{}")}
            with self.azure.lock:
                self.azure.provider_configurations.append(record)
            self.send("control", path, 204, None)
            return
        self.send("control", path, 404, {"error": "not_found"})

    def _lie(self, fault: Fault, target: Target, path: str, body: bytes) -> None:
        """Answers that look fine and aren't: what a hostile network or a confused service would send."""
        if fault.kind == "body":
            self.send(target, path, 200, fault.payload)
        elif fault.kind == "redirect":
            self.send(
                target,
                path,
                fault.status if 300 <= fault.status < 400 else 307,
                None,
                {"Location": fault.location or "https://example.invalid/"},
            )
        elif fault.kind == "echo":
            echoed = f"{self.headers.get('Authorization', '')} {body.decode(errors='replace')}"
            if target == "arm":
                self.send(target, path, 400, arm_error("InvalidRequest", f"Could not process request: {echoed}"))
            else:
                self.send(
                    target,
                    path,
                    400,
                    {"error": "invalid_request", "error_description": f"AADSTS900144: could not process {echoed}"},
                )
        elif fault.kind == "foreign_token":
            token = self.azure.access_token_for(fault.payload)
            self.send(
                target, path, 200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}
            )
        else:  # trickle: a valid-looking answer, one byte at a time
            data = json.dumps(fault.payload if fault.payload is not None else {"partial": "x" * 64}).encode()
            self.record(target, path, 200)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            for index in range(len(data)):
                try:
                    self.wfile.write(data[index : index + 1])
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(fault.delay)

    def record(self, target: Target, path: str, status: int | None) -> None:
        verdict = getattr(self, "throttle_verdict", None)
        with self.azure.lock:
            self.azure.requests.append(
                RecordedRequest(
                    self.azure.clock(),
                    self.command,
                    path,
                    target,
                    status,
                    self.meta["client_id"],
                    self.meta["tenant_id"],
                    throttled=verdict is not None and verdict.retry_after is not None,
                    before_retry_after=verdict is not None and verdict.before_retry_after,
                )
            )

    def send(self, target: Target, path: str, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = b"" if payload is None else payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.record(target, path, status)
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
