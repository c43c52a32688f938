"""The fake azuread and azure-native plugins over Pulumi's provider protocol (what the engine sends them), backed by
the fake Azure: what they create exists there, a rotation replaces the password, a refresh sees what was deleted,
and their configuration is recorded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from partner_attribution.testing import FakeAzure
from partner_attribution.testing.plugins.azure_native import ROLE_ASSIGNMENT
from partner_attribution.testing.plugins.azuread import APPLICATION, PASSWORD, SERVICE_PRINCIPAL
from partner_attribution.testing.plugins.provider import FAKE_URL_VARIABLE
from partner_attribution.testing.provider_host import DynamicProviderHost, ProviderCallError

STACK = "urn:pulumi:dev::project::"


def _plugin(fake: FakeAzure, name: str) -> DynamicProviderHost:
    app = fake.add_app()
    env = {
        **fake.environment(),
        FAKE_URL_VARIABLE: fake.base_url,
        "ARM_CLIENT_ID": app.client_id,
        "ARM_CLIENT_SECRET": fake.add_secret(app),
        "ARM_TENANT_ID": app.tenant_id,
    }
    return DynamicProviderHost(env, module=("partner_attribution.testing.plugins", name, "127.0.0.1:0"))


@pytest.fixture
def azuread(fake_azure: FakeAzure) -> Iterator[DynamicProviderHost]:
    with _plugin(fake_azure, "azuread") as host:
        host.configure({"environment": "public"})
        yield host


def test_an_application_and_its_password_live_in_the_fake_and_sign_in(
    fake_azure: FakeAzure, azuread: DynamicProviderHost
) -> None:
    app_id, app = azuread.create(f"{STACK}{APPLICATION}::delivery-app", {"displayName": "Delivery"})
    assert app_id == f"/applications/{app['objectId']}"
    _, sp = azuread.create(f"{STACK}{SERVICE_PRINCIPAL}::delivery-sp", {"clientId": app["clientId"]})
    inputs = {
        "applicationId": app_id,
        "displayName": "link",
        "endDate": "2099-01-01T00:00:00Z",
        "rotateWhenChanged": {"rotatedOn": "2026-11-01"},
    }
    password_id, password = azuread.create(f"{STACK}{PASSWORD}::delivery-password", inputs)
    made = fake_azure.apps[app["clientId"]]
    secret = password["value"]
    assert isinstance(secret, dict) and secret["4dabf18193072939515e22adb298388d"] == "1b47061264138c4ac30d75fd1eb44270"
    assert made.object_id == sp["objectId"] and secret["value"] in made.secrets  # a secret, and the app's password
    rotated = azuread.diff(
        f"{STACK}{PASSWORD}::delivery-password",
        password_id,
        password,
        {**inputs, "rotateWhenChanged": {"rotatedOn": "2026-11-20"}},
    )
    assert list(rotated.replaces) == ["rotateWhenChanged"]
    same = azuread.diff(f"{STACK}{PASSWORD}::delivery-password", password_id, password, inputs)
    assert not same.diffs
    fake_azure.delete_app(made)
    gone, _ = azuread.read(f"{STACK}{APPLICATION}::delivery-app", app_id, app, {"displayName": "Delivery"})
    assert gone == ""


def test_the_plugin_reports_its_configuration(fake_azure: FakeAzure, azuread: DynamicProviderHost) -> None:
    assert fake_azure.provider_configurations[-1]["provider"] == "azuread"
    assert fake_azure.provider_configurations[-1]["settings"] == {"environment": "public"}


def test_an_existing_role_assignment_fails_the_create_with_arms_409(fake_azure: FakeAzure) -> None:
    with _plugin(fake_azure, "azure-native") as native:
        native.configure({"partnerId": "6c8ae0f6-4a4e-4b2a-9d39-0c4c7e1c2f11"})
        assert fake_azure.provider_configurations[-1]["settings"]["partnerId"] == "6c8ae0f6-4a4e-4b2a-9d39-0c4c7e1c2f11"
        inputs = {
            "scope": "/subscriptions/1",
            "principalId": "p",
            "roleDefinitionId": "/r/contributor",
            "principalType": "ServicePrincipal",
        }
        native.create(f"{STACK}{ROLE_ASSIGNMENT}::a", {**inputs, "roleAssignmentName": "a"})
        with pytest.raises(ProviderCallError, match="RoleAssignmentExists"):
            native.create(f"{STACK}{ROLE_ASSIGNMENT}::b", {**inputs, "roleAssignmentName": "b"})


def test_the_azure_native_plugin_serves_calls_side_by_side(fake_azure: FakeAzure) -> None:
    """Its HTTPS calls run on worker threads, not on its event loop: two role assignments created at once are both in
    the fake at the same time (each of their PUTs is held until the other has come, a ``gather`` fault, or for 10 s
    if it never does), where a blocked loop would send one after the other. Judged by the fake's count of requests in
    flight, not by wall time."""
    from concurrent.futures import ThreadPoolExecutor

    from partner_attribution.testing import Fault

    with _plugin(fake_azure, "azure-native") as native:
        native.configure({})
        fake_azure.inject(Fault("arm", "gather", count=2, delay=10, method="PUT", times=None))
        fake_azure.most_in_flight = 0
        inputs = {"scope": "/subscriptions/1", "roleDefinitionId": "/r/reader", "principalType": "ServicePrincipal"}
        with ThreadPoolExecutor(2) as pool:
            list(
                pool.map(
                    lambda name: native.create(
                        f"{STACK}{ROLE_ASSIGNMENT}::{name}", {**inputs, "principalId": name, "roleAssignmentName": name}
                    ),
                    ["first", "second"],
                )
            )
        assert fake_azure.most_in_flight >= 2
        assert len(fake_azure.role_assignments()) == 2
