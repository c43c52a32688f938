"""The fake of Entra ID: OpenID discovery and the token endpoint, with Entra's error codes and statuses."""

from __future__ import annotations

import datetime as dt
import secrets
import time
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from .server import RequestContext


def entra_error(error: str, code: int, description: str) -> dict[str, Any]:
    return {
        "error": error,
        "error_description": f"AADSTS{code}: {description} Trace ID: {uuid.uuid4()} "
        f"Correlation ID: {uuid.uuid4()} Timestamp: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M:%SZ}",
        "error_codes": [code],
        "timestamp": f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M:%SZ}",
        "trace_id": str(uuid.uuid4()),
        "correlation_id": str(uuid.uuid4()),
    }


def serve_discovery(h: RequestContext, parts: list[str], path: str) -> None:
    fake = h.azure
    if len(parts) >= 3 and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
        tenant = parts[0]
        h.meta["tenant_id"] = tenant
        if tenant not in fake.tenants:
            h.send("discovery", path, 400, entra_error("invalid_tenant", 90002, f"Tenant '{tenant}' not found."))
            return
        base = f"{fake.base_url}/{tenant}"
        h.send(
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
    h.send("discovery", path, 404, {"error": "not_found"})


def serve_token(h: RequestContext, parts: list[str], path: str, body: bytes) -> None:
    fake = h.azure
    form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
    tenant = parts[0]
    client_id = form.get("client_id", "")
    h.meta.update(client_id=client_id, tenant_id=tenant)
    now = time.monotonic()
    with fake.lock:
        app = fake.apps.get(client_id)
        if tenant not in fake.tenants:
            h.send("token", path, 400, entra_error("invalid_request", 90002, f"Tenant '{tenant}' not found."))
            return
        if app is None or app.deleted or app.tenant_id != tenant or now < app.ready_at:
            h.send(
                "token",
                path,
                400,
                entra_error(
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
            h.send(
                "token",
                path,
                401,
                entra_error(
                    "invalid_client",
                    7000222,
                    f"The provided client secret keys for app '{client_id}' are expired. Visit the Azure portal "
                    "to create new keys for your app: https://aka.ms/NewClientSecret, or consider using "
                    "certificate credentials for added security: https://aka.ms/certCreds.",
                ),
            )
            return
        if secret is None or secret.revoked or now < secret.ready_at:
            h.send(
                "token",
                path,
                401,
                entra_error(
                    "invalid_client",
                    7000215,
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client "
                    f"secret value, not the client secret ID, for a secret added to app '{client_id}'.",
                ),
            )
            return
        token = f"fake-access-token-{secrets.token_hex(16)}"
        fake.tokens[token] = (tenant, client_id)
    h.send(
        "token",
        path,
        200,
        {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token},
    )
