"""Two ``link`` runs on one principal at once never re-point it without overwrite, whatever order their requests
reach Azure in: each run reads the link again after writing it (issue 18, "Everything else found")."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from partner_attribution.pal import ClientSecretSource, CloudEndpoints, PartnerLinkClient
from partner_attribution.pal.errors import ConcurrentWriteError, LinkConflictError
from partner_attribution.pal.retry import Backoff
from partner_attribution.testing import FakeApp, FakeAzure

OURS, THEIRS = "1234567", "7654321"


def client_for(azure: FakeAzure, app: FakeApp, secret: str) -> PartnerLinkClient:
    endpoints = CloudEndpoints.for_cloud(authority_host=azure.authority_host, arm_endpoint=azure.arm_endpoint)
    source = ClientSecretSource(app.tenant_id, app.client_id, secret)
    return PartnerLinkClient(source, endpoints, timeout_seconds=20, backoff=Backoff(rng=random.Random(1)))


def after_our_write(azure: FakeAzure, monkeypatch: pytest.MonkeyPatch, app: FakeApp, partner_id: str) -> None:
    """The other run's write reaches Azure right after ours: the first link write is followed by theirs."""
    original: Callable[..., Any] = azure.write_link
    done = {"other": False}

    def write(tenant: str, object_id: str, written: str) -> dict[str, Any]:
        link = original(tenant, object_id, written)
        if not done["other"]:
            done["other"] = True
            original(tenant, object_id, partner_id)
        return link

    monkeypatch.setattr(azure, "write_link", write)


@pytest.mark.parametrize("put_mode", ["conflict", "repoint"])
def test_a_write_followed_by_anothers_is_reported_not_claimed(
    fake_azure: FakeAzure, monkeypatch: pytest.MonkeyPatch, put_mode: str
) -> None:
    """Before, the run said 'linked to 1234567' while the link named the other run's partner ID."""
    fake_azure.put_when_linked_elsewhere = put_mode  # type: ignore[assignment]
    app = fake_azure.add_app()
    secret = fake_azure.add_secret(app)
    after_our_write(fake_azure, monkeypatch, app, THEIRS)
    with pytest.raises(ConcurrentWriteError) as error:
        client_for(fake_azure, app, secret).link(OURS)
    message = str(error.value)
    assert f"written to partner ID {OURS}, but reading it again right after shows {THEIRS}" in message
    assert "--overwrite" in message
    assert fake_azure.link_of(app)["partnerId"] == THEIRS  # theirs stays: nothing re-pointed it back


def test_a_link_written_between_our_read_and_our_write_is_never_repointed(
    fake_azure: FakeAzure, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Azure refuses a PUT on an existing link (409): the run reads again and refuses to re-point."""
    app = fake_azure.add_app()
    secret = fake_azure.add_secret(app)
    client = client_for(fake_azure, app, secret)
    original = client._get
    calls = {"n": 0}

    def their_write_lands_after_our_read(budget: Any) -> Any:
        result = original(budget)
        calls["n"] += 1
        if calls["n"] == 1:
            fake_azure.set_link(app, THEIRS)
        return result

    monkeypatch.setattr(client, "_get", their_write_lands_after_our_read)
    with pytest.raises(LinkConflictError):
        client.link(OURS)
    assert fake_azure.link_of(app)["partnerId"] == THEIRS


def test_two_runs_for_one_partner_both_succeed(fake_azure: FakeAzure, monkeypatch: pytest.MonkeyPatch) -> None:
    app = fake_azure.add_app()
    secret = fake_azure.add_secret(app)
    after_our_write(fake_azure, monkeypatch, app, OURS)
    assert client_for(fake_azure, app, secret).link(OURS).partner_id == OURS
