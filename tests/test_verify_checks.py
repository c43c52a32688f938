"""``verify``'s asynchronous read (:mod:`partner_attribution.pal.aio`, issue 19) proves what the blocking client
proves (``tests/test_untrusted_answers.py``): a token is used only for the identity that asked, an answer counts only
when it confirms the link and its caller, transient failures are retried within one budget and permanent ones are
not, the budget bounds wall time, and no secret or token reaches a message. Real azure-identity (``aio``) and
azure-mgmt (``aio``) clients over HTTPS against the fake, which lies on purpose."""

from __future__ import annotations

import asyncio
import random
import re
import time
from typing import Any

import pytest

from conftest import waits_on
from partner_attribution.pal import ClientSecretSource, CloudEndpoints, LinkState, PartnerLinkError
from partner_attribution.pal.aio import AsyncLinkReader
from partner_attribution.pal.errors import (
    PermanentLinkError,
    RedirectRefusedError,
    RetryBudgetExhaustedError,
    TokenMismatchError,
)
from partner_attribution.pal.retry import Backoff
from partner_attribution.testing import FakeApp, FakeAzure, Fault
from partner_attribution.verify import VerifyResult, VerifyTarget, verify_links
from partner_attribution.verify_transport import shared_async_transport
from tests.test_untrusted_answers import OTHER, PARTNER, _lie, body


def _endpoints(azure: FakeAzure) -> CloudEndpoints:
    return CloudEndpoints.for_cloud(authority_host=azure.authority_host, arm_endpoint=azure.arm_endpoint)


def read(azure: FakeAzure, app: FakeApp, secret: str, *, timeout: float = 6, **options: Any) -> LinkState | None:
    """One identity's link, read by :class:`AsyncLinkReader` over verify's shared transport, waiting on the fake's clock
    (:func:`conftest.waits_on`): its waits take no wall time, what the server makes it wait still counts."""

    async def run() -> LinkState | None:
        transport = shared_async_transport(4)
        try:
            reader = AsyncLinkReader(
                ClientSecretSource(app.tenant_id, app.client_id, secret),
                _endpoints(azure),
                timeout_seconds=timeout,
                backoff=Backoff(base=0.2, cap=0.5, rng=random.Random(5)),
                transport=transport,
                **waits_on(azure, asynchronous=True),
                **options,
            )
            return await reader.read()
        finally:
            await transport.session.close()

    return asyncio.run(run())


@pytest.fixture
def app(fake_azure: FakeAzure) -> FakeApp:
    return fake_azure.add_app()


@pytest.fixture
def secret(fake_azure: FakeAzure, app: FakeApp) -> str:
    return fake_azure.add_secret(app)


def test_a_link_is_read_as_the_identity_that_signed_in(fake_azure: FakeAzure, app: FakeApp, secret: str) -> None:
    fake_azure.set_link(app, PARTNER)
    link = read(fake_azure, app, secret)
    assert link is not None and (link.partner_id, link.tenant_id, link.object_id) == (PARTNER, app.tenant_id, app.object_id)
    assert [(r.target, r.client_id) for r in fake_azure.requests] == [("token", app.client_id), ("arm", app.client_id)]


def test_a_reader_only_reads_and_only_asynchronously(fake_azure: FakeAzure, app: FakeApp, secret: str) -> None:
    reader = AsyncLinkReader(ClientSecretSource(app.tenant_id, app.client_id, secret), _endpoints(fake_azure))
    for call in (reader.get, lambda: reader.link(PARTNER), lambda: reader.unlink(PARTNER)):
        with pytest.raises(TypeError, match="AsyncLinkReader"):
            call()
    assert fake_azure.requests == [] and fake_azure.link_of(app) is None


def test_no_link_and_a_deleted_link_read_as_none(fake_azure: FakeAzure, app: FakeApp, secret: str) -> None:
    assert read(fake_azure, app, secret) is None
    deleted = {**body(app, PARTNER), "properties": {**body(app, PARTNER)["properties"], "state": "Deleted"}}
    fake_azure.inject(Fault("arm", "body", method="GET", payload=deleted))
    assert read(fake_azure, app, secret) is None


@pytest.mark.parametrize("lie", ["an empty body", "a null partner ID", "another caller's object", "another tenant"])
def test_a_read_that_returns_nonsense_is_an_error_not_linked_to_none(
    fake_azure: FakeAzure, app: FakeApp, secret: str, lie: str
) -> None:
    fake_azure.set_link(app, PARTNER)
    fake_azure.inject(Fault("arm", "body", method="GET", payload=_lie(app, lie), times=None))
    with pytest.raises(RetryBudgetExhaustedError) as error:
        read(fake_azure, app, secret, timeout=3)
    assert "not a link" in str(error.value) and len(fake_azure.requests_to("arm")) > 1  # retried, then given up


def test_a_token_for_another_principal_is_never_used(fake_azure: FakeAzure, app: FakeApp, secret: str) -> None:
    victim = fake_azure.add_app(tenant_id=app.tenant_id)
    fake_azure.set_link(victim, OTHER)
    fake_azure.inject(Fault("token", "foreign_token", payload=victim, times=None))
    with pytest.raises(TokenMismatchError) as error:
        read(fake_azure, app, secret)
    assert f"application {victim.client_id}" in str(error.value) and "not used" in str(error.value)
    assert fake_azure.requests_to("arm") == []  # the token never reached ARM


def test_no_redirect_is_followed_off_the_host(fake_azure: FakeAzure, app: FakeApp, secret: str) -> None:
    with FakeAzure(signing_key=fake_azure.signing_key) as elsewhere:
        location = f"{elsewhere.arm_endpoint}/providers/Microsoft.ManagementPartner/partners"
        fake_azure.inject(Fault("arm", "redirect", status=307, location=location))
        with pytest.raises(RedirectRefusedError) as error:
            read(fake_azure, app, secret)
        assert len(fake_azure.requests_to("arm")) == 1  # permanent at once: not retried, not followed
        assert "HTTP 307" in str(error.value) and elsewhere.requests == []


def test_a_trickling_server_cannot_hold_the_read_past_its_budget(fake_azure: FakeAzure, app: FakeApp, secret: str) -> None:
    fake_azure.inject(Fault("arm", "trickle", method="GET", delay=0.4, payload={"padding": "x" * 200}, times=None))
    started = time.monotonic()
    with pytest.raises(RetryBudgetExhaustedError) as error:
        read(fake_azure, app, secret, timeout=2)
    assert time.monotonic() - started < 2 + 3  # unbounded without the budget; slack for a loaded machine
    assert "timed out" in str(error.value)


def test_a_401_for_the_wrong_audience_is_permanent(fake_azure: FakeAzure, app: FakeApp, secret: str) -> None:
    payload = {"error": {"code": "InvalidAuthenticationTokenAudience", "message": "obtained for wrong audience."}}
    fake_azure.inject(Fault("arm", "status", status=401, payload=payload, times=None))
    messages: list[str] = []
    with pytest.raises(PermanentLinkError) as error:
        read(fake_azure, app, secret, on_retry=messages.append)
    assert "audience" in str(error.value) and messages == [] and len(fake_azure.requests_to("arm")) == 1


def test_throttling_is_retried_after_what_retry_after_says(fake_azure: FakeAzure, app: FakeApp, secret: str) -> None:
    fake_azure.set_link(app, PARTNER)
    fake_azure.inject(Fault("arm", "status", status=429, retry_after=1))
    messages: list[str] = []
    link = read(fake_azure, app, secret, on_retry=messages.append)
    assert link is not None and link.partner_id == PARTNER
    assert len(fake_azure.requests_to("arm")) == 2 and len(messages) == 1
    waited = re.search(r"retrying in (\d+\.\d)s", messages[0])
    # Retry-After in full, plus up to a tenth more so that links throttled together do not return together.
    assert "HTTP 429" in messages[0] and waited is not None and 1.0 <= float(waited.group(1)) <= 1.1, messages
    slept = waits_on(fake_azure, asynchronous=True)["clock"].slept
    assert len(slept) == 1 and f"{slept[0]:.1f}" == waited.group(1), "the reader waited what it said, on its clock"


def test_a_failed_sign_in_is_retried_with_a_new_credential(fake_azure: FakeAzure, app: FakeApp, secret: str) -> None:
    fake_azure.set_link(app, PARTNER)
    fake_azure.inject(Fault("token", "status", status=503))
    link = read(fake_azure, app, secret)
    assert link is not None and link.partner_id == PARTNER
    assert [r.target for r in fake_azure.requests] == ["token", "token", "arm"]


@pytest.mark.parametrize("target", ["token", "arm"])
def test_echoed_requests_leave_no_secret_or_token_in_the_error(
    fake_azure: FakeAzure, app: FakeApp, secret: str, target: str
) -> None:
    fake_azure.inject(Fault(target, "echo"))  # type: ignore[arg-type]
    with pytest.raises(PartnerLinkError) as error:
        read(fake_azure, app, secret)
    message = str(error.value)
    assert secret not in message and not re.search(r"eyJ[\w-]+\.[\w-]+", message)
    assert "[redacted]" in message


def test_verify_reports_each_principal_in_input_order_as_it_comes(fake_azure: FakeAzure) -> None:
    """ok, missing, wrong-partner and error side by side; ``on_result`` hears of each once; no secret in a detail."""
    tenant = fake_azure.add_tenant()
    apps = [fake_azure.add_app(tenant) for _ in range(4)]
    secrets = [fake_azure.add_secret(a) for a in apps]
    fake_azure.set_link(apps[0], PARTNER)
    fake_azure.set_link(apps[2], OTHER)
    wrong_secret = "not-the-secret-" + secrets[3]
    given = [*secrets[:3], wrong_secret]
    targets = [VerifyTarget(f"p{i}", tenant, a.client_id, s, PARTNER) for i, (a, s) in enumerate(zip(apps, given, strict=True))]
    heard: list[VerifyResult] = []
    waits = waits_on(fake_azure, asynchronous=True)
    results = verify_links(targets, _endpoints(fake_azure), concurrency=3, timeout=5, on_result=heard.append, **waits)
    assert [(r.name, r.status) for r in results] == [("p0", "ok"), ("p1", "missing"), ("p2", "wrong-partner"), ("p3", "error")]
    assert sorted(r.name for r in heard) == ["p0", "p1", "p2", "p3"]
    assert results[2].actual_partner_id == OTHER and OTHER in results[2].detail
    assert "AADSTS7000215" in results[3].detail and all(s not in r.detail for r in results for s in given)
