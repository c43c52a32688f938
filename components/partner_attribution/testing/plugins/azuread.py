"""The fake ``azuread`` plugin: applications, service principals, passwords and federated identity credentials
live in the fake's Microsoft Graph (so the PAL link signs in as what this plugin made); every other azuread type
is generic.

Property names, IDs and which changes replace follow the azuread provider (v6): an application's ID is
``/applications/<object ID>``, a service principal's ``/servicePrincipals/<object ID>``; a password's inputs all
replace it (``rotateWhenChanged`` is how a rotation is asked for) and its ``value`` is secret.
"""

from __future__ import annotations

from typing import Any

from .provider import FakeAzureError, FakeAzureProvider, TypeBehaviour

APPLICATION = "azuread:index/application:Application"
SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
PASSWORD = "azuread:index/applicationPassword:ApplicationPassword"
FEDERATED_CREDENTIAL = "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"


def _object_id(application_id: str) -> str:
    """``/applications/<object ID>`` (or a bare object ID) → the object ID."""
    return application_id.rsplit("/", 1)[-1]


class AzureAdProvider(FakeAzureProvider):
    """The fake azuread provider plugin."""

    package = "azuread"
    behaviours = {  # noqa: RUF012 - a class-level table
        APPLICATION: TypeBehaviour(computed=frozenset({"clientId", "objectId"})),
        SERVICE_PRINCIPAL: TypeBehaviour(
            replaces=frozenset({"clientId"}), computed=frozenset({"objectId", "applicationTenantId", "displayName"})
        ),
        PASSWORD: TypeBehaviour(
            replace_all=True, computed=frozenset({"keyId", "value", "startDate"}), secrets=frozenset({"value"})
        ),
        FEDERATED_CREDENTIAL: TypeBehaviour(
            replaces=frozenset({"applicationId", "displayName"}), computed=frozenset({"credentialId"})
        ),
    }

    def create_resource(self, type_token: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        graph = self.session()
        if type_token == APPLICATION:
            app = graph.call("POST", "/v1.0/applications", {"displayName": inputs.get("displayName")}) or {}
            return f"/applications/{app['id']}", {**inputs, "clientId": app["appId"], "objectId": app["id"]}
        if type_token == SERVICE_PRINCIPAL:
            sp = graph.call("POST", "/v1.0/servicePrincipals", {"appId": inputs.get("clientId")}) or {}
            return f"/servicePrincipals/{sp['id']}", {
                **inputs,
                "objectId": sp["id"],
                "applicationTenantId": sp["appOwnerOrganizationId"],
                "displayName": sp.get("displayName") or "",
            }
        if type_token == PASSWORD:
            object_id = _object_id(str(inputs["applicationId"]))
            password = (
                graph.call(
                    "POST",
                    f"/v1.0/applications/{object_id}/addPassword",
                    {"passwordCredential": {"displayName": inputs.get("displayName"), "endDateTime": inputs.get("endDate")}},
                )
                or {}
            )
            return f"{object_id}/password/{password['keyId']}", {
                **inputs,
                "keyId": password["keyId"],
                "value": password["secretText"],
                "startDate": password.get("startDateTime"),
            }
        if type_token == FEDERATED_CREDENTIAL:
            object_id = _object_id(str(inputs["applicationId"]))
            credential = (
                graph.call(
                    "POST",
                    f"/v1.0/applications/{object_id}/federatedIdentityCredentials",
                    {
                        "name": inputs.get("displayName"),
                        "issuer": inputs.get("issuer"),
                        "subject": inputs.get("subject"),
                        "audiences": inputs.get("audiences"),
                        "description": inputs.get("description"),
                    },
                )
                or {}
            )
            return f"/applications/{object_id}/federatedIdentityCredential/{credential['id']}", {
                **inputs,
                "credentialId": credential["id"],
            }
        return super().create_resource(type_token, name, inputs)

    def update_resource(self, type_token: str, resource_id: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        if type_token == APPLICATION:
            self.session().call("PATCH", f"/v1.0{resource_id}", {"displayName": news.get("displayName")})
        return super().update_resource(type_token, resource_id, olds, news)

    def read_resource(self, type_token: str, resource_id: str, state: dict[str, Any]) -> dict[str, Any] | None:
        graph = self.session()
        if type_token == APPLICATION:
            live = graph.call("GET", f"/v1.0{resource_id}", missing_ok=True)
            return None if live is None else {**state, "displayName": live.get("displayName")}
        if type_token == SERVICE_PRINCIPAL:
            return None if graph.call("GET", f"/v1.0{resource_id}", missing_ok=True) is None else state
        if type_token == PASSWORD:
            object_id = resource_id.split("/password/")[0]
            live = graph.call("GET", f"/v1.0/applications/{object_id}", missing_ok=True)
            keys = {c.get("keyId") for c in (live or {}).get("passwordCredentials", [])}
            return state if state.get("keyId") in keys else None
        if type_token == FEDERATED_CREDENTIAL:
            object_id, credential_id = resource_id.split("/")[2], resource_id.rsplit("/", 1)[-1]
            path = f"/v1.0/applications/{object_id}/federatedIdentityCredentials/{credential_id}"
            return None if graph.call("GET", path, missing_ok=True) is None else state
        return super().read_resource(type_token, resource_id, state)

    def delete_resource(self, type_token: str, resource_id: str, state: dict[str, Any]) -> None:
        graph = self.session()
        if type_token in (APPLICATION, SERVICE_PRINCIPAL):
            graph.call("DELETE", f"/v1.0{resource_id}", missing_ok=True)
        elif type_token == PASSWORD:
            object_id = resource_id.split("/password/")[0]
            if graph.call("GET", f"/v1.0/applications/{object_id}", missing_ok=True) is not None:
                graph.call("POST", f"/v1.0/applications/{object_id}/removePassword", {"keyId": state.get("keyId")})
        elif type_token == FEDERATED_CREDENTIAL:
            object_id, credential_id = resource_id.split("/")[2], resource_id.rsplit("/", 1)[-1]
            if graph.call("GET", f"/v1.0/applications/{object_id}", missing_ok=True) is not None:
                graph.call(
                    "DELETE", f"/v1.0/applications/{object_id}/federatedIdentityCredentials/{credential_id}", missing_ok=True
                )

    def invoke_function(self, token: str, args: dict[str, Any]) -> dict[str, Any]:
        graph = self.session()
        if token == "azuread:index/getClientConfig:getClientConfig":
            deployer = graph.call("GET", f"/v1.0/servicePrincipals(appId='{graph.client_id}')", missing_ok=True) or {}
            return {
                "clientId": graph.client_id,
                "objectId": deployer.get("id", ""),
                "tenantId": graph.tenant_id,
                "id": graph.tenant_id,
            }
        if token == "azuread:index/getServicePrincipal:getServicePrincipal":
            client_id = args.get("clientId")
            sp = graph.call("GET", f"/v1.0/servicePrincipals(appId='{client_id}')", missing_ok=True)
            if sp is None:
                raise FakeAzureError(f"service principal with client ID {client_id!r} was not found")
            return {"id": f"/servicePrincipals/{sp['id']}", "objectId": sp["id"], "clientId": sp["appId"],
                    "displayName": sp.get("displayName"), "applicationTenantId": sp.get("appOwnerOrganizationId")}  # fmt: skip
        if token == "azuread:index/getApplication:getApplication":
            client_id = args.get("clientId")
            app = graph.call("GET", f"/v1.0/applications(appId='{client_id}')", missing_ok=True)
            if app is None:
                raise FakeAzureError(f"application with client ID {client_id!r} was not found")
            return {"id": f"/applications/{app['id']}", "objectId": app["id"], "clientId": app["appId"],
                    "displayName": app.get("displayName")}  # fmt: skip
        return super().invoke_function(token, args)
