"""The fake of Microsoft Graph v1.0 for what the azuread provider does with this project's resources: applications,
their passwords and federated identity credentials, and service principals.

An application made here is an app of the fake directory (:class:`~.model.FakeApp`): a password added here signs in
at the fake's token endpoint, a federated credential added here is checked on a client assertion, and a deleted
application is gone for the PAL link too (AADSTS700016). Callers authenticate with a fake access token (the
deploying identity); the caller's tenant is the directory. Shapes follow Microsoft Graph's v1.0 reference
(application, servicePrincipal, passwordCredential, federatedIdentityCredential resources).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import TYPE_CHECKING, Any

from .model import FakeApp, FakeFederatedCredential

if TYPE_CHECKING:
    from .server import RequestContext

_BY_APP_ID = re.compile(r"(applications|servicePrincipals)\(appId='([^']*)'\)\Z")


def graph_error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "innerError": {"request-id": str(uuid.uuid4())}}}


def _not_found(h: RequestContext, path: str, what: str) -> None:
    h.send(
        "graph",
        path,
        404,
        graph_error(
            "Request_ResourceNotFound",
            f"Resource '{what}' does not exist or one of its queried reference-property objects are not present.",
        ),
    )


def application_body(app: FakeApp) -> dict[str, Any]:
    return {
        "id": app.application_object_id,
        "appId": app.client_id,
        "displayName": app.display_name,
        "signInAudience": "AzureADMyOrg",
        "passwordCredentials": [{"keyId": s.key_id, "displayName": "password"} for s in app.secrets.values() if not s.revoked],
    }


def service_principal_body(app: FakeApp) -> dict[str, Any]:
    return {
        "id": app.object_id,
        "appId": app.client_id,
        "appOwnerOrganizationId": app.tenant_id,
        "displayName": app.display_name,
        "servicePrincipalType": "Application",
        "accountEnabled": True,
    }


def federated_body(credential: FakeFederatedCredential, description: str | None = None) -> dict[str, Any]:
    return {
        "id": credential.id,
        "name": credential.name,
        "issuer": credential.issuer,
        "subject": credential.subject,
        "audiences": [credential.audience],
        "description": description,
    }


def serve_graph(h: RequestContext, parts: list[str], path: str, body: bytes) -> None:
    fake = h.azure
    identity = fake.caller(h)
    if identity is None:
        h.send("graph", path, 401, graph_error("InvalidAuthenticationToken", "Access token is empty or invalid."))
        return
    tenant, _ = identity
    try:
        payload: dict[str, Any] = json.loads(body) if body else {}
    except ValueError:
        h.send("graph", path, 400, graph_error("BadRequest", "Unable to read JSON request payload."))
        return
    rest = parts[1:]  # after v1.0
    method = h.command
    with fake.lock:
        if not rest:
            h.send("graph", path, 404, graph_error("BadRequest", "Resource not found for the segment ''."))
            return
        by_app_id = _BY_APP_ID.match(rest[0])
        if by_app_id and len(rest) == 1 and method == "GET":
            app = fake.apps.get(by_app_id.group(2))
            found = app is not None and not app.deleted and app.tenant_id == tenant
            if by_app_id.group(1) == "servicePrincipals":
                found = found and app is not None and app.service_principal
            if not found or app is None:
                _not_found(h, path, by_app_id.group(2))
            elif by_app_id.group(1) == "applications":
                h.send("graph", path, 200, application_body(app))
            else:
                h.send("graph", path, 200, service_principal_body(app))
            return
        if rest == ["applications"] and method == "POST":
            app = fake.add_app(tenant, ready_after=fake.app_ready_after)
            app.application_object_id = str(uuid.uuid4())
            app.display_name = str(payload.get("displayName") or "")
            app.service_principal = False
            h.send("graph", path, 201, application_body(app))
            return
        if rest == ["servicePrincipals"] and method == "POST":
            app = fake.apps.get(str(payload.get("appId") or ""))
            if app is None or app.deleted or app.tenant_id != tenant:
                h.send(
                    "graph",
                    path,
                    400,
                    graph_error(
                        "Request_BadRequest",
                        f"The appId '{payload.get('appId')}' of the service principal does not reference a valid "
                        "application object.",
                    ),
                )
                return
            if app.service_principal:
                h.send(
                    "graph",
                    path,
                    409,
                    graph_error("Request_MultipleObjectsWithSameKeyValue", "The service principal exists already."),
                )
                return
            app.service_principal = True
            # Replicated from its own creation on: not usable for sign-in before (Entra: AADSTS700016 meanwhile).
            app.ready_at = max(app.ready_at, fake.clock() + fake.app_ready_after)
            h.send("graph", path, 201, service_principal_body(app))
            return
        if rest[0] == "servicePrincipals" and len(rest) == 2:
            app = fake.app_by_object_id(tenant, rest[1])
            if app is None or not app.service_principal:
                _not_found(h, path, rest[1])
            elif method == "GET":
                h.send("graph", path, 200, service_principal_body(app))
            elif method == "DELETE":
                app.service_principal = False
                h.send("graph", path, 204, None)
            else:
                h.send("graph", path, 405, graph_error("Request_BadRequest", f"{method} is not supported here."))
            return
        if rest[0] == "applications" and len(rest) >= 2:
            app = fake.app_by_application_id(tenant, rest[1])
            if app is None:
                _not_found(h, path, rest[1])
                return
            _serve_application(h, app, rest[2:], path, payload)
            return
    h.send("graph", path, 404, graph_error("Request_BadRequest", f"Unsupported request {method} {path}"))


def _serve_application(h: RequestContext, app: FakeApp, rest: list[str], path: str, payload: dict[str, Any]) -> None:
    fake = h.azure
    method = h.command
    if not rest:
        if method == "GET":
            h.send("graph", path, 200, application_body(app))
        elif method == "PATCH":
            if "displayName" in payload:
                app.display_name = str(payload["displayName"])
            h.send("graph", path, 204, None)
        elif method == "DELETE":
            app.deleted = True
            app.service_principal = False
            h.send("graph", path, 204, None)
        else:
            h.send("graph", path, 405, graph_error("Request_BadRequest", f"{method} is not supported here."))
        return
    if rest == ["addPassword"] and method == "POST":
        credential = payload.get("passwordCredential") or {}
        end = credential.get("endDateTime")
        expires_after = None
        if end:
            end_time = dt.datetime.fromisoformat(str(end).replace("Z", "+00:00"))
            expires_after = (end_time - dt.datetime.now(dt.timezone.utc)).total_seconds()
        value = fake.add_secret(app, ready_after=fake.secret_ready_after, expires_after=expires_after)
        secret = app.secrets[value]
        h.send(
            "graph",
            path,
            200,
            {
                "keyId": secret.key_id,
                "secretText": value,
                "hint": value[:3],
                "displayName": credential.get("displayName"),
                "startDateTime": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "endDateTime": end,
            },
        )
        return
    if rest == ["removePassword"] and method == "POST":
        key_id = str(payload.get("keyId") or "")
        matching = [value for value, s in app.secrets.items() if s.key_id == key_id]
        if not matching:
            h.send("graph", path, 400, graph_error("Request_BadRequest", f"No password credential with keyId {key_id}."))
            return
        for value in matching:
            del app.secrets[value]
        h.send("graph", path, 204, None)
        return
    if rest[0] == "federatedIdentityCredentials":
        _serve_federated(h, app, rest[1:], path, payload)
        return
    h.send("graph", path, 404, graph_error("Request_BadRequest", f"Unsupported request {method} {path}"))


def _serve_federated(h: RequestContext, app: FakeApp, rest: list[str], path: str, payload: dict[str, Any]) -> None:
    fake = h.azure
    method = h.command
    if not rest and method == "POST":
        name = str(payload.get("name") or "")
        if any(f.name == name for f in app.federated):
            h.send(
                "graph",
                path,
                409,
                graph_error("Request_MultipleObjectsWithSameKeyValue", f"FIC with name {name} already exists."),
            )
            return
        if len(app.federated) >= 20:
            h.send(
                "graph",
                path,
                400,
                graph_error("Request_BadRequest", "An application can have at most 20 federated identity credentials."),
            )
            return
        audiences = payload.get("audiences") or ["api://AzureADTokenExchange"]
        credential = fake.add_federated_credential(
            app,
            str(payload.get("issuer")),
            str(payload.get("subject")),
            audience=str(audiences[0]),
            ready_after=fake.federated_ready_after,
        )
        credential.id = str(uuid.uuid4())
        credential.name = name
        h.send("graph", path, 201, federated_body(credential, payload.get("description")))
        return
    if len(rest) == 1:
        matching = [f for f in app.federated if rest[0] in (f.id, f.name)]
        if not matching:
            _not_found(h, path, rest[0])
        elif method == "GET":
            h.send("graph", path, 200, federated_body(matching[0]))
        elif method == "DELETE":
            app.federated.remove(matching[0])
            h.send("graph", path, 204, None)
        else:
            h.send("graph", path, 405, graph_error("Request_BadRequest", f"{method} is not supported here."))
        return
    h.send("graph", path, 404, graph_error("Request_BadRequest", f"Unsupported request {method} {path}"))
