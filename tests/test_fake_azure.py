"""The fake's answers match the public reference: spec examples and recorded traffic."""

from __future__ import annotations

import json
import time
from pathlib import Path

import requests

from partner_attribution.testing import FakeAzure

REFERENCE = Path(__file__).resolve().parents[1] / "reference"


def _token(azure: FakeAzure, tenant: str, client_id: str, secret: str) -> requests.Response:
    return requests.post(
        f"{azure.authority_host}/{tenant}/oauth2/v2.0/token",
        data={
            "client_id": client_id,
            "client_secret": secret,
            "grant_type": "client_credentials",
            "scope": "x/.default",
        },
        verify=azure.ca_bundle,
        timeout=10,
    )


def test_link_shapes_follow_recorded_traffic(fake_azure: FakeAzure) -> None:
    app = fake_azure.add_app()
    token = _token(fake_azure, app.tenant_id, app.client_id, fake_azure.add_secret(app)).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{fake_azure.arm_endpoint}/providers/Microsoft.ManagementPartner/partners"
    params = {"api-version": "2018-02-01"}

    def call(method: str, partner: str = "") -> requests.Response:
        return requests.request(
            method,
            f"{url}/{partner}".rstrip("/"),
            params=params,
            headers=headers,
            verify=fake_azure.ca_bundle,
            timeout=10,
        )

    recorded = json.loads((REFERENCE / "observed" / "azure-powershell_TestUpdateParnter_trimmed.json").read_text())
    put_recorded = json.loads(recorded["Entries"][0]["ResponseBody"])

    assert call("GET").status_code == 404
    put = call("PUT", "5127255")
    assert put.status_code == 200
    body = put.json()
    assert set(body) == set(put_recorded)
    assert set(body["properties"]) == set(put_recorded["properties"])
    assert body["id"] == "/providers/microsoft.managementpartner/partners/5127255"
    assert body["etag"] == body["properties"]["version"] == 1
    assert body["properties"]["objectId"] == app.object_id and body["properties"]["tenantId"] == app.tenant_id

    patched = call("PATCH", "5127254").json()  # re-point, as recorded: createdTime kept, version + 1
    assert patched["properties"]["partnerId"] == "5127254"
    assert patched["etag"] == 2 and patched["properties"]["createdTime"] == body["properties"]["createdTime"]
    assert call("GET").json()["properties"]["partnerId"] == "5127254"

    deleted = call("DELETE", "5127254")
    assert deleted.status_code == 200 and deleted.content == b""  # recorded: 200 with an empty body
    assert call("GET").status_code == 404
    assert call("DELETE", "5127254").status_code == 404
    # Every change is in the link history, in order, with its time; a DELETE of nothing is none.
    history = [(e.tenant_id, e.object_id, e.partner_id) for e in fake_azure.link_events]
    key = (app.tenant_id, app.object_id)
    assert history == [(*key, "5127255"), (*key, "5127254"), (*key, None)]
    times = [e.at for e in fake_azure.link_events]
    assert times == sorted(times)


def test_one_link_per_principal_and_tenant(fake_azure: FakeAzure) -> None:
    first, second = fake_azure.add_app(), fake_azure.add_app()
    fake_azure.set_link(first, "1111111")
    fake_azure.set_link(second, "2222222")
    fake_azure.set_link(first, "3333333")
    assert fake_azure.link_of(first)["partnerId"] == "3333333"
    assert fake_azure.link_of(second)["partnerId"] == "2222222"
    assert len(fake_azure.links) == 2


def test_entra_errors_use_entra_statuses(fake_azure: FakeAzure) -> None:
    app = fake_azure.add_app()
    secret = fake_azure.add_secret(app)
    unknown = _token(fake_azure, app.tenant_id, "00000000-0000-4000-8000-000000000099", secret)
    assert unknown.status_code == 400 and unknown.json()["error"] == "unauthorized_client"
    assert unknown.json()["error_codes"] == [700016]
    wrong = _token(fake_azure, app.tenant_id, app.client_id, "fake-wrong-secret")
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert wrong.json()["error_codes"] == [7000215]
    fake_azure.expire_secret(app, secret)
    expired = _token(fake_azure, app.tenant_id, app.client_id, secret)
    assert expired.status_code == 401 and expired.json()["error_codes"] == [7000222]


def test_request_log_never_holds_secrets(fake_azure: FakeAzure) -> None:
    app = fake_azure.add_app()
    secret = fake_azure.add_secret(app)
    _token(fake_azure, app.tenant_id, app.client_id, secret)
    assert fake_azure.requests and secret not in repr(fake_azure.requests)


def test_a_gather_fault_holds_requests_until_enough_wait_together(fake_azure: FakeAzure) -> None:
    """Three sign-ins held until all three wait at once, then served; the excepted client is never held; and a lone
    request of a gather that never fills goes on after the fault's delay."""
    from concurrent.futures import ThreadPoolExecutor

    from partner_attribution.testing import Fault

    apps = [fake_azure.add_app() for _ in range(4)]
    secrets = [fake_azure.add_secret(app) for app in apps]
    excepted = apps[3]
    fake_azure.inject(Fault("token", "gather", count=3, delay=60, times=None, except_client_id=excepted.client_id))
    assert _token(fake_azure, excepted.tenant_id, excepted.client_id, secrets[3]).status_code == 200  # not held
    fake_azure.most_in_flight = 0
    with ThreadPoolExecutor(3) as pool:  # each request gives up after 10 s: 60 s of holding would fail it
        answers = list(pool.map(lambda i: _token(fake_azure, apps[i].tenant_id, apps[i].client_id, secrets[i]), range(3)))
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert fake_azure.most_in_flight >= 3  # held together, not served one by one
    fake_azure.faults.clear()
    fake_azure.inject(Fault("token", "gather", count=2, delay=0.3, times=None))
    started = time.monotonic()
    assert _token(fake_azure, apps[0].tenant_id, apps[0].client_id, secrets[0]).status_code == 200
    assert time.monotonic() - started >= 0.3  # held alone for the whole delay, then let go (a lower bound only)
