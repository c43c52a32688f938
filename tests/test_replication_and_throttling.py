"""The fake's replication delay per application and its throttling (issue 24), and the link client's answers to them:
it waits out Entra's replication, and waits each ``Retry-After`` it is given, within its budget.

Whether a client obeyed is judged from the fake's record (each request's ``throttled`` and ``before_retry_after``),
never from wall time."""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest
import requests

from conftest import serving_fake, waits_on
from partner_attribution.pal import ClientSecretSource, CloudEndpoints, LinkState, PartnerLinkClient
from partner_attribution.pal.errors import RetryBudgetExhaustedError, Throttled
from partner_attribution.pal.retry import Backoff
from partner_attribution.testing import FakeApp, FakeAzure, Fault
from partner_attribution.testing.fake.throttle import BucketLimit, Throttle, ThrottleSettingError
from partner_attribution.testing.plugins.provider import FakeAzureSession

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

PARTNER = "1234567"


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch, fake_signing_key: RSAPrivateKey) -> Iterator[Callable[..., FakeAzure]]:
    """Start a fake with the given settings that clients in this process reach at Azure's public hosts (its proxy), as
    a deployment does; on a FastForwardClock (:func:`client` waits on it); stopped after the test."""
    with contextlib.ExitStack() as stack:
        yield lambda **settings: stack.enter_context(serving_fake(monkeypatch, fake_signing_key, proxy=True, **settings))


def client(azure: FakeAzure, app: FakeApp, secret: str, **options: object) -> PartnerLinkClient:
    """The link client at Azure's public endpoints (the fake's proxy), as the provider makes it; its waits on the
    fake's clock take no wall time (:func:`conftest.waits_on`)."""
    options.setdefault("timeout_seconds", 60)
    return PartnerLinkClient(
        ClientSecretSource(app.tenant_id, app.client_id, secret),
        CloudEndpoints.for_cloud(),
        backoff=Backoff(rng=random.Random(7)),
        **waits_on(azure),
        **options,  # type: ignore[arg-type]
    )


# -- replication ---------------------------------------------------------------------------------------------------


def test_instance_discovery_is_answered_as_entra_answers_it(serve: Callable[..., FakeAzure]) -> None:
    """MSAL asks for the authority's aliases after a refused sign-in; the fake answered 404, which MSAL raised as
    "HTTP Error: 404" and the link took for a permanent failure."""
    serve()
    answer = requests.get(
        "https://login.microsoftonline.com/common/discovery/instance",
        params={"api-version": "1.1", "authorization_endpoint": "https://login.microsoftonline.com/common/oauth2/authorize"},
        timeout=10,
    )
    assert answer.status_code == 200
    aliases = [group["aliases"] for group in answer.json()["metadata"]]
    assert ["login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"] in aliases


def test_a_link_through_the_public_authority_waits_out_replication(serve: Callable[..., FakeAzure]) -> None:
    """The finding: with the fake's replication delays, links at Azure's public hosts failed with "HTTP Error: 404"."""
    azure = serve()
    app = azure.add_app(ready_after=1.5)
    secret = azure.add_secret(app, ready_after=1.5)
    link = client(azure, app, secret).link(PARTNER)
    assert link.partner_id == PARTNER
    refused = [r for r in azure.requests_to("token") if r.status == 400]
    assert refused, "the app was not replicated at the first sign-in"
    assert not [r for r in azure.requests if r.status == 404 and r.target == "discovery"]


def graph_session(azure: FakeAzure) -> FakeAzureSession:
    tenant = azure.add_tenant()
    deployer = azure.add_app(tenant)
    return FakeAzureSession(azure.base_url, tenant, deployer.client_id, azure.add_secret(deployer))


def sign_in(azure: FakeAzure, app: FakeApp, secret: str) -> dict[str, object]:
    answer = requests.post(
        f"{azure.base_url}/{app.tenant_id}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": app.client_id, "client_secret": secret, "scope": "x"},
        timeout=10,
    )
    body: dict[str, object] = answer.json()
    body["status"] = answer.status_code
    return body


def test_replication_delay_holds_each_new_application_and_credential_back(serve: Callable[..., FakeAzure]) -> None:
    """D counts from each object's own creation: an application made through Graph is unknown (AADSTS700016), then
    its password not yet valid (AADSTS7000215), until Entra catches up with each."""
    azure = serve(replication_delay=3600)
    graph = graph_session(azure)
    made = graph.call("POST", "/v1.0/applications", {"displayName": "delivery"}) or {}
    graph.call("POST", "/v1.0/servicePrincipals", {"appId": made["appId"]})
    password = graph.call("POST", f"/v1.0/applications/{made['id']}/addPassword", {"passwordCredential": {}}) or {}
    app = azure.apps[str(made["appId"])]
    assert app.ready_at - app.created_at >= 3600
    first = sign_in(azure, app, str(password["secretText"]))
    assert (first["status"], first["error_codes"]) == (400, [700016])
    azure.make_ready(app)
    second = sign_in(azure, app, str(password["secretText"]))
    assert (second["status"], second["error_codes"]) == (401, [7000215])
    azure.make_ready(app, str(password["secretText"]))
    assert sign_in(azure, app, str(password["secretText"]))["status"] == 200


def test_federated_credentials_replicate_with_the_same_delay() -> None:
    azure = FakeAzure(replication_delay=120)
    assert (azure.app_ready_after, azure.secret_ready_after, azure.federated_ready_after) == (120, 120, 120)


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), "20", True])
def test_a_replication_delay_that_is_not_seconds_is_refused_by_name(bad: object) -> None:
    with pytest.raises(ValueError, match="replication_delay must be a number of seconds"):
        FakeAzure(replication_delay=bad)  # type: ignore[arg-type]


# -- the token bucket ----------------------------------------------------------------------------------------------


def test_a_bucket_serves_its_size_then_says_when_the_next_token_comes() -> None:
    throttle = Throttle({"read": BucketLimit(3, 0.5)})
    verdicts = [throttle.admit(("t",), "read", "a", 100.0) for _ in range(4)]
    assert [v.retry_after for v in verdicts] == [None, None, None, 2]
    assert not any(v.before_retry_after for v in verdicts)
    early = throttle.admit(("t",), "read", "a", 101.0)
    assert (early.retry_after, early.before_retry_after) == (1, True)  # not processed; a new retry value
    assert throttle.admit(("t",), "read", "a", 102.0).retry_after is None  # refilled one, and the wait is over
    assert throttle.admit(("t",), "read", "b", 102.0).retry_after == 2  # b was never told: refused, not early


def test_buckets_are_per_key_and_operation() -> None:
    throttle = Throttle({"read": BucketLimit(1, 1), "write": BucketLimit(1, 1)})
    assert throttle.admit(("t", "a"), "read", "a", 0.0).retry_after is None
    assert throttle.admit(("t", "a"), "write", "a", 0.0).retry_after is None
    assert throttle.admit(("t", "b"), "read", "b", 0.0).retry_after is None
    assert throttle.admit(("t", "a"), "read", "a", 0.0).retry_after == 1
    assert throttle.admit(("t", "a"), "delete", "a", 0.0).retry_after is None  # no limit for deletes here


@pytest.mark.parametrize(("size", "refill"), [(0, 1), (1, 0), (1, -2), (float("nan"), 1), (0.5, 1)])
def test_bucket_settings_must_be_positive(size: float, refill: float) -> None:
    with pytest.raises(ThrottleSettingError, match="BucketLimit"):
        BucketLimit(size, refill)


def test_arm_throttles_by_the_documented_buckets_unless_told_otherwise() -> None:
    documented = FakeAzure()
    assert documented.arm_throttle is not None
    assert documented.arm_throttle.limits["read"] == BucketLimit(250, 25)
    assert documented.arm_throttle.limits["write"] == BucketLimit(200, 10)
    assert FakeAzure(arm_throttle=None).arm_throttle is None
    assert FakeAzure().token_throttle is None  # Entra publishes no rate: off unless set


# -- the client answers 429 as asked ------------------------------------------------------------------------------


def test_an_arm_429_is_waited_out_for_its_retry_after(serve: Callable[..., FakeAzure]) -> None:
    """One read left in the principal's bucket: the link's re-read after its PUT is answered 429 with Retry-After 5;
    the client waits it out (saying so), then reads again; nothing is sent before the wait is over."""
    azure = serve(arm_throttle={"read": BucketLimit(1, 0.2), "write": BucketLimit(200, 10)})
    app = azure.add_app()
    secret = azure.add_secret(app)
    said: list[str] = []
    link = client(azure, app, secret, progress=said.append).link(PARTNER)
    assert link.partner_id == PARTNER
    throttled = [r for r in azure.requests_to("arm") if r.throttled]
    assert [r.status for r in throttled] == [429]
    assert not [r for r in azure.requests if r.before_retry_after]
    reads = [r.at for r in azure.requests_to("arm") if r.method == "GET"]
    assert reads[-1] - throttled[0].at >= 5  # the order of the record's own times, not a wall-time bound
    assert any("HTTP 429" in line and "waiting" in line for line in said), said


def test_a_token_429_is_waited_out_for_its_retry_after(serve: Callable[..., FakeAzure]) -> None:
    azure = serve(token_throttle=BucketLimit(1, 0.2))
    app = azure.add_app()
    secret = azure.add_secret(app)
    assert client(azure, app, secret).get() is None  # takes the one sign-in the bucket holds
    assert client(azure, app, secret).link(PARTNER).partner_id == PARTNER  # a new client signs in again: 429 first
    tokens = azure.requests_to("token")
    assert [r.status for r in tokens] == [200, 429, 200]
    assert tokens[2].at - tokens[1].at >= 5
    assert not [r for r in azure.requests if r.before_retry_after]


def test_a_retry_after_beyond_the_budget_ends_the_wait_at_once(serve: Callable[..., FakeAzure]) -> None:
    """Retry-After 100 s with a 10 s budget: the client gives up now, naming the throttling, instead of sending early or
    sleeping past its budget."""
    azure = serve(token_throttle=BucketLimit(1, 0.01))
    app = azure.add_app()
    secret = azure.add_secret(app)
    client(azure, app, secret).get()
    with pytest.raises(RetryBudgetExhaustedError) as error:
        client(azure, app, secret, timeout_seconds=10).get()
    assert isinstance(error.value.last, Throttled)
    assert error.value.last.retry_after == 100
    assert error.value.elapsed < 10
    assert waits_on(azure)["clock"].slept == [], "it gave up without waiting"
    assert [r.status for r in azure.requests_to("token")] == [200, 429]


@pytest.mark.long
def test_links_side_by_side_never_send_before_their_retry_after(serve: Callable[..., FakeAzure]) -> None:
    """Twelve links of one tenant at once, each waiting out replication, against a per-tenant token limit of 4 at once
    and 4 a second: many are told to wait, none asks early, all are linked. On real time (about 8 s): clients that
    share a fast-forward clock move the fake's time with each other's waits, so one that asked too early would not
    show in the fake's record. Their first sign-ins are held until all twelve have come (a ``gather`` fault), so that
    they meet the limit together however the threads are scheduled."""
    azure = serve(clock=time.monotonic, replication_delay=1.0, token_throttle=BucketLimit(4, 4), token_throttle_per="tenant")
    tenant = azure.add_tenant()
    principals = []
    for _ in range(12):
        app = azure.add_app(tenant, ready_after=1.0)
        principals.append((app, azure.add_secret(app, ready_after=1.0)))
    azure.inject(Fault("token", "gather", count=len(principals), delay=120, times=None))

    def link(principal: tuple[FakeApp, str]) -> LinkState:
        app, secret = principal
        source = ClientSecretSource(app.tenant_id, app.client_id, secret)
        return PartnerLinkClient(source, CloudEndpoints.for_cloud(), timeout_seconds=120).link(PARTNER)  # real time

    with ThreadPoolExecutor(len(principals)) as pool:
        links = list(pool.map(link, principals))
    assert {link.partner_id for link in links} == {PARTNER}
    assert [r for r in azure.requests_to("token") if r.throttled]
    assert not [r for r in azure.requests if r.before_retry_after]


def test_a_retry_after_is_waited_in_full_and_spread_a_little() -> None:
    backoff = Backoff(rng=random.Random(3))
    waits = [backoff.after_retry_after(1, 5) for _ in range(200)]
    assert min(waits) >= 5
    assert max(waits) <= 5.5
    assert len({round(w, 3) for w in waits}) > 100  # spread: not all back at the same instant
    assert backoff.after_retry_after(9, 0) >= 1.25  # a Retry-After of 0 still backs off
