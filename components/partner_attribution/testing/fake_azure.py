"""A local HTTPS fake of the Entra token endpoint and the ManagementPartner API.

Faithful to what is public (``../shared/reference``): the 2018-02-01 spec and its examples,
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
import datetime as dt
import json
import secrets
import socket
import ssl
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

API_VERSION = "2018-02-01"
OPERATIONS = [  # spec example GetOperations.json
    {
        "name": f"Microsoft.ManagementPartner/partners/{op}",
        "display": {
            "provider": "Microsoft ManagementPartner",
            "resource": "ManagementPartner",
            "operation": title,
            "description": desc,
        },
    }
    for op, title, desc in [
        ("read", "Get ManagementPartner", "Read All ManagementPartner"),
        ("write", "Create ManagementPartner", "Create any ManagementPartner"),
        ("action", "Update ManagementPartner", "Update any ManagementPartner"),
        ("delete", "Delete ManagementPartner", "Delete any ManagementPartner"),
    ]
]

Target = Literal["discovery", "token", "arm", "any"]


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
    secrets: dict[str, FakeSecret] = field(default_factory=dict, repr=False)


@dataclass
class FakeSecret:
    ready_at: float = 0.0
    expires_at: float | None = None
    revoked: bool = False


@dataclass
class Fault:
    """A fault to inject into matching requests, ``times`` times (``None``: always)."""

    target: Target
    kind: Literal["status", "drop", "slow"]
    status: int = 503
    retry_after: float | None = None
    delay: float = 0.0
    method: str | None = None
    times: int | None = 1


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


def _now_text() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


class FakeAzure:
    """Entra + ManagementPartner on one local HTTPS port."""

    def __init__(
        self,
        *,
        partners: dict[str, str] | None = None,
        accept_any_partner: bool = True,
        put_when_linked_elsewhere: Literal["conflict", "repoint"] = "conflict",
        deleted_links: Literal["404", "state"] = "404",
        latency: float = 0.0,
    ) -> None:
        self.partners = dict(partners or {})
        self.accept_any_partner = accept_any_partner
        self.rejected_partner_ids: set[str] = set()
        self.put_when_linked_elsewhere = put_when_linked_elsewhere
        self.deleted_links = deleted_links
        self.latency = latency
        self.requests: list[RecordedRequest] = []
        self.faults: list[Fault] = []
        self.tenants: set[str] = set()
        self.apps: dict[str, FakeApp] = {}  # by client ID
        self.links: dict[tuple[str, str], dict[str, Any]] = {}  # (tenant, object ID) -> properties
        self._tokens: dict[str, tuple[str, str]] = {}  # access token -> (tenant, client ID)
        self._lock = threading.RLock()
        self._in_flight = 0
        self._idle = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._tmp = tempfile.TemporaryDirectory(prefix="fake-azure-")
        self.ca_bundle = str(Path(self._tmp.name) / "fake-azure-ca.pem")

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> FakeAzure:
        import trustme

        ca = trustme.CA(organization_name="partner-attribution fake Azure CA")
        cert = ca.issue_cert("127.0.0.1", "localhost")
        ca.cert_pem.write_to_path(self.ca_bundle)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        fake = self

        class Handler(_Handler):
            azure = fake

        server = _QuietServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="fake-azure", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self._tmp.cleanup()

    def __enter__(self) -> FakeAzure:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    @property
    def authority_host(self) -> str:
        return self.base_url

    @property
    def arm_endpoint(self) -> str:
        return self.base_url

    def environment(self) -> dict[str, str]:
        """Environment variables that make requests-based clients trust the fake."""
        return {
            "REQUESTS_CA_BUNDLE": self.ca_bundle,
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }

    # -- directory -----------------------------------------------------------------------------
    def add_tenant(self, tenant_id: str | None = None) -> str:
        tenant = tenant_id or str(uuid.uuid4())
        with self._lock:
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
        now = time.monotonic()
        app = FakeApp(
            tenant_id=tenant,
            client_id=client_id or str(uuid.uuid4()),
            object_id=object_id or str(uuid.uuid4()),
            ready_at=now + ready_after,
            arm_ready_at=now + arm_ready_after,
        )
        with self._lock:
            self.apps[app.client_id] = app
        return app

    def add_secret(
        self, app: FakeApp, *, ready_after: float = 0.0, expires_after: float | None = None, value: str | None = None
    ) -> str:
        """Add a client secret: an obviously fake value unless one is given."""
        secret = value or f"fake-secret-{secrets.token_hex(12)}"
        now = time.monotonic()
        with self._lock:
            app.secrets[secret] = FakeSecret(
                ready_at=now + ready_after, expires_at=None if expires_after is None else now + expires_after
            )
        return secret

    def expire_secret(self, app: FakeApp, secret: str) -> None:
        with self._lock:
            app.secrets[secret].expires_at = time.monotonic() - 1

    def revoke_secret(self, app: FakeApp, secret: str) -> None:
        with self._lock:
            app.secrets[secret].revoked = True

    def delete_app(self, app: FakeApp) -> None:
        with self._lock:
            app.deleted = True

    # -- links ---------------------------------------------------------------------------------
    def link_of(self, app: FakeApp) -> dict[str, Any] | None:
        with self._lock:
            link = self.links.get((app.tenant_id, app.object_id))
            return dict(link) if link else None

    def set_link(self, app: FakeApp, partner_id: str) -> None:
        """Link (or re-point) ``app`` out of band, as another tool or partner would."""
        with self._lock:
            self._write_link(app.tenant_id, app.object_id, partner_id)

    def remove_link(self, app: FakeApp) -> None:
        """Unlink ``app`` out of band."""
        with self._lock:
            self._delete_link(app.tenant_id, app.object_id)

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until no request is being served (slow answers finish after their client gave up)."""
        with self._idle:
            if not self._idle.wait_for(lambda: self._in_flight == 0, timeout):
                raise TimeoutError(f"{self._in_flight} requests still in flight after {timeout}s")

    def inject(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def requests_to(self, target: Target) -> list[RecordedRequest]:
        return [r for r in self.requests if target in ("any", r.target)]

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def _partner_name(self, partner_id: str) -> str:
        return self.partners.get(partner_id, f"Partner {partner_id}")

    def _write_link(self, tenant: str, object_id: str, partner_id: str) -> dict[str, Any]:
        existing = self.links.get((tenant, object_id))
        now = _now_text()
        if existing and existing["state"] == "Active":
            version = existing["version"] + 1
            created = existing["createdTime"]
        else:
            version = (existing["version"] + 1) if existing else 1
            created = now
        link = {
            "partnerId": partner_id,
            "partnerName": self._partner_name(partner_id),
            "tenantId": tenant,
            "objectId": object_id,
            "version": version,
            "updatedTime": now,
            "createdTime": created,
            "state": "Active",
        }
        self.links[(tenant, object_id)] = link
        return link

    def _delete_link(self, tenant: str, object_id: str) -> None:
        link = self.links.get((tenant, object_id))
        if link is None:
            return
        if self.deleted_links == "state":
            link.update(state="Deleted", version=link["version"] + 1, updatedTime=_now_text())
        else:
            del self.links[(tenant, object_id)]

    def _take_fault(self, target: Target, method: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.target in (target, "any") and fault.method in (None, method) and fault.times != 0:
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout, injected drop) is part of the scenarios, not an error.
        return


def _entra_error(error: str, code: int, description: str) -> dict[str, Any]:
    return {
        "error": error,
        "error_description": f"AADSTS{code}: {description} Trace ID: {uuid.uuid4()} "
        f"Correlation ID: {uuid.uuid4()} Timestamp: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M:%SZ}",
        "error_codes": [code],
        "timestamp": f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M:%SZ}",
        "trace_id": str(uuid.uuid4()),
        "correlation_id": str(uuid.uuid4()),
    }


def _arm_error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


class _Handler(BaseHTTPRequestHandler):
    azure: FakeAzure
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence default stderr logging
        return

    # every method goes through one dispatcher
    def do_GET(self) -> None:
        self._dispatch()

    do_PUT = do_PATCH = do_DELETE = do_POST = do_GET  # noqa: N815 - http.server's method names

    def _dispatch(self) -> None:
        with self.azure._lock:
            self.azure._in_flight += 1
        try:
            self._serve()
        finally:
            with self.azure._idle:
                self.azure._in_flight -= 1
                self.azure._idle.notify_all()

    def _serve(self) -> None:
        url = urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        if url.path.lower().startswith("/providers/microsoft.managementpartner"):
            target: Target = "arm"
        elif url.path.endswith("/oauth2/v2.0/token"):
            target = "token"
        else:
            target = "discovery"
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fake = self.azure
        if fake.latency:
            time.sleep(fake.latency)
        fault = fake._take_fault(target, self.command)
        self._meta: dict[str, str | None] = {"client_id": None, "tenant_id": None}
        if fault is not None:
            if fault.kind == "slow":
                time.sleep(fault.delay)
            elif fault.kind == "drop":
                self._record(target, url.path, None)
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            else:
                headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
                if target == "arm":
                    payload = _arm_error(
                        "ServerError" if fault.status >= 500 else "TooManyRequests", f"Injected fault {fault.status}"
                    )
                else:
                    payload = {
                        "error": "temporarily_unavailable",
                        "error_description": f"Injected fault {fault.status}",
                    }
                self._send(target, url.path, fault.status, payload, headers)
                return
        if target == "discovery":
            self._discovery(parts, url.path)
        elif target == "token":
            self._token(parts, url.path, body)
        else:
            self._arm(parts, url.path, parse_qs(url.query))

    def _record(self, target: Target, path: str, status: int | None) -> None:
        with self.azure._lock:
            self.azure.requests.append(
                RecordedRequest(
                    time.monotonic(),
                    self.command,
                    path,
                    target,
                    status,
                    self._meta["client_id"],
                    self._meta["tenant_id"],
                )
            )

    def _send(self, target: Target, path: str, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = b"" if payload is None else json.dumps(payload).encode()
        self._record(target, path, status)
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    # -- Entra ---------------------------------------------------------------------------------
    def _discovery(self, parts: list[str], path: str) -> None:
        fake = self.azure
        if len(parts) >= 3 and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            tenant = parts[0]
            self._meta["tenant_id"] = tenant
            if tenant not in fake.tenants:
                self._send("discovery", path, 400, _entra_error("invalid_tenant", 90002, f"Tenant '{tenant}' not found."))
                return
            base = f"{fake.base_url}/{tenant}"
            self._send(
                "discovery",
                path,
                200,
                {
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "issuer": f"{base}/v2.0",
                    "token_endpoint_auth_methods_supported": [
                        "client_secret_post",
                        "private_key_jwt",
                        "client_secret_basic",
                    ],
                    "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                    "tenant_region_scope": "EU",
                },
            )
            return
        self._send("discovery", path, 404, {"error": "not_found"})

    def _token(self, parts: list[str], path: str, body: bytes) -> None:
        fake = self.azure
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        tenant = parts[0]
        client_id = form.get("client_id", "")
        self._meta.update(client_id=client_id, tenant_id=tenant)
        now = time.monotonic()
        with fake._lock:
            app = fake.apps.get(client_id)
            if tenant not in fake.tenants:
                self._send("token", path, 400, _entra_error("invalid_request", 90002, f"Tenant '{tenant}' not found."))
                return
            if app is None or app.deleted or app.tenant_id != tenant or now < app.ready_at:
                self._send(
                    "token",
                    path,
                    400,
                    _entra_error(
                        "unauthorized_client",
                        700016,
                        f"Application with identifier '{client_id}' was not found in the directory '{tenant}'. "
                        "This can happen if the application has not been installed by the administrator of the tenant "
                        "or consented to by any user in the tenant.",
                    ),
                )
                return
            secret = app.secrets.get(form.get("client_secret", ""))
            if secret is not None and secret.expires_at is not None and now >= secret.expires_at:
                self._send(
                    "token",
                    path,
                    401,
                    _entra_error(
                        "invalid_client",
                        7000222,
                        f"The provided client secret keys for app '{client_id}' are expired. Visit the Azure portal "
                        "to create new keys for your app: https://aka.ms/NewClientSecret, or consider using "
                        "certificate credentials for added security: https://aka.ms/certCreds.",
                    ),
                )
                return
            if secret is None or secret.revoked or now < secret.ready_at:
                self._send(
                    "token",
                    path,
                    401,
                    _entra_error(
                        "invalid_client",
                        7000215,
                        "Invalid client secret provided. Ensure the secret being sent in the request is the client "
                        f"secret value, not the client secret ID, for a secret added to app '{client_id}'.",
                    ),
                )
                return
            token = f"fake-access-token-{secrets.token_hex(16)}"
            fake._tokens[token] = (tenant, client_id)
        self._send(
            "token",
            path,
            200,
            {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token},
        )

    # -- ManagementPartner ----------------------------------------------------------------------
    def _arm(self, parts: list[str], path: str, query: dict[str, list[str]]) -> None:
        fake = self.azure
        auth = self.headers.get("Authorization", "")
        identity = fake._tokens.get(auth.removeprefix("Bearer ")) if auth.startswith("Bearer ") else None
        if identity is None:
            self._send("arm", path, 401, _arm_error("InvalidAuthenticationToken", "The access token is invalid."))
            return
        tenant, client_id = identity
        self._meta.update(client_id=client_id, tenant_id=tenant)
        app = fake.apps[client_id]
        if time.monotonic() < app.arm_ready_at:
            self._send(
                "arm",
                path,
                401,
                _arm_error(
                    "InvalidAuthenticationTokenTenant",
                    f"The principal {app.object_id} is not known to Azure Resource Manager yet.",
                ),
            )
            return
        if query.get("api-version") != [API_VERSION]:
            self._send("arm", path, 400, _arm_error("InvalidApiVersionParameter", f"The api-version must be '{API_VERSION}'."))
            return
        lowered = [p.lower() for p in parts]
        if lowered[:2] != ["providers", "microsoft.managementpartner"]:
            self._send("arm", path, 404, _arm_error("InvalidResourceType", "Unknown resource type"))
            return
        if lowered[2:] == ["operations"] and self.command == "GET":
            self._send("arm", path, 200, {"value": OPERATIONS})
            return
        if lowered[2:3] != ["partners"] or len(parts) > 4:
            self._send("arm", path, 404, _arm_error("InvalidResourceType", "Unknown resource type"))
            return
        partner_id = parts[3] if len(parts) == 4 else None
        key = (tenant, app.object_id)
        with fake._lock:
            current = fake.links.get(key)
            active = current if current and current["state"] == "Active" else None
            method = self.command
            if method == "GET":
                if (
                    current is None
                    or (partner_id is not None and current["partnerId"] != partner_id)
                    or (current["state"] != "Active" and fake.deleted_links == "404")
                ):
                    self._not_found(path)
                else:
                    self._send("arm", path, 200, _link_body(current, partner_id))
                return
            if partner_id is None:
                self._send("arm", path, 405, _arm_error("MethodNotAllowed", f"{method} needs a partner ID"))
                return
            if method in ("PUT", "PATCH") and not self._known_partner(partner_id):
                self._send(
                    "arm",
                    path,
                    400,
                    _arm_error("InvalidPartnerId", f"The partner ID '{partner_id}' is not a valid MPN ID."),
                )
                return
            if method == "PUT":
                if active and active["partnerId"] != partner_id and fake.put_when_linked_elsewhere == "conflict":
                    self._send(
                        "arm",
                        path,
                        409,
                        _arm_error("Conflict", f"The principal is already associated with partner ID '{active['partnerId']}'."),
                    )
                    return
                self._send("arm", path, 200, _link_body(fake._write_link(tenant, app.object_id, partner_id), partner_id))
            elif method == "PATCH":
                if active is None:
                    self._not_found(path)
                    return
                self._send("arm", path, 200, _link_body(fake._write_link(tenant, app.object_id, partner_id), partner_id))
            elif method == "DELETE":
                if active is None or active["partnerId"] != partner_id:
                    self._not_found(path)
                    return
                fake._delete_link(tenant, app.object_id)
                self._send("arm", path, 200, None)
            else:
                self._send("arm", path, 405, _arm_error("MethodNotAllowed", f"{method} is not supported"))

    def _known_partner(self, partner_id: str) -> bool:
        fake = self.azure
        if partner_id in fake.rejected_partner_ids or not partner_id.isdigit():
            return False
        return fake.accept_any_partner or partner_id in fake.partners

    def _not_found(self, path: str) -> None:
        self._send("arm", path, 404, _arm_error("PartnerNotFound", "No management partner is associated with the caller."))


def _link_body(link: dict[str, Any], partner_id: str | None) -> dict[str, Any]:
    """The recorded response shape: lower-case resource ID, integer etag equal to the version."""
    return {
        "id": f"/providers/microsoft.managementpartner/partners/{partner_id or link['partnerId']}",
        "type": "Microsoft.ManagementPartner/partners",
        "name": link["partnerId"],
        "etag": link["version"],
        "properties": dict(link),
    }
