"""The fake's Microsoft Graph and ARM resources (what the fake provider plugins call) and its proxy for Azure's
public hosts: what Graph makes signs in, what it deletes is gone, ARM's role assignment conflicts, and the PAL
client with its default endpoints reaching the fake."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from partner_attribution.pal.client import PartnerLinkClient
from partner_attribution.pal.identity import ClientSecretSource, CloudEndpoints
from partner_attribution.testing import FakeAzure
from partner_attribution.testing.plugins.provider import FakeAzureError, FakeAzureSession


@pytest.fixture
def deployer(fake_azure: FakeAzure) -> FakeAzureSession:
    app = fake_azure.add_app()
    return FakeAzureSession(fake_azure.base_url, app.tenant_id, app.client_id, fake_azure.add_secret(app))


def _new_principal(graph: FakeAzureSession) -> tuple[dict[str, Any], dict[str, Any], str]:
    app = graph.call("POST", "/v1.0/applications", {"displayName": "delivery"}) or {}
    sp = graph.call("POST", "/v1.0/servicePrincipals", {"appId": app["appId"]}) or {}
    password = graph.call(
        "POST",
        f"/v1.0/applications/{app['id']}/addPassword",
        {"passwordCredential": {"displayName": "link", "endDateTime": "2099-01-01T00:00:00Z"}},
    ) or {}  # fmt: skip
    return app, sp, password["secretText"]


def _sign_in(fake: FakeAzure, tenant: str, client_id: str, secret: str) -> requests.Response:
    return requests.post(
        f"{fake.base_url}/{tenant}/oauth2/v2.0/token",
        data={"client_id": client_id, "client_secret": secret, "grant_type": "client_credentials", "scope": "x"},
        verify=fake.ca_bundle,
        timeout=10,
    )


def test_an_application_made_through_graph_signs_in_with_its_password(fake_azure: FakeAzure, deployer: FakeAzureSession) -> None:
    app, sp, secret = _new_principal(deployer)
    assert sp["appOwnerOrganizationId"] == deployer.tenant_id
    assert _sign_in(fake_azure, deployer.tenant_id, app["appId"], secret).status_code == 200
    assert fake_azure.apps[app["appId"]].object_id == sp["id"]


def test_a_deleted_application_is_gone_for_sign_in_and_graph(fake_azure: FakeAzure, deployer: FakeAzureSession) -> None:
    app, sp, secret = _new_principal(deployer)
    deployer.call("DELETE", f"/v1.0/applications/{app['id']}")
    answer = _sign_in(fake_azure, deployer.tenant_id, app["appId"], secret)
    assert answer.status_code == 400 and answer.json()["error_codes"] == [700016]
    assert deployer.call("GET", f"/v1.0/applications/{app['id']}", missing_ok=True) is None
    assert deployer.call("GET", f"/v1.0/servicePrincipals/{sp['id']}", missing_ok=True) is None


def test_a_removed_password_no_longer_signs_in(fake_azure: FakeAzure, deployer: FakeAzureSession) -> None:
    app, _, secret = _new_principal(deployer)
    key_id = fake_azure.apps[app["appId"]].secrets[secret].key_id
    deployer.call("POST", f"/v1.0/applications/{app['id']}/removePassword", {"keyId": key_id})
    assert _sign_in(fake_azure, deployer.tenant_id, app["appId"], secret).status_code == 401


def test_a_federated_credential_made_through_graph_is_trusted(fake_azure: FakeAzure, deployer: FakeAzureSession) -> None:
    app, _, _ = _new_principal(deployer)
    made = deployer.call(
        "POST",
        f"/v1.0/applications/{app['id']}/federatedIdentityCredentials",
        {"name": "link", "issuer": fake_azure.issuer, "subject": "repo:o/r:ref:refs/heads/main", "audiences": ["api://AzureADTokenExchange"]},
    ) or {}  # fmt: skip
    trusted = fake_azure.apps[app["appId"]].federated
    assert [(f.id, f.subject) for f in trusted] == [(made["id"], "repo:o/r:ref:refs/heads/main")]
    deployer.call("DELETE", f"/v1.0/applications/{app['id']}/federatedIdentityCredentials/{made['id']}")
    assert fake_azure.apps[app["appId"]].federated == []


def test_graph_and_arm_refuse_a_caller_without_a_token(fake_azure: FakeAzure) -> None:
    for path in ("/v1.0/applications", "/subscriptions/1/providers/Microsoft.Authorization/roleAssignments/a"):
        answer = requests.get(f"{fake_azure.base_url}{path}", verify=fake_azure.ca_bundle, timeout=10)
        assert answer.status_code == 401, path


ASSIGNMENTS = "/subscriptions/11111111-1111-4111-8111-111111111111/providers/Microsoft.Authorization/roleAssignments"


def test_an_existing_role_assignment_answers_409_role_assignment_exists(deployer: FakeAzureSession) -> None:
    body = {
        "properties": {
            "roleDefinitionId": "/providers/x/roleDefinitions/r",
            "principalId": "p",
            "principalType": "ServicePrincipal",
        }
    }
    made = deployer.call("PUT", f"{ASSIGNMENTS}/first?api-version=2022-04-01", body) or {}
    assert made["properties"]["scope"] == "/subscriptions/11111111-1111-4111-8111-111111111111"
    assert deployer.call("PUT", f"{ASSIGNMENTS}/first?api-version=2022-04-01", body) is not None  # same name: idempotent
    with pytest.raises(FakeAzureError, match="409 RoleAssignmentExists"):
        deployer.call("PUT", f"{ASSIGNMENTS}/second?api-version=2022-04-01", body)
    changed = {"properties": {**body["properties"], "principalId": "other"}}
    with pytest.raises(FakeAzureError, match="409 RoleAssignmentUpdateNotPermitted"):
        deployer.call("PUT", f"{ASSIGNMENTS}/first?api-version=2022-04-01", changed)
    deployer.call("DELETE", f"{ASSIGNMENTS}/first?api-version=2022-04-01")
    assert deployer.call("GET", f"{ASSIGNMENTS}/first?api-version=2022-04-01", missing_ok=True) is None


def test_the_proxy_sends_azures_public_hosts_to_the_fake_and_refuses_others(
    fake_azure: FakeAzure, deployer: FakeAzureSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in fake_azure.environment(proxy=True).items():
        monkeypatch.setenv(key, value)
    app, sp, secret = _new_principal(deployer)
    client = PartnerLinkClient(
        ClientSecretSource(deployer.tenant_id, app["appId"], secret), CloudEndpoints.for_cloud("public"), timeout_seconds=20
    )
    assert client.link("1234567").object_id == sp["id"]
    assert fake_azure.links[(deployer.tenant_id, sp["id"])]["partnerId"] == "1234567"
    with pytest.raises(requests.exceptions.ProxyError):
        requests.get("https://example.com/", timeout=10)

