"""``verify`` over many principals shares one tenant's OpenID discovery between its principals (issue 19), and
still signs each principal in with its own credential and reads its own link."""

from __future__ import annotations

from partner_attribution.pal import CloudEndpoints
from partner_attribution.testing import FakeAzure
from partner_attribution.verify import VerifyTarget, tenants_in_turn, verify_links

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


def test_principals_of_one_tenant_share_one_discovery_but_sign_in_one_by_one(fake_azure: FakeAzure) -> None:
    contoso, fabrikam = fake_azure.add_tenant(), fake_azure.add_tenant()
    targets = _targets(fake_azure, contoso, 5, "c") + _targets(fake_azure, fabrikam, 3, "f")
    results = verify_links(targets, _endpoints(fake_azure), concurrency=8)
    assert [(r.name, r.status) for r in results] == [(t.name, "ok") for t in targets]
    discoveries = [r.tenant_id for r in fake_azure.requests if r.target == "discovery"]
    assert sorted(discoveries) == sorted([contoso, fabrikam])
    signed_in = [r.client_id for r in fake_azure.requests if r.target == "token"]
    assert sorted(signed_in) == sorted(t.client_id for t in targets)
    read = [r.client_id for r in fake_azure.requests if r.target == "arm"]
    assert sorted(read) == sorted(t.client_id for t in targets)


def test_a_failed_discovery_is_asked_again_for_the_next_principal(fake_azure: FakeAzure) -> None:
    unknown = "00000000-0000-0000-0000-00000000dead"
    clients = [f"0000000{index}-0000-0000-0000-000000000000" for index in range(2)]
    targets = [VerifyTarget(f"u{index}", unknown, client, "s", PARTNER) for index, client in enumerate(clients)]
    results = verify_links(targets, _endpoints(fake_azure), concurrency=1, timeout=5)
    assert [r.status for r in results] == ["error", "error"]
    assert all("90002" in r.detail for r in results), [r.detail for r in results]
    assert [r.tenant_id for r in fake_azure.requests if r.target == "discovery"] == [unknown, unknown]


def test_one_principal_of_each_tenant_in_turn() -> None:
    tenants = ["A", "a", "A", "B", "B", "C"]
    targets = [VerifyTarget(f"p{index}", tenant, "client", "s", PARTNER) for index, tenant in enumerate(tenants)]
    assert tenants_in_turn(targets) == [0, 3, 5, 1, 4, 2]
    assert tenants_in_turn([]) == []
