"""Trust nothing unconfirmed: answers that look like success and aren't, tokens for someone else, redirects,
a server that trickles bytes, errors that echo secrets. Real azure-identity and azure-mgmt clients over HTTPS
against the fake, which lies on purpose (``Fault`` kinds ``body``, ``foreign_token``, ``redirect``, ``trickle``,
``echo``)."""

from __future__ import annotations

import random
import re
import time
from typing import Any

import pytest

from conftest import waits_on
from partner_attribution.pal import ClientSecretSource, CloudEndpoints, PartnerLinkClient
from partner_attribution.pal.errors import (
    PartnerLinkError,
    PermanentLinkError,
    RedirectRefusedError,
    RetryBudgetExhaustedError,
    TokenMismatchError,
    scrub,
)
from partner_attribution.pal.retry import Backoff
from partner_attribution.testing import FakeApp, FakeAzure, Fault

PARTNER = "1234567"
OTHER = "7654321"


def client_for(azure: FakeAzure, app: FakeApp, secret: str, *, timeout: float = 6, **kwargs: Any) -> PartnerLinkClient:
    """A client of ``azure`` that waits on the fake's clock (:func:`conftest.waits_on`): its waits take no wall time,
    what the server makes it wait (a slow or trickling answer) still counts against its budget."""
    endpoints = CloudEndpoints.for_cloud(authority_host=azure.authority_host, arm_endpoint=azure.arm_endpoint)
    return PartnerLinkClient(
        ClientSecretSource(app.tenant_id, app.client_id, secret),
        endpoints,
        timeout_seconds=timeout,
        backoff=Backoff(base=0.2, cap=0.5, rng=random.Random(5)),
        **waits_on(azure),
        **kwargs,
    )


def body(app: FakeApp, partner_id: str | None, *, object_id: str | None = None, tenant_id: str | None = None) -> dict[str, Any]:
    """A link answer in the recorded shape, naming whatever the lie needs."""
    return {
        "id": f"/providers/microsoft.managementpartner/partners/{partner_id}",
        "type": "Microsoft.ManagementPartner/partners",
        "name": partner_id,
        "etag": 1,
        "properties": {
            "partnerId": partner_id,
            "partnerName": "Somebody",
            "tenantId": tenant_id or app.tenant_id,
            "objectId": object_id or app.object_id,
            "version": 1,
            "state": "Active",
        },
    }


@pytest.fixture
def app(fake_azure: FakeAzure) -> FakeApp:
    return fake_azure.add_app()


@pytest.fixture
def secret(fake_azure: FakeAzure, app: FakeApp) -> str:
    return fake_azure.add_secret(app)


LIES = {
    "an empty body": None,
    "another partner ID": "other",
    "a null partner ID": "null",
    "another caller's object": "object",
    "another tenant": "tenant",
}


def _lie(app: FakeApp, kind: str) -> Any:
    return {
        "an empty body": None,
        "another partner ID": body(app, OTHER),
        "a null partner ID": body(app, None),
        "another caller's object": body(app, PARTNER, object_id="00000000-0000-4000-8000-00000000dead"),
        "another tenant": body(app, PARTNER, tenant_id="00000000-0000-4000-8000-00000000beef"),
    }[kind]


@pytest.mark.parametrize("lie", list(LIES))
def test_a_put_answer_that_does_not_confirm_the_link_is_not_a_link(
    fake_azure: FakeAzure, app: FakeApp, secret: str, lie: str
) -> None:
    """Once: the client retries (reading first), and only a confirmed link counts. Always: it says so."""
    fake_azure.inject(Fault("arm", "body", method="PUT", payload=_lie(app, lie)))
    messages: list[str] = []
    link = client_for(fake_azure, app, secret, on_retry=messages.append).link(PARTNER)
    assert link.partner_id == PARTNER and fake_azure.link_of(app)["partnerId"] == PARTNER
    assert any("not a link" in m for m in messages)

    other = fake_azure.add_app()
    fake_azure.inject(Fault("arm", "body", method="PUT", payload=_lie(other, lie), times=None))
    with pytest.raises(RetryBudgetExhaustedError) as error:
        client_for(fake_azure, other, fake_azure.add_secret(other), timeout=3).link(PARTNER)
    assert "creating the partner link" in str(error.value) and "not a link" in str(error.value)


@pytest.mark.parametrize("lie", ["an empty body", "a null partner ID", "another caller's object"])
def test_a_read_that_returns_nonsense_is_an_error_not_linked_to_none(
    fake_azure: FakeAzure, app: FakeApp, secret: str, lie: str
) -> None:
    fake_azure.set_link(app, PARTNER)
    fake_azure.inject(Fault("arm", "body", method="GET", payload=_lie(app, lie), times=None))
    with pytest.raises(RetryBudgetExhaustedError) as error:
        client_for(fake_azure, app, secret, timeout=3).get()
    assert "not a link" in str(error.value) and "None" not in str(error.value).split("last cause")[0]


def test_a_token_for_another_principal_is_never_used(fake_azure: FakeAzure, app: FakeApp, secret: str) -> None:
    victim = fake_azure.add_app(tenant_id=app.tenant_id)
    fake_azure.set_link(victim, OTHER)
    fake_azure.inject(Fault("token", "foreign_token", payload=victim, times=None))
    with pytest.raises(TokenMismatchError) as error:
        client_for(fake_azure, app, secret).link(PARTNER, overwrite=True)
    assert f"application {victim.client_id}" in str(error.value) and "not used" in str(error.value)
    assert fake_azure.requests_to("arm") == []  # the token never reached ARM
    assert fake_azure.link_of(victim)["partnerId"] == OTHER and fake_azure.link_of(app) is None


def test_no_redirect_is_followed_off_the_host(fake_azure: FakeAzure, app: FakeApp, secret: str) -> None:
    with FakeAzure(signing_key=fake_azure.signing_key) as elsewhere:
        fake_azure.inject(
            Fault(
                "arm", "redirect", status=307, location=f"{elsewhere.arm_endpoint}/providers/Microsoft.ManagementPartner/partners"
            )
        )
        with pytest.raises(RedirectRefusedError) as error:
            client_for(fake_azure, app, secret).get()
        assert len(fake_azure.requests_to("arm")) == 1  # permanent at once: not retried, not followed
        assert "HTTP 307" in str(error.value) and "not followed" in str(error.value)
        assert elsewhere.requests == []


def test_a_trickling_server_cannot_hold_an_operation_past_its_budget(fake_azure: FakeAzure, app: FakeApp, secret: str) -> None:
    """One byte every 0.4 s keeps a socket's read timeout from ever firing; the budget still bounds wall time."""
    fake_azure.inject(Fault("arm", "trickle", method="GET", delay=0.4, payload={"padding": "x" * 200}, times=None))
    started = time.monotonic()
    with pytest.raises(RetryBudgetExhaustedError) as error:
        client_for(fake_azure, app, secret, timeout=2).get()
    assert time.monotonic() - started < 2 + 3  # unbounded before (one byte every 0.4 s); slack for a loaded machine
    assert "timed out" in str(error.value)


def test_a_401_for_the_wrong_audience_is_not_propagation(fake_azure: FakeAzure, app: FakeApp, secret: str) -> None:
    payload = {
        "error": {
            "code": "InvalidAuthenticationTokenAudience",
            "message": "The access token has been obtained for wrong audience.",
        }
    }
    fake_azure.inject(Fault("arm", "status", status=401, payload=payload, times=None))
    messages: list[str] = []
    with pytest.raises(PermanentLinkError) as error:
        client_for(fake_azure, app, secret, on_retry=messages.append).get()
    assert "audience" in str(error.value) and "cloud" in str(error.value)
    assert messages == [] and len(fake_azure.requests_to("arm")) == 1


@pytest.mark.parametrize("target", ["token", "arm"])
def test_echoed_requests_leave_no_secret_or_token_in_the_error(
    fake_azure: FakeAzure, app: FakeApp, secret: str, target: str
) -> None:
    fake_azure.inject(Fault(target, "echo"))  # type: ignore[arg-type]
    with pytest.raises(PartnerLinkError) as error:
        client_for(fake_azure, app, secret).get()
    message = str(error.value)
    assert secret not in message
    assert not re.search(r"eyJ[\w-]+\.[\w-]+", message)
    assert "[redacted]" in message


def test_scrub_covers_the_forms_a_secret_takes() -> None:
    text = (
        "client_secret=abc123xyz&client_assertion=eyJa.eyJb.sig Authorization: Bearer eyJhbGciOi.eyJzdWIi.c2ln raw s3cr3t-value"
    )
    cleaned = scrub(text, ["s3cr3t-value"])
    assert "abc123xyz" not in cleaned and "eyJ" not in cleaned and "s3cr3t-value" not in cleaned
    assert cleaned.count("[redacted]") >= 4


# -- found by the red-team pass ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_a_write_answering_state_deleted_is_not_a_link(fake_azure: FakeAzure, app: FakeApp, secret: str, method: str) -> None:
    deleted = body(app, PARTNER if method == "PUT" else OTHER)
    deleted["properties"]["state"] = "Deleted"
    if method == "PATCH":
        fake_azure.set_link(app, PARTNER)
    fake_azure.inject(Fault("arm", "body", method=method, payload=deleted, times=None))
    with pytest.raises(RetryBudgetExhaustedError) as error:
        client_for(fake_azure, app, secret, timeout=3).link(OTHER if method == "PATCH" else PARTNER, overwrite=True)
    assert "its state is 'Deleted', not Active" in str(error.value)


def test_a_trickling_pipeline_token_endpoint_is_bounded_by_the_budget(fake_azure: FakeAzure, app: FakeApp) -> None:
    from partner_attribution.pal.federation import find_token_source
    from partner_attribution.pal.identity import ClientAssertionSource

    github, subject = "https://token.actions.githubusercontent.com", "repo:contoso/infra:ref:refs/heads/main"
    fake_azure.add_federated_credential(app, github, subject)
    env = fake_azure.github_actions_environment(subject)
    fake_azure.inject(Fault("oidc", "trickle", delay=0.4, payload={"value": "x" * 200}, times=None))
    source = ClientAssertionSource(app.tenant_id, app.client_id, find_token_source(env), audience="api://AzureADTokenExchange")
    endpoints = CloudEndpoints.for_cloud(authority_host=fake_azure.authority_host, arm_endpoint=fake_azure.arm_endpoint)
    started = time.monotonic()
    with pytest.raises(RetryBudgetExhaustedError):
        PartnerLinkClient(source, endpoints, timeout_seconds=2).get()
    assert time.monotonic() - started < 2 + 3  # 36 s before the fix; slack for a loaded machine


def test_a_huge_error_answer_is_quoted_short(fake_azure: FakeAzure, app: FakeApp, secret: str) -> None:
    fake_azure.inject(Fault("arm", "status", status=400, payload={"error": {"code": "Bad", "message": "x" * 2_000_000}}))
    with pytest.raises(PermanentLinkError) as error:
        client_for(fake_azure, app, secret).get()
    assert len(str(error.value)) < 1_000 and "characters)" in str(error.value)


def test_a_busy_answer_that_is_not_utf8_is_still_retried(fake_azure: FakeAzure, app: FakeApp, secret: str) -> None:
    """A proxy's Latin-1 error page: the status decides, not the body's encoding."""
    fake_azure.set_link(app, PARTNER)
    fake_azure.inject(Fault("arm", "status", status=503, payload="Service indisponible \xe9t\xe9".encode("latin-1")))
    messages: list[str] = []
    assert client_for(fake_azure, app, secret, on_retry=messages.append).get() is not None
    assert len(messages) == 1 and "HTTP 503" in messages[0]


def test_a_missing_token_file_fails_fast(fake_azure: FakeAzure, app: FakeApp, tmp_path: Any) -> None:
    from partner_attribution.pal.errors import NoTokenSourceError
    from partner_attribution.pal.federation import find_token_source
    from partner_attribution.pal.identity import ClientAssertionSource

    source = ClientAssertionSource(
        app.tenant_id,
        app.client_id,
        find_token_source({"AZURE_FEDERATED_TOKEN_FILE": str(tmp_path / "gone")}),
        audience="api://AzureADTokenExchange",
    )
    endpoints = CloudEndpoints.for_cloud(authority_host=fake_azure.authority_host, arm_endpoint=fake_azure.arm_endpoint)
    started = time.monotonic()
    with pytest.raises(NoTokenSourceError) as error:
        PartnerLinkClient(source, endpoints, timeout_seconds=600).get()
    assert time.monotonic() - started < 10 and "AZURE_FEDERATED_TOKEN_FILE" in str(error.value)  # budget: 600 s


def test_scrub_also_covers_escaped_and_encoded_echoes() -> None:
    secret = 'ab"c\\d&e+f/g='
    import json as _json
    from urllib.parse import quote

    echoed = f"json {_json.dumps(secret)} query {quote(secret, safe='')}"
    assert secret not in scrub(echoed, [secret]) and _json.dumps(secret)[1:-1] not in scrub(echoed, [secret])
    assert quote(secret, safe="") not in scrub(echoed, [secret])


def test_an_attempt_cut_short_by_the_budget_keeps_what_earlier_attempts_learned(
    fake_azure: FakeAzure, app: FakeApp, secret: str
) -> None:
    """A refused secret, then an answer that never comes before the budget ends: the error still says the secret was
    refused (the provider's refresh turns that into "can't be verified ... rotate"), not "timed out"."""
    from partner_attribution.pal.errors import SecretNotAccepted

    fake_azure.revoke_secret(app, secret)

    def stall(_message: str) -> None:
        fake_azure.inject(Fault("token", "slow", delay=30, times=None))

    with pytest.raises(RetryBudgetExhaustedError) as error:
        client_for(fake_azure, app, secret, timeout=4, on_retry=stall).get()
    assert isinstance(error.value.last, SecretNotAccepted), error.value
    assert "AADSTS7000215" in str(error.value)
