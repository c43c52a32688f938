"""``verify`` over many principals (issue 19) signs each principal in with its own credential, straight at its
tenant's token endpoint (azure-identity's asynchronous credentials: no OpenID discovery), and reads its own link,
over one shared connection pool that trusts and routes as ``requests`` does."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
import requests

from partner_attribution.pal import CloudEndpoints
from partner_attribution.testing import FakeAzure
from partner_attribution.verify import VerifyTarget, tenants_in_turn, verify_links
from partner_attribution.verify_transport import ca_bundle, environment_proxy, tls_context

PARTNER = "1234567"


def _targets(azure: FakeAzure, tenant: str, count: int, prefix: str) -> list[VerifyTarget]:
    targets = []
    for index in range(count):
        app = azure.add_app(tenant)
        secret = azure.add_secret(app)
        azure.set_link(app, PARTNER)
        targets.append(VerifyTarget(f"{prefix}{index}", tenant, app.client_id, secret, PARTNER))
    return targets


def _endpoints(azure: FakeAzure) -> CloudEndpoints:
    return CloudEndpoints.for_cloud(authority_host=azure.authority_host, arm_endpoint=azure.arm_endpoint)


def test_principals_of_one_tenant_sign_in_one_by_one_without_discovery(fake_azure: FakeAzure) -> None:
    contoso, fabrikam = fake_azure.add_tenant(), fake_azure.add_tenant()
    targets = _targets(fake_azure, contoso, 5, "c") + _targets(fake_azure, fabrikam, 3, "f")
    results = verify_links(targets, _endpoints(fake_azure), concurrency=8)
    assert [(r.name, r.status) for r in results] == [(t.name, "ok") for t in targets]
    assert [r for r in fake_azure.requests if r.target == "discovery"] == []  # MSAL asked once per tenant before
    signed_in = [r.client_id for r in fake_azure.requests if r.target == "token"]
    assert sorted(signed_in) == sorted(t.client_id for t in targets)
    read = [r.client_id for r in fake_azure.requests if r.target == "arm"]
    assert sorted(read) == sorted(t.client_id for t in targets)
    assert fake_azure.connections <= 8  # one pool: not a connection per principal


def test_an_unknown_tenant_fails_each_of_its_principals_asking_entra_each_time(fake_azure: FakeAzure) -> None:
    unknown = "00000000-0000-0000-0000-00000000dead"
    clients = [f"0000000{index}-0000-0000-0000-000000000000" for index in range(2)]
    targets = [VerifyTarget(f"u{index}", unknown, client, "s", PARTNER) for index, client in enumerate(clients)]
    results = verify_links(targets, _endpoints(fake_azure), concurrency=1, timeout=5)
    assert [r.status for r in results] == ["error", "error"]
    assert all("90002" in r.detail for r in results), [r.detail for r in results]
    assert [r.target for r in fake_azure.requests] == ["token", "token"]  # a failure is not remembered; ARM not asked


def test_one_principal_of_each_tenant_in_turn() -> None:
    tenants = ["A", "a", "A", "B", "B", "C"]
    targets = [VerifyTarget(f"p{index}", tenant, "client", "s", PARTNER) for index, tenant in enumerate(tenants)]
    assert tenants_in_turn(targets) == [0, 3, 5, 1, 4, 2]
    assert tenants_in_turn([]) == []


def test_the_pool_trusts_the_ca_bundle_requests_would(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/bundles/requests.pem")
    monkeypatch.setenv("CURL_CA_BUNDLE", "/bundles/curl.pem")
    assert ca_bundle() == "/bundles/requests.pem"
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    assert ca_bundle() == "/bundles/curl.pem"
    monkeypatch.delenv("CURL_CA_BUNDLE")
    assert ca_bundle() == requests.certs.where()


def test_a_ca_bundle_folder_is_accepted_as_requests_accepts_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``REQUESTS_CA_BUNDLE`` may name a folder of hashed certificates (``c_rehash``): the pool's TLS context reads it
    as such instead of failing to open it as a file."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path))
    context = tls_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_a_server_the_bundle_does_not_vouch_for_is_an_error_not_a_link(
    fake_azure: FakeAzure, monkeypatch: pytest.MonkeyPatch
) -> None:
    targets = _targets(fake_azure, fake_azure.add_tenant(), 1, "p")
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")  # the fake's CA is trusted only through it
    (result,) = verify_links(targets, _endpoints(fake_azure), timeout=3)
    assert result.status == "error" and "certificate" in result.detail.lower(), result.detail
    assert fake_azure.requests == []  # nothing was sent over the untrusted connection


def test_the_pool_goes_through_the_environments_proxy(fake_azure: FakeAzure, monkeypatch: pytest.MonkeyPatch) -> None:
    """Azure's public endpoints, reached only through HTTPS_PROXY (the fake's proxy tunnels them to the fake)."""
    for key, value in fake_azure.environment(proxy=True).items():
        monkeypatch.setenv(key, value)
    targets = _targets(fake_azure, fake_azure.add_tenant(), 2, "p")
    results = verify_links(targets, CloudEndpoints.for_cloud("public"), timeout=20)
    assert [r.status for r in results] == ["ok", "ok"], [r.detail for r in results]
    assert sorted(r.target for r in fake_azure.requests) == ["arm", "arm", "token", "token"]


def test_the_proxy_is_the_environments_for_each_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("https_proxy", "http_proxy", "no_proxy", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,.internal.example")
    assert environment_proxy("https://management.azure.com") == "http://proxy.example:3128"
    assert environment_proxy("https://127.0.0.1:8443") is None
    assert environment_proxy("https://arm.internal.example") is None
    assert environment_proxy("http://management.azure.com") is None  # no HTTP_PROXY: HTTPS_PROXY is for https only
    monkeypatch.setenv("ALL_PROXY", "http://all.example:3128")
    assert environment_proxy("http://management.azure.com") == "http://all.example:3128"  # as requests reads it
    assert environment_proxy("https://management.azure.com") == "http://proxy.example:3128"  # the scheme's wins


def test_hosts_no_proxy_names_are_reached_directly(fake_azure: FakeAzure, monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy that does not exist, for every host but the fake's (NO_PROXY): verify never tries it."""
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.2:9")
    monkeypatch.setenv("https_proxy", "http://127.0.0.2:9")
    targets = _targets(fake_azure, fake_azure.add_tenant(), 2, "p")
    results = verify_links(targets, _endpoints(fake_azure), timeout=5)
    assert [r.status for r in results] == ["ok", "ok"], [r.detail for r in results]
