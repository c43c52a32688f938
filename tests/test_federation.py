"""Federated PAL links through the real azure-identity client-assertion credential, against the fake's OIDC
issuer and Entra token endpoint: each token source, replication, mismatches, expiry, no token at all."""

from __future__ import annotations

import random
import re
import time
from pathlib import Path

import pytest

from conftest import waits_on
from partner_attribution.pal import CloudEndpoints, PartnerLinkClient
from partner_attribution.pal.errors import (
    FederationDisabledError,
    FederationMismatchError,
    NoTokenSourceError,
    RetryBudgetExhaustedError,
)
from partner_attribution.pal.federation import (
    AzurePipelinesRequest,
    OidcRequest,
    StaticToken,
    TokenClaims,
    TokenFile,
    find_token_source,
)
from partner_attribution.pal.identity import ClientAssertionSource
from partner_attribution.pal.retry import Backoff
from partner_attribution.testing import FakeApp, FakeAzure

PARTNER = "1234567"
GITHUB = "https://token.actions.githubusercontent.com"
MAIN = "repo:contoso-partner/landing-zone:ref:refs/heads/main"
AUDIENCE = "api://AzureADTokenExchange"


def federated_client(
    azure: FakeAzure,
    app: FakeApp,
    env: dict[str, str],
    *,
    trusted: tuple[str, str] | None = (GITHUB, MAIN),
    timeout: float = 20,
    **kwargs: object,
) -> PartnerLinkClient:
    source = ClientAssertionSource(
        app.tenant_id,
        app.client_id,
        find_token_source(env),
        audience=AUDIENCE,
        trusted_issuer=trusted[0] if trusted else None,
        trusted_subject=trusted[1] if trusted else None,
    )
    endpoints = CloudEndpoints.for_cloud(authority_host=azure.authority_host, arm_endpoint=azure.arm_endpoint)
    return PartnerLinkClient(
        source,
        endpoints,
        timeout_seconds=timeout,
        backoff=Backoff(rng=random.Random(3)),
        **waits_on(azure),  # its waits take no wall time
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
def trusted_app(fake_azure: FakeAzure) -> FakeApp:
    app = fake_azure.add_app()
    fake_azure.add_federated_credential(app, GITHUB, MAIN)
    return app


def test_github_actions_happy_path_requests(fake_azure: FakeAzure, trusted_app: FakeApp) -> None:
    env = fake_azure.github_actions_environment(MAIN)
    link = federated_client(fake_azure, trusted_app, env).link(PARTNER)
    assert (link.partner_id, link.object_id, link.tenant_id) == (PARTNER, trusted_app.object_id, trusted_app.tenant_id)
    calls = [(r.target, r.method) for r in fake_azure.requests]
    # azure-identity's client-assertion credential makes no OpenID discovery request (unlike the secret one)
    assert calls == [("oidc", "GET"), ("token", "POST"), ("arm", "GET"), ("arm", "PUT"), ("arm", "GET")]
    fake_azure.clear_requests()
    assert federated_client(fake_azure, trusted_app, env).get() == link
    assert [(r.target, r.method) for r in fake_azure.requests] == [("oidc", "GET"), ("token", "POST"), ("arm", "GET")]


@pytest.mark.parametrize(
    "kind",
    ["ARM_OIDC_TOKEN", "ARM_OIDC_TOKEN_FILE_PATH", "AZURE_FEDERATED_TOKEN_FILE", "ARM_OIDC_REQUEST_URL", "azure-pipelines"],
)
def test_each_token_source_links(fake_azure: FakeAzure, kind: str, tmp_path: Path) -> None:
    app = fake_azure.add_app()
    if kind == "azure-pipelines":
        issuer, subject = "https://vstoken.dev.azure.com/00000000-0000-4000-8000-00000000a0d0", "sc://contoso/lz/prod"
        env = fake_azure.azure_pipelines_environment(
            subject, issuer=issuer, service_connection_id="5f0d5a2c-1d6b-4bfa-9d0e-000000000001"
        )
    else:
        issuer, subject = GITHUB, MAIN
        token = fake_azure.issue_oidc_token(MAIN, issuer=GITHUB)
        if kind == "ARM_OIDC_TOKEN":
            env = {"ARM_OIDC_TOKEN": token}
        elif kind == "ARM_OIDC_REQUEST_URL":
            actions = fake_azure.github_actions_environment(MAIN)
            env = {
                "ARM_OIDC_REQUEST_URL": actions["ACTIONS_ID_TOKEN_REQUEST_URL"],
                "ARM_OIDC_REQUEST_TOKEN": actions["ACTIONS_ID_TOKEN_REQUEST_TOKEN"],
            }
        else:
            path = tmp_path / "token"
            path.write_text(token)
            env = {kind: str(path)}
    fake_azure.add_federated_credential(app, issuer, subject)
    source = find_token_source(env)
    expected = {
        "ARM_OIDC_TOKEN": StaticToken,
        "ARM_OIDC_TOKEN_FILE_PATH": TokenFile,
        "AZURE_FEDERATED_TOKEN_FILE": TokenFile,
        "ARM_OIDC_REQUEST_URL": OidcRequest,
        "azure-pipelines": AzurePipelinesRequest,
    }[kind]
    assert isinstance(source, expected)
    assert federated_client(fake_azure, app, env, trusted=(issuer, subject)).link(PARTNER).partner_id == PARTNER


def test_token_source_precedence() -> None:
    assert find_token_source({}) is None
    both = {"ARM_OIDC_TOKEN": "a.b.c", "ACTIONS_ID_TOKEN_REQUEST_URL": "https://x/t?a=1", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "r"}
    assert isinstance(find_token_source(both), OidcRequest)  # a renewable source before a token given as is
    assert isinstance(find_token_source({"ARM_OIDC_TOKEN": "a.b.c"}), StaticToken)
    no_connection = {"SYSTEM_OIDCREQUESTURI": "https://x", "SYSTEM_ACCESSTOKEN": "t"}
    assert find_token_source(no_connection) is None  # Azure Pipelines needs the service connection ID too


def test_a_new_federated_credential_is_waited_for(fake_azure: FakeAzure) -> None:
    """Entra answers AADSTS70021 until the new credential replicates; each attempt fetches a fresh token.
    Deterministic: Entra "catches up" when the client reports the second retry."""
    app = fake_azure.add_app()
    credential = fake_azure.add_federated_credential(app, GITHUB, MAIN, ready_after=3600)
    env = fake_azure.github_actions_environment(MAIN)
    messages: list[str] = []

    def on_retry(message: str) -> None:
        messages.append(message)
        if len(messages) == 2:
            credential.ready_at = 0.0

    link = federated_client(fake_azure, app, env, on_retry=on_retry).link(PARTNER)
    assert link.partner_id == PARTNER
    assert len(messages) == 2 and all("AADSTS70021" in m for m in messages)
    assert len(fake_azure.requests_to("oidc")) == 3  # a fresh pipeline token at every attempt


def test_replication_that_never_ends_names_expected_and_presented(fake_azure: FakeAzure) -> None:
    app = fake_azure.add_app()
    fake_azure.add_federated_credential(app, GITHUB, MAIN, ready_after=3600)
    with pytest.raises(RetryBudgetExhaustedError) as error:
        federated_client(fake_azure, app, fake_azure.github_actions_environment(MAIN), timeout=3).link(PARTNER)
    assert "AADSTS70021" in str(error.value)


def test_a_subject_the_principal_does_not_trust_fails_at_once_naming_both(fake_azure: FakeAzure, trusted_app: FakeApp) -> None:
    env = fake_azure.github_actions_environment("repo:contoso-partner/landing-zone:pull_request")
    started = time.monotonic()
    with pytest.raises(FederationMismatchError) as error:
        federated_client(fake_azure, trusted_app, env).link(PARTNER)
    assert time.monotonic() - started < 5
    assert waits_on(fake_azure)["clock"].slept == []  # not retried (its waits take no wall time: the bound can't say)
    message = str(error.value)
    assert f"trusts issuer {GITHUB} and subject {MAIN}" in message
    assert (
        "has issuer https://token.actions.githubusercontent.com and subject repo:contoso-partner/landing-zone:pull_request"
        in message
    )
    assert fake_azure.requests_to("token") == []  # refused before Entra saw the token


def test_an_immutable_github_subject_is_named(fake_azure: FakeAzure, trusted_app: FakeApp) -> None:
    env = fake_azure.github_actions_environment("repo:contoso-partner@101/landing-zone@202:ref:refs/heads/main")
    with pytest.raises(FederationMismatchError) as error:
        federated_client(fake_azure, trusted_app, env).link(PARTNER)
    assert "immutable GitHub subject" in str(error.value) and "ownerId and repositoryId" in str(error.value)


def test_entra_refusing_the_subject_is_permanent(fake_azure: FakeAzure, trusted_app: FakeApp) -> None:
    """Without a trust to compare (verify), Entra's own answer (AADSTS700213) decides, at once."""
    env = fake_azure.github_actions_environment("repo:contoso-partner/landing-zone:environment:staging")
    with pytest.raises(FederationMismatchError) as error:
        federated_client(fake_azure, trusted_app, env, trusted=None).get()
    assert "AADSTS700213" in str(error.value) and "case-sensitive" in str(error.value)
    assert len(fake_azure.requests_to("token")) == 1


def test_an_expired_token_file_is_read_again(fake_azure: FakeAzure, trusted_app: FakeApp, tmp_path: Path) -> None:
    """The platform rotates the token file; an expired token is never sent, the next attempt reads the new one."""
    path = tmp_path / "token"
    path.write_text(fake_azure.issue_oidc_token(MAIN, issuer=GITHUB, lifetime=-60))

    def rotate(message: str) -> None:
        assert "expired" in message
        path.write_text(fake_azure.issue_oidc_token(MAIN, issuer=GITHUB))

    link = federated_client(fake_azure, trusted_app, {"AZURE_FEDERATED_TOKEN_FILE": str(path)}, on_retry=rotate).link(PARTNER)
    assert link.partner_id == PARTNER
    assert len(fake_azure.requests_to("token")) == 1


def test_an_expired_static_token_fails_with_what_to_do(fake_azure: FakeAzure, trusted_app: FakeApp) -> None:
    env = {"ARM_OIDC_TOKEN": fake_azure.issue_oidc_token(MAIN, issuer=GITHUB, lifetime=-60)}
    with pytest.raises(FederationMismatchError) as error:
        federated_client(fake_azure, trusted_app, env).get()
    assert "ARM_OIDC_TOKEN has expired" in str(error.value) and "can't be renewed" in str(error.value)


def test_entra_saying_the_assertion_expired_is_retried_with_a_fresh_one(fake_azure: FakeAzure, trusted_app: FakeApp) -> None:
    from partner_attribution.testing import Fault

    fake_azure.inject(
        Fault(
            "token",
            "status",
            status=401,
            payload={
                "error": "invalid_client",
                "error_description": "AADSTS700024: Client assertion is not within its valid time range.",
            },
        )
    )
    env = fake_azure.github_actions_environment(MAIN)
    assert federated_client(fake_azure, trusted_app, env).link(PARTNER).partner_id == PARTNER
    assert len(fake_azure.requests_to("oidc")) == 2


def test_no_token_source_fails_fast_before_any_request(fake_azure: FakeAzure, trusted_app: FakeApp) -> None:
    started = time.monotonic()
    with pytest.raises(NoTokenSourceError) as error:
        federated_client(fake_azure, trusted_app, {}).link(PARTNER)
    assert time.monotonic() - started < 5  # and no request at all (below): nothing was waited for
    assert waits_on(fake_azure)["clock"].slept == []
    message = str(error.value)
    assert (
        "no pipeline token was found" in message
        and "ACTIONS_ID_TOKEN_REQUEST_URL" in message
        and "AZURE_FEDERATED_TOKEN_FILE" in message
    )
    assert f"presents issuer {GITHUB} and subject {MAIN}" in message and "linkCredential: password" in message
    assert fake_azure.requests == []


def test_a_tenant_that_disables_federation_says_so(fake_azure: FakeAzure, trusted_app: FakeApp) -> None:
    fake_azure.federation_disabled = True
    with pytest.raises(FederationDisabledError) as error:
        federated_client(fake_azure, trusted_app, fake_azure.github_actions_environment(MAIN)).link(PARTNER)
    assert "AADSTS700223" in str(error.value) and "linkCredential: password" in str(error.value)


def test_no_token_or_assertion_in_messages(fake_azure: FakeAzure, trusted_app: FakeApp) -> None:
    """An endpoint that echoes the request (the assertion in the form) puts no token into the error."""
    from partner_attribution.pal.errors import PartnerLinkError
    from partner_attribution.testing import Fault

    env = fake_azure.github_actions_environment(MAIN)
    fake_azure.inject(Fault("token", "echo"))
    with pytest.raises(PartnerLinkError) as error:
        federated_client(fake_azure, trusted_app, env).get()
    message = str(error.value)
    assert "client_assertion=[redacted]" in message
    assert not re.search(r"eyJ[\w-]+\.[\w-]+", message) and env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] not in message


def test_claims_are_read_without_the_token_being_printed() -> None:
    with pytest.raises(ValueError, match="not a JWT"):
        TokenClaims.of("not-a-token")
