"""The fake of Entra ID: OpenID discovery and the token endpoint, with Entra's error codes and statuses."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from .model import FakeApp
    from .server import FakeAzure, RequestContext


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
        base = f"{h.public_base()}/{tenant}"
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


INSTANCE_DISCOVERY_METADATA = [
    {"preferred_network": network, "preferred_cache": cache, "aliases": aliases}
    for network, cache, aliases in (
        ("login.microsoftonline.com", "login.windows.net",
         ["login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"]),
        ("login.partner.microsoftonline.cn", "login.partner.microsoftonline.cn",
         ["login.partner.microsoftonline.cn", "login.chinacloudapi.cn"]),
        ("login.microsoftonline.de", "login.microsoftonline.de", ["login.microsoftonline.de"]),
        ("login.microsoftonline.us", "login.microsoftonline.us", ["login.microsoftonline.us", "login.usgovcloudapi.net"]),
        ("login-us.microsoftonline.com", "login-us.microsoftonline.com", ["login-us.microsoftonline.com"]),
    )
]  # fmt: skip
"""The authority aliases Entra's instance discovery lists (``reference/observed/entra_instance_discovery.json``)."""


def serve_instance_discovery(h: RequestContext, path: str, query: dict[str, list[str]]) -> None:
    """``GET /common/discovery/instance``: the authority's aliases, as Entra answers it. MSAL asks it after a failed
    token request of a well-known authority (``msal/application.py``, ``_get_authority_aliases``: "try other aliases of
    this authority"), so without it every sign-in refused while Entra replicates turned into "HTTP Error: 404"."""
    endpoint = (query.get("authorization_endpoint") or [""])[0]
    tenant = endpoint.split("/")[3] if endpoint.count("/") >= 4 else "common"
    h.send(
        "discovery",
        path,
        200,
        {
            "tenant_discovery_endpoint": f"{h.public_base()}/{tenant}/v2.0/.well-known/openid-configuration",
            "api-version": (query.get("api-version") or ["1.1"])[0],
            "metadata": INSTANCE_DISCOVERY_METADATA,
        },
    )


ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _check_assertion(fake: FakeAzure, app: FakeApp, assertion: str, now: float) -> tuple[int, str] | None:
    """Entra's checks of a client assertion against the app's federated credentials (FACTS.md §3, §4):
    signature (the fake signs every issuer's tokens with its own key), expiry, then a federated credential
    whose issuer, subject and audience match exactly (case-sensitive); one that matches but is not replicated
    yet answers AADSTS70021, as Entra does in the minutes after it was created."""
    import jwt

    if fake.federation_disabled:
        return 700223, "Workload identity federation is disabled or constrained for this tenant."
    try:
        claims = jwt.decode(
            assertion, fake.signing_public_key, algorithms=["RS256"], options={"verify_aud": False, "verify_exp": False}
        )
    except jwt.PyJWTError:
        return 700211, "No matching federated identity record found for presented assertion issuer."
    if float(claims.get("exp", 0)) < time.time():
        return 700024, "Client assertion is not within its valid time range."
    issuer, subject, audiences = claims.get("iss"), claims.get("sub"), claims.get("aud")
    audiences = audiences if isinstance(audiences, list) else [audiences]
    if not app.federated:
        return 70025, f"The client '{app.client_id}' has no configured federated identity credentials."
    same_issuer = [f for f in app.federated if f.issuer == issuer]
    if not same_issuer:
        return 700211, f"No matching federated identity record found for presented assertion issuer '{issuer}'."
    same_subject = [f for f in same_issuer if f.subject == subject]
    if not same_subject:
        return 700213, f"No matching federated identity record found for presented assertion subject '{subject}'."
    matching = [f for f in same_subject if f.audience in audiences]
    if not matching:
        return 700212, f"No matching federated identity record found for presented assertion audience '{audiences}'."
    if all(now < f.ready_at for f in matching):
        return 70021, "No matching federated identity record found for presented assertion."
    return None


def serve_token(h: RequestContext, parts: list[str], path: str, body: bytes) -> None:
    fake = h.azure
    form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
    tenant = parts[0]
    client_id = form.get("client_id", "")
    h.meta.update(client_id=client_id, tenant_id=tenant)
    now = fake.clock()
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
        if form.get("client_assertion_type") == ASSERTION_TYPE:
            refusal = _check_assertion(fake, app, form.get("client_assertion", ""), now)
            if refusal is not None:
                h.send("token", path, 401, entra_error("invalid_client", *refusal))
                return
        else:
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
        token = fake.access_token_for(app)
    h.send(
        "token",
        path,
        200,
        {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token},
    )
