"""Progress, not spam: waiting on Entra or a flaky network is said once when it starts, then at most every 30
seconds, then once at the end with how long and how many attempts; a failure waiting won't heal stops at once.
The clock is injected: the budgets below are spent in simulated seconds, no test sleeps."""

from __future__ import annotations

import itertools
import random
import re

import pytest

from partner_attribution.pal import ClientSecretSource, CloudEndpoints, PartnerLinkClient
from partner_attribution.pal.errors import CredentialRejectedError, RetryBudgetExhaustedError, TenantNotFoundError
from partner_attribution.pal.progress import WaitReport
from partner_attribution.pal.retry import Backoff
from partner_attribution.testing import FakeApp, FakeAzure
from partner_attribution.testing.fake.model import Fault

PARTNER = "1234567"


class SimulatedClock:
    """Time that passes only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def client_for(azure: FakeAzure, app: FakeApp, secret: str, clock: SimulatedClock, **kwargs: object) -> PartnerLinkClient:
    endpoints = CloudEndpoints.for_cloud(authority_host=azure.authority_host, arm_endpoint=azure.arm_endpoint)
    return PartnerLinkClient(
        ClientSecretSource(app.tenant_id, app.client_id, secret),
        endpoints,
        clock=clock,
        sleep=clock.sleep,
        backoff=Backoff(rng=random.Random(3)),
        **kwargs,  # type: ignore[arg-type]
    )


def test_a_wait_is_said_when_it_starts_then_every_30_seconds_then_at_the_end() -> None:
    clock = SimulatedClock()
    lines: list[str] = []
    report = WaitReport(lines.append, "service principal A", clock=clock)
    for _ in range(50):  # a retry every 2 simulated seconds for 100 seconds
        report.attempted()
        report.retrying("creating the partner link", "AADSTS700016: not in the tenant yet", 600)
        clock.sleep(2)
    report.attempted()
    report.finished("linked")
    assert lines == [
        "creating the partner link for service principal A: waiting (AADSTS700016: not in the tenant yet); "
        "retrying for up to 600s, with a line at most every 30s",
        "creating the partner link for service principal A: still waiting after 30s and 16 attempts "
        "(AADSTS700016: not in the tenant yet)",
        "creating the partner link for service principal A: still waiting after 60s and 31 attempts "
        "(AADSTS700016: not in the tenant yet)",
        "creating the partner link for service principal A: still waiting after 90s and 46 attempts "
        "(AADSTS700016: not in the tenant yet)",
        "service principal A: linked after waiting 100s and 51 attempts",
    ]


def test_an_operation_that_did_not_wait_says_nothing() -> None:
    lines: list[str] = []
    report = WaitReport(lines.append, "service principal A", clock=SimulatedClock())
    report.attempted()
    report.finished("linked")
    assert lines == []


def test_a_flaky_network_for_the_whole_budget_is_a_handful_of_lines(fake_azure: FakeAzure) -> None:
    """Every token request dropped for a 150-second budget: dozens of retries, one line per 30 s."""
    app = fake_azure.add_app()
    secret = fake_azure.add_secret(app)
    fake_azure.inject(Fault("token", "drop", times=None))
    clock = SimulatedClock()
    retries: list[str] = []
    lines: list[str] = []
    client = client_for(fake_azure, app, secret, clock, timeout_seconds=150, on_retry=retries.append, progress=lines.append)
    with pytest.raises(RetryBudgetExhaustedError) as error:
        client.link(PARTNER)
    assert len(retries) > 50
    assert 1 + 150 // 30 - 1 <= len(lines) <= 1 + 150 // 30
    assert lines[0].startswith(
        f"reading the partner link for service principal {app.client_id} in tenant {app.tenant_id}: waiting ("
    )
    assert "connection problem" in lines[0]
    assert all(re.search(r": still waiting after \d+s and \d+ attempts \(connection problem", line) for line in lines[1:])
    said_at = [int(re.search(r"after (\d+)s", line).group(1)) for line in lines[1:]]  # type: ignore[union-attr]
    assert all(later - earlier >= 30 for earlier, later in itertools.pairwise(said_at))
    # the end is the error itself, said once: how long and how many attempts
    assert f"gave up after {len(retries) + 1} attempts over" in str(error.value)


def test_waiting_out_replication_ends_with_how_long_and_how_many_attempts(fake_azure: FakeAzure) -> None:
    """Entra catches up after 95 simulated seconds (when the client reports a retry past that time)."""
    app = fake_azure.add_app(ready_after=3600)
    secret = fake_azure.add_secret(app)
    clock = SimulatedClock()
    started = clock.now
    lines: list[str] = []

    def on_retry(_message: str) -> None:
        if clock.now - started >= 95:
            fake_azure.make_ready(app)

    client = client_for(fake_azure, app, secret, clock, timeout_seconds=600, on_retry=on_retry, progress=lines.append)
    assert client.link(PARTNER).partner_id == PARTNER
    assert "AADSTS700016" in lines[0] and "waiting" in lines[0]
    assert [line.split(": ", 1)[1].split(" after")[0] for line in lines[1:-1]] == ["still waiting"] * 3
    end = re.fullmatch(
        rf"service principal {app.client_id} in tenant {app.tenant_id}: linked after waiting (\d+)s and (\d+) attempts", lines[-1]
    )
    assert end is not None and 95 <= int(end.group(1)) < 100 and int(end.group(2)) > 30


def test_a_tenant_that_does_not_exist_stops_at_once_with_the_reason(fake_azure: FakeAzure) -> None:
    app = fake_azure.add_app()
    secret = fake_azure.add_secret(app)
    clock = SimulatedClock()
    retries: list[str] = []
    lines: list[str] = []
    client = client_for(fake_azure, app, secret, clock, timeout_seconds=600, on_retry=retries.append, progress=lines.append)
    client.source = ClientSecretSource("00000000-0000-4000-8000-00000000dead", app.client_id, secret)
    with pytest.raises(TenantNotFoundError) as error:
        client.link(PARTNER)
    assert "was not found" in str(error.value) and "check the tenant ID" in str(error.value)
    assert retries == [] and lines == [] and clock.now == 1000.0


def test_an_expired_credential_stops_at_once_with_the_reason(fake_azure: FakeAzure) -> None:
    app = fake_azure.add_app()
    secret = fake_azure.add_secret(app)
    fake_azure.expire_secret(app, secret)
    clock = SimulatedClock()
    lines: list[str] = []
    with pytest.raises(CredentialRejectedError) as error:
        client_for(fake_azure, app, secret, clock, timeout_seconds=600, progress=lines.append).link(PARTNER)
    assert "has expired (AADSTS7000222)" in str(error.value) and "credential.rotatedOn" in str(error.value)
    assert lines == [] and clock.now == 1000.0
