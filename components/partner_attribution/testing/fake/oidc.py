"""The fake's OIDC side: its own issuer (discovery and JWKS) and stand-ins of the pipelines' token endpoints
(GitHub Actions' ID token request, Azure Pipelines' OIDC request; FACTS.md §6, §7)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .server import RequestContext

EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"


def _bearer(h: RequestContext) -> str:
    header = h.headers.get("Authorization", "")
    return header[7:] if header.lower().startswith("bearer ") else ""


def serve_pipeline_token(h: RequestContext, parts: list[str], path: str, query: dict[str, list[str]]) -> None:
    fake = h.azure
    if parts[:1] == ["oidc"]:
        if parts[1:] == [".well-known", "openid-configuration"]:
            h.send(
                "oidc",
                path,
                200,
                {"issuer": fake.issuer, "jwks_uri": f"{fake.issuer}/keys", "id_token_signing_alg_values_supported": ["RS256"]},
            )
        elif parts[1:] == ["keys"]:
            from jwt.algorithms import RSAAlgorithm

            key: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(fake.signing_public_key))
            h.send("oidc", path, 200, {"keys": [{**key, "kid": "fake-key-1", "use": "sig", "alg": "RS256"}]})
        else:
            h.send("oidc", path, 404, {"error": "not_found"})
        return
    with fake.lock:
        grant = fake.pipeline_tokens.get(_bearer(h))
    if grant is None:
        h.send("oidc", path, 401, {"message": "Bad credentials"})
        return
    if parts[:1] == ["_actions"] and h.command == "GET":
        audience = (query.get("audience") or [EXCHANGE_AUDIENCE])[0]
        token = fake.issue_oidc_token(grant["sub"], issuer=grant["iss"], audience=audience, lifetime=grant["lifetime"])
        h.send("oidc", path, 200, {"count": 1, "value": token})
    elif parts[:1] == ["_ado"] and h.command == "POST":
        if query.get("serviceConnectionId") != [grant.get("connection")] or query.get("api-version") != ["7.1"]:
            h.send("oidc", path, 400, {"message": "unknown service connection"})
            return
        token = fake.issue_oidc_token(grant["sub"], issuer=grant["iss"], lifetime=grant["lifetime"])
        h.send("oidc", path, 200, {"oidcToken": token})
    else:
        h.send("oidc", path, 405, {"message": "method not allowed"})
