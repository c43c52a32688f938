"""The PAL client with the real azure-identity credential and azure-mgmt client, over HTTPS, against
the fake: request counts, Entra's replication delay, and the fault matrix (each fault kind at
create, read, update and delete)."""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass, replace

import pytest

from conftest import FastForwardClock, waits_on
from partner_attribution.pal import (
    ClientSecretSource,
    CloudEndpoints,
    CredentialRejectedError,
    LinkConflictError,
    PartnerLinkClient,
    PermanentLinkError,
    RetryBudgetExhaustedError,
)
from partner_attribution.pal.retry import Backoff
from partner_attribution.testing import FakeApp, FakeAzure, Fault
from partner_attribution.testing.fake.model import RecordedRequest
from tests.test_untrusted_answers import body

PARTNER = "1234567"
OTHER = "7654321"


def client_for(azure: FakeAzure, app: FakeApp, secret: str, *, timeout: float = 20, **kwargs: object) -> PartnerLinkClient:
    """A client of ``azure`` that waits on the fake's clock (:func:`conftest.waits_on`): its waits take no wall time."""
    endpoints = CloudEndpoints.for_cloud(authority_host=azure.authority_host, arm_endpoint=azure.arm_endpoint)
    return PartnerLinkClient(
        ClientSecretSource(app.tenant_id, app.client_id, secret),
        endpoints,
        timeout_seconds=timeout,
        **waits_on(azure),
        **kwargs,  # type: ignore[arg-type]
    )


def test_happy_path_request_counts(fake_azure: FakeAzure) -> None:
    app = fake_azure.add_app()
    secret = fake_azure.add_secret(app)
    link = client_for(fake_azure, app, secret).link(PARTNER)
    assert (link.partner_id, link.object_id, link.tenant_id, link.state) == (
        PARTNER,
        app.object_id,
        app.tenant_id,
        "Active",
    )
    create = [(r.target, r.method) for r in fake_azure.requests]
    # the link is read again after writing it: another run may have written it in between (issue 18)
    assert create == [("discovery", "GET"), ("token", "POST"), ("arm", "GET"), ("arm", "PUT"), ("arm", "GET")]

    fake_azure.clear_requests()
    assert client_for(fake_azure, app, secret).get() == link
    read = [(r.target, r.method) for r in fake_azure.requests]
    assert read == [("discovery", "GET"), ("token", "POST"), ("arm", "GET")]


def test_links_as_the_principal_itself(fake_azure: FakeAzure) -> None:
    one, two = fake_azure.add_app(), fake_azure.add_app(tenant_id=None)
    client_for(fake_azure, one, fake_azure.add_secret(one)).link(PARTNER)
    assert fake_azure.link_of(one)["objectId"] == one.object_id
    assert fake_azure.link_of(two) is None


def test_adopts_an_existing_link_to_the_same_partner(fake_azure: FakeAzure) -> None:
    app = fake_azure.add_app()
    fake_azure.set_link(app, PARTNER)
    link = client_for(fake_azure, app, fake_azure.add_secret(app)).link(PARTNER)
    assert link.version == 1
    assert not [r for r in fake_azure.requests if r.method in ("PUT", "PATCH")]


@pytest.mark.parametrize("put_mode", ["conflict", "repoint"])
def test_never_repoints_silently(fake_azure: FakeAzure, put_mode: str) -> None:
    fake_azure.put_when_linked_elsewhere = put_mode  # type: ignore[assignment]
    app = fake_azure.add_app()
    secret = fake_azure.add_secret(app)
    fake_azure.set_link(app, OTHER)
    with pytest.raises(LinkConflictError) as error:
        client_for(fake_azure, app, secret).link(PARTNER)
    assert app.client_id in str(error.value) and OTHER in str(error.value) and PARTNER in str(error.value)
    assert "overwrite_existing" in str(error.value)
    assert fake_azure.link_of(app)["partnerId"] == OTHER

    link = client_for(fake_azure, app, secret).link(PARTNER, overwrite=True)
    assert link.partner_id == PARTNER and link.version == 2
    assert [r.method for r in fake_azure.requests if r.target == "arm"][-2:] == ["PATCH", "GET"]


def test_put_conflict_after_a_race_reads_again(fake_azure: FakeAzure) -> None:
    """A link appears between GET and PUT: the 409 leads to a fresh read and the same rules."""
    app = fake_azure.add_app()
    secret = fake_azure.add_secret(app)
    client = client_for(fake_azure, app, secret)
    original_get = client._get
    calls = {"n": 0}

    def racing_get(budget):  # type: ignore[no-untyped-def]
        result = original_get(budget)
        calls["n"] += 1
        if calls["n"] == 1:
            fake_azure.set_link(app, OTHER)  # another tool links the principal right after our read
        return result

    client._get = racing_get  # type: ignore[method-assign]
    with pytest.raises(LinkConflictError):
        client.link(PARTNER)
    assert calls["n"] == 2
    assert fake_azure.link_of(app)["partnerId"] == OTHER


def test_waits_out_entra_replication(fake_azure: FakeAzure) -> None:
    """Entra knows the app first, then its secret: each stage is retried, in order, and the link is made as soon
    as the secret works. Deterministic: Entra "catches up" when the client reports the retry, not on a timer."""
    app = fake_azure.add_app(ready_after=3600)
    secret = fake_azure.add_secret(app, ready_after=3600)
    codes: list[str] = []
    secret_works_at: list[float] = []

    def on_retry(message: str) -> None:
        code = re.search(r"AADSTS\d+", message)
        codes.append(code.group(0) if code else message)
        if codes[-1] == "AADSTS700016":
            fake_azure.make_ready(app)
        elif codes[-1] == "AADSTS7000215":
            fake_azure.make_ready(app, secret)
            secret_works_at.append(time.monotonic())

    link = client_for(fake_azure, app, secret, on_retry=on_retry, backoff=Backoff(rng=random.Random(7))).link(PARTNER)
    assert link.partner_id == PARTNER
    assert codes == ["AADSTS700016", "AADSTS7000215"]
    # the attempt after the secret works links: no retry after it (codes above), one PUT (below); how long that
    # takes is a benchmark's business (bench/link_cost.py), not a bound a loaded machine can break
    assert secret_works_at
    assert len([r for r in fake_azure.requests if r.method == "PUT"]) == 1


def test_tls_is_verified(fake_azure: FakeAzure, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the fake's CA in REQUESTS_CA_BUNDLE the connection is refused at once, with the fix."""
    import certifi

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())  # public CAs only
    app = fake_azure.add_app()
    started = time.monotonic()
    with pytest.raises(PermanentLinkError) as error:
        client_for(fake_azure, app, fake_azure.add_secret(app), timeout=30).get()
    assert time.monotonic() - started < 10  # far below the 30 s budget: not retried
    assert waits_on(fake_azure)["clock"].slept == []  # not retried (its waits take no wall time: the bound can't say)
    assert "TLS verification failed" in str(error.value) and "REQUESTS_CA_BUNDLE" in str(error.value)
    assert fake_azure.requests == []


def test_a_slow_answer_cannot_outlast_the_budget(fake_azure: FakeAzure) -> None:
    """The budget counts the time an answer really takes (the fake's clock runs with real time)."""
    app = fake_azure.add_app()
    fake_azure.inject(Fault("arm", "slow", delay=20, times=None))
    started = time.monotonic()
    with pytest.raises(RetryBudgetExhaustedError) as error:
        client_for(fake_azure, app, fake_azure.add_secret(app), timeout=2).get()
    assert time.monotonic() - started < 2 + 3  # the budget, plus slack for a loaded 2-core machine
    assert "timed out" in str(error.value)


def test_budget_exhaustion_says_what_was_tried(fake_azure: FakeAzure) -> None:
    app = fake_azure.add_app(ready_after=60)
    started = time.monotonic()
    with pytest.raises(RetryBudgetExhaustedError) as error:
        client_for(fake_azure, app, fake_azure.add_secret(app), timeout=4).link(PARTNER)
    assert time.monotonic() - started < 4 + 3  # the budget, plus scheduling slack on a loaded 2-core machine
    message = str(error.value)
    assert "reading the partner link" in message and "attempts over" in message and "AADSTS700016" in message
    assert error.value.attempts >= 2


# -- the fault matrix ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    name: str
    write_method: str | None  # the ARM method that changes the link


OPERATIONS = [
    Operation("create", "PUT"),
    Operation("read", None),
    Operation("update", "PATCH"),
    Operation("delete", "DELETE"),
]


def _prepare(azure: FakeAzure, operation: Operation, **app_kwargs: float) -> tuple[FakeApp, str]:
    app = azure.add_app(**app_kwargs)
    secret = azure.add_secret(app)
    if operation.name in ("read", "delete"):
        azure.set_link(app, PARTNER)
    if operation.name == "update":
        azure.set_link(app, OTHER)
    return app, secret


def _run(client: PartnerLinkClient, operation: Operation) -> object:
    if operation.name == "create":
        return client.link(PARTNER)
    if operation.name == "read":
        return client.get()
    if operation.name == "update":
        return client.link(PARTNER, expected_current=OTHER)
    return client.unlink(PARTNER)


def _assert_converged(azure: FakeAzure, app: FakeApp, operation: Operation, retries: int, exact: int | None = None) -> None:
    """One link in the right state, and no write to Microsoft beyond the reported retries."""
    azure.wait_idle()
    link = azure.link_of(app)
    if operation.name == "delete":
        assert link is None
    else:
        assert link is not None and link["partnerId"] == PARTNER
        assert len(azure.links) == 1
    if operation.write_method:
        writes = [r for r in azure.requests if r.target == "arm" and r.method == operation.write_method]
        assert 1 <= len(writes) <= 1 + retries
        if exact is not None:
            assert len(writes) == exact


TRANSIENT_FAULTS = {
    "token 503": (Fault("token", "status", status=503), False),
    "token 429 Retry-After": (Fault("token", "status", status=429, retry_after=1), False),
    "token connection dropped": (Fault("token", "drop"), False),
    "ARM 429 Retry-After": (Fault("arm", "status", status=429, retry_after=1), True),
    "ARM 500": (Fault("arm", "status", status=500), True),
    "ARM 503": (Fault("arm", "status", status=503), True),
    "ARM connection dropped": (Fault("arm", "drop"), True),
    "ARM slow answer": (Fault("arm", "slow", delay=2.5), True),
}


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: o.name)
@pytest.mark.parametrize("fault_name", list(TRANSIENT_FAULTS))
def test_transient_faults_converge(fake_azure: FakeAzure, operation: Operation, fault_name: str) -> None:
    template, on_arm = TRANSIENT_FAULTS[fault_name]
    app, secret = _prepare(fake_azure, operation)
    fault = replace(template, method=operation.write_method or "GET") if on_arm else replace(template)
    fake_azure.inject(fault)
    messages: list[str] = []
    started = time.monotonic()
    _run(client_for(fake_azure, app, secret, on_retry=messages.append, read_timeout=1.5), operation)
    assert time.monotonic() - started < 15
    assert fault.times == 0, "the fault was served"
    assert messages, "the retry was reported"
    if fault.retry_after:  # Retry-After is honoured
        assert float(messages[0].split("retrying in ")[1].split("s")[0]) >= fault.retry_after
    _assert_converged(fake_azure, app, operation, len(messages), exact=2 if on_arm else 1)


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: o.name)
@pytest.mark.parametrize("delay", ["app", "secret", "arm"])
def test_replication_delay_converges(fake_azure: FakeAzure, operation: Operation, delay: str) -> None:
    kwargs = {"app": {"ready_after": 1.5}, "secret": {}, "arm": {"arm_ready_after": 1.5}}[delay]
    app, secret = _prepare(fake_azure, operation, **kwargs)
    if delay == "secret":
        secret = fake_azure.add_secret(app, ready_after=1.5)
    messages: list[str] = []
    _run(client_for(fake_azure, app, secret, on_retry=messages.append), operation)
    assert messages, "the delay was waited out with retries"
    _assert_converged(fake_azure, app, operation, len(messages))
    successes = [r for r in fake_azure.requests if r.target == "arm" and r.method == operation.write_method and r.status == 200]
    assert len(successes) == (1 if operation.write_method else 0)


PERMANENT = [
    (operation, kind)
    for kind in ("expired secret", "unknown tenant", "rejected partner ID", "403")
    for operation in OPERATIONS
    # Microsoft validates a partner ID only when one is linked: read and delete send none to reject.
    if not (kind == "rejected partner ID" and operation.write_method in (None, "DELETE"))
]


@pytest.mark.parametrize(("operation", "kind"), PERMANENT, ids=[f"{k}-{o.name}" for o, k in PERMANENT])
def test_permanent_faults_fail_fast(fake_azure: FakeAzure, operation: Operation, kind: str) -> None:
    app, secret = _prepare(fake_azure, operation)
    client = client_for(fake_azure, app, secret, timeout=60)
    expected: type[Exception] = PermanentLinkError
    if kind == "expired secret":
        fake_azure.expire_secret(app, secret)
        expected, text = CredentialRejectedError, "has expired (AADSTS7000222)"
    elif kind == "unknown tenant":
        client.source = ClientSecretSource("00000000-0000-4000-8000-00000000dead", app.client_id, secret)
        text = "was not found"
    elif kind == "rejected partner ID":
        fake_azure.rejected_partner_ids.add(PARTNER)
        text = "InvalidPartnerId"
    else:
        fake_azure.inject(Fault("arm", "status", status=403, method=operation.write_method or "GET"))
        text = "HTTP 403"
    started = time.monotonic()
    with pytest.raises(expected) as error:
        _run(client, operation)
    assert time.monotonic() - started < 10  # far below the budget: a permanent fault is not retried
    assert waits_on(fake_azure)["clock"].slept == []  # not retried (its waits take no wall time: the bound can't say)
    assert text in str(error.value)
    assert secret not in str(error.value)


# -- destroy's read-then-unlink: one budget ----------------------------------------------------------


def removals(azure: FakeAzure) -> list[RecordedRequest]:
    """The DELETEs the fake was sent, whatever it answered."""
    return [r for r in azure.requests_to("arm") if r.method == "DELETE"]


def seeded_client(azure: FakeAzure, app: FakeApp, secret: str, timeout: float) -> PartnerLinkClient:
    """A client on the fake's fast-forward clock (:func:`client_for`) whose backoff is seeded: its budget, backoff
    and ``Retry-After`` waits count on the clock the fake counts on, and take no wall time."""
    return client_for(azure, app, secret, timeout=timeout, backoff=Backoff(rng=random.Random(7)))


def test_unlink_if_named_removes_only_a_link_naming_the_id(fake_azure: FakeAzure) -> None:
    ours, theirs, none = fake_azure.add_app(), fake_azure.add_app(), fake_azure.add_app()
    fake_azure.set_link(ours, PARTNER)
    fake_azure.set_link(theirs, OTHER)
    assert client_for(fake_azure, ours, fake_azure.add_secret(ours)).unlink_if_named(PARTNER) is None
    left = client_for(fake_azure, theirs, fake_azure.add_secret(theirs)).unlink_if_named(PARTNER)
    assert left is not None and left.partner_id == OTHER and left.object_id == theirs.object_id
    assert client_for(fake_azure, none, fake_azure.add_secret(none)).unlink_if_named(PARTNER) is None
    assert (fake_azure.link_of(ours), fake_azure.link_of(theirs)["partnerId"]) == (None, OTHER)
    assert [r.path.split("?")[0].rsplit("/", 1)[-1] for r in removals(fake_azure)] == [PARTNER]


def test_unlink_if_named_with_no_id_leaves_any_link(fake_azure: FakeAzure) -> None:
    """None: the caller can't tell which partner ID is its own, so even a link to its recorded ID stays."""
    app = fake_azure.add_app()
    fake_azure.set_link(app, PARTNER)
    left = client_for(fake_azure, app, fake_azure.add_secret(app)).unlink_if_named(None)
    assert left is not None and left.partner_id == PARTNER
    assert fake_azure.link_of(app)["partnerId"] == PARTNER and removals(fake_azure) == []


def test_unlink_if_named_reads_and_deletes_under_one_budget(fake_azure: FakeAzure) -> None:
    """A read throttled for about 40 s, then a DELETE throttled for ever: the whole call ends within one 60-second
    budget (two budgets would have let the DELETE retry for 60 s more), and the link is still there."""
    app = fake_azure.add_app()
    fake_azure.set_link(app, PARTNER)
    fake_azure.inject(Fault("arm", "status", status=429, retry_after=20, method="GET", times=2))
    fake_azure.inject(Fault("arm", "status", status=429, retry_after=5, method="DELETE", times=None))
    clock = fake_azure.clock
    assert isinstance(clock, FastForwardClock)
    started, waits_before = clock(), len(clock.slept)
    with pytest.raises(RetryBudgetExhaustedError) as error:
        seeded_client(fake_azure, app, fake_azure.add_secret(app), timeout=60).unlink_if_named(PARTNER)
    took, waited = clock() - started, sum(clock.slept[waits_before:])  # took: the waits plus the requests' real time
    assert "removing the partner link" in str(error.value)
    assert waited >= 40, "the read waited out its two 429s"
    assert waited <= 60, f"read and DELETE together waited {waited:.1f}s of a 60s budget"
    # The last request is bounded by what is left of the budget (at least 1 s); two budgets would run to about 100 s.
    assert took < 60 + 5, f"read and DELETE together took {took:.0f}s of a 60s budget"
    assert removals(fake_azure) and fake_azure.link_of(app)["partnerId"] == PARTNER


@pytest.mark.parametrize("fault", ["throttled", "unavailable"])
def test_unlink_if_named_sends_no_delete_when_the_read_fails(fake_azure: FakeAzure, fault: str) -> None:
    app = fake_azure.add_app()
    fake_azure.set_link(app, PARTNER)
    status, retry_after = (429, 10.0) if fault == "throttled" else (503, None)
    fake_azure.inject(Fault("arm", "status", status=status, retry_after=retry_after, method="GET", times=None))
    with pytest.raises(RetryBudgetExhaustedError) as error:
        seeded_client(fake_azure, app, fake_azure.add_secret(app), timeout=60).unlink_if_named(PARTNER)
    assert "reading the partner link" in str(error.value)
    assert removals(fake_azure) == [] and fake_azure.link_of(app)["partnerId"] == PARTNER


@pytest.mark.parametrize("whose", ["object", "tenant"])
def test_unlink_if_named_sends_no_delete_after_a_read_naming_someone_else(fake_azure: FakeAzure, whose: str) -> None:
    """A 200 answer naming the partner ID, but another object or tenant, is not this principal's link: never
    confirmed, so no DELETE, and the call ends in an error."""
    app = fake_azure.add_app()
    fake_azure.set_link(app, PARTNER)
    stranger = "00000000-0000-4000-8000-00000000dead"
    lie = body(app, PARTNER, **({"object_id": stranger} if whose == "object" else {"tenant_id": stranger}))
    fake_azure.inject(Fault("arm", "body", method="GET", payload=lie, times=None))
    with pytest.raises(RetryBudgetExhaustedError) as error:
        seeded_client(fake_azure, app, fake_azure.add_secret(app), timeout=20).unlink_if_named(PARTNER)
    assert "not a link" in str(error.value) and f"names {whose} {stranger}" in str(error.value)
    assert removals(fake_azure) == [] and fake_azure.link_of(app)["partnerId"] == PARTNER
