"""Switching a principal's link between a password and workload identity federation proves itself: the link signs
in with the new credential and confirms before the old password goes (issue 18, "Federation and tokens")."""

from __future__ import annotations

from typing import Any

import pytest
import test_provider_host as provider_host_tests
from test_provider_host import GITHUB, MAIN, PARTNER, URN, create, federated_inputs, inputs_for

from partner_attribution.testing import FakeAzure
from partner_attribution.testing.provider_host import DynamicProviderHost, ProviderCallError

registration = provider_host_tests.registration
"""The fixtures of the provider host's tests."""
federated_registration = provider_host_tests.federated_registration


def test_password_to_federated_signs_in_with_the_new_credential_first(
    fake_azure: FakeAzure,
    registration: dict[str, Any],
    federated_registration: dict[str, Any],
) -> None:
    """The update called nothing before: the password was deleted with the federated sign-in never tried."""
    app = fake_azure.add_app()
    fake_azure.add_federated_credential(app, GITHUB, MAIN)
    env = {**fake_azure.environment(), **fake_azure.github_actions_environment(MAIN)}
    with DynamicProviderHost(env=env) as host:
        host.configure()
        id_, outs, _ = create(host, inputs_for(registration, fake_azure, app, fake_azure.add_secret(app)))
        fake_azure.clear_requests()
        updated = host.update(URN, id_, outs, federated_inputs(federated_registration, fake_azure, app))
    assert updated["credential_type"] == "federated" and updated["partner_id"] == PARTNER
    assert [(r.target, r.method) for r in fake_azure.requests] == [("oidc", "GET"), ("token", "POST"), ("arm", "GET")]
    assert fake_azure.link_of(app)["partnerId"] == PARTNER


def test_a_switch_without_a_pipeline_token_stops_and_loses_nothing(
    fake_azure: FakeAzure,
    registration: dict[str, Any],
    federated_registration: dict[str, Any],
) -> None:
    """No pipeline token where `up` runs: the update fails with the preview's message; refresh and destroy keep
    working from the state the failed update left (the password's)."""
    app = fake_azure.add_app()
    fake_azure.add_federated_credential(app, GITHUB, MAIN)
    with DynamicProviderHost(env=fake_azure.environment()) as host:
        host.configure()
        id_, outs, inputs = create(host, inputs_for(registration, fake_azure, app, fake_azure.add_secret(app)))
        with pytest.raises(ProviderCallError) as error:
            host.update(URN, id_, outs, federated_inputs(federated_registration, fake_azure, app))
        assert "no pipeline token was found" in error.value.details
        assert f"presents issuer {GITHUB} and subject {MAIN}" in error.value.details
        assert host.read(URN, id_, outs, inputs)[1]["partner_id"] == PARTNER  # refresh, with the password
        host.delete(URN, id_, outs)  # destroy, with the password
    assert fake_azure.link_of(app) is None


def test_a_switch_to_a_subject_the_pipeline_does_not_present_stops(
    fake_azure: FakeAzure,
    registration: dict[str, Any],
    federated_registration: dict[str, Any],
) -> None:
    app = fake_azure.add_app()
    other = "repo:contoso/infra:environment:prod"
    fake_azure.add_federated_credential(app, GITHUB, other)
    env = {**fake_azure.environment(), **fake_azure.github_actions_environment(MAIN)}
    with DynamicProviderHost(env=env) as host:
        host.configure()
        id_, outs, inputs = create(host, inputs_for(registration, fake_azure, app, fake_azure.add_secret(app)))
        with pytest.raises(ProviderCallError) as error:
            host.update(URN, id_, outs, federated_inputs(federated_registration, fake_azure, app, trusted_subject=other))
        assert f"subject {other}, but the pipeline token" in error.value.details
        assert host.read(URN, id_, outs, inputs)[1]["partner_id"] == PARTNER
    assert fake_azure.link_of(app)["partnerId"] == PARTNER


def test_federated_back_to_password_signs_in_with_the_password(
    fake_azure: FakeAzure,
    registration: dict[str, Any],
    federated_registration: dict[str, Any],
) -> None:
    app = fake_azure.add_app()
    fake_azure.add_federated_credential(app, GITHUB, MAIN)
    env = {**fake_azure.environment(), **fake_azure.github_actions_environment(MAIN)}
    with DynamicProviderHost(env=env) as host:
        host.configure()
        inputs, _ = host.check(URN, {}, federated_inputs(federated_registration, fake_azure, app))
        id_, outs = host.create(URN, inputs)
        fake_azure.clear_requests()
        with pytest.raises(ProviderCallError) as error:
            host.update(URN, id_, outs, inputs_for(registration, fake_azure, app, "not-the-secret", timeout_seconds=3))
        assert "client secret" in error.value.details.lower() or "7000215" in error.value.details
        updated = host.update(URN, id_, outs, inputs_for(registration, fake_azure, app, fake_azure.add_secret(app)))
    assert "credential_type" not in updated or updated["credential_type"] != "federated"
    assert ("token", "POST") in [(r.target, r.method) for r in fake_azure.requests]
