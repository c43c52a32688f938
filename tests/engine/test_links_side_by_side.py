"""Issue 24 under the real engine: a Python program's new principals, linked through the plugin's ``PartnerAdminLink``,
wait out Entra's replication side by side, and obey throttling.

Judged from the fake's record of requests (each with its time, whether it was throttled, and whether it came before a
``Retry-After`` its client had been given), never from wall time."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from partner_attribution.testing.engine import FakeDeployment
from partner_attribution.testing.fake import FakeAzure, Fault
from partner_attribution.testing.fake.throttle import BucketLimit

from .conftest import write_project_file
from .plugin_stack import install_plugin

pytestmark = pytest.mark.engine

PRINCIPALS = 12
REPLICATION_DELAY = 2.0
SCOPE = "/subscriptions/11111111-1111-4111-8111-111111111111"


def project(work_dir: Path, count: int) -> Path:
    """The bundled project with ``count`` new password principals, one Contributor role each."""
    work_dir.mkdir(parents=True)
    write_project_file(work_dir)
    principals = [
        {"name": f"p{i:02d}", "roles": [{"role": "Contributor", "scope": SCOPE}], "credential": {"rotatedOn": "2026-11-01"}}
        for i in range(count)
    ]
    config = {"partner-attribution:partnerId": "1234567", "partner-attribution:principals": principals}
    (work_dir / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": config}))
    return work_dir


def test_new_principals_links_wait_out_replication_side_by_side_within_throttling(pulumi_bin: Path, tmp_path: Path) -> None:
    """Twelve new principals, each usable for sign-in only 2 s after it was made, and a tenant whose token endpoint
    allows 2 sign-ins at once and 1 a second more: all twelve links are waiting at once (the dynamic provider's cap
    was four), some sign-ins are answered 429, and no request is sent before the Retry-After its client was given."""
    from partner_attribution.program import main

    fake = FakeAzure(replication_delay=REPLICATION_DELAY, token_throttle=BucketLimit(2, 1), token_throttle_per="tenant")
    with FakeDeployment(pulumi_bin, tmp_path / "engine", fake) as deployment:
        install_plugin(deployment)
        deployer = deployment.deployer.client_id if deployment.deployer else None
        # The links' sign-ins are held until all twelve are waiting (only links side by side can gather), then go on
        # together into the tenant's token limit: the overlap and the 429s do not depend on the machine's speed.
        fake.inject(Fault("token", "gather", count=PRINCIPALS, delay=120, times=None, except_client_id=deployer))
        stack = deployment.stack(project(tmp_path / "project", PRINCIPALS), "dev", main)
        stack.up(parallel=64)  # the CLI's default (8 on 2 CPUs) would hold links back: README, "Many new principals"
        requests = list(fake.requests)
        confirmed = {
            r.client_id: r.at
            for r in requests
            if r.method == "PUT" and r.status == 200 and "managementpartner" in r.path.lower() and r.client_id
        }
        assert len(confirmed) == PRINCIPALS
        spans = []
        for client_id, done in confirmed.items():
            app = fake.apps[client_id]
            assert app.ready_at - app.created_at >= REPLICATION_DELAY  # each was made new, with the delay
            sign_ins = [r for r in requests if r.target == "token" and r.client_id == client_id]
            replicated = max([app.ready_at, *(secret.ready_at for secret in app.secrets.values())])
            assert all(r.at >= replicated for r in sign_ins if r.status == 200), "signed in before Entra replicated it"
            spans.append((min(r.at for r in sign_ins), done))
        most_open = max(sum(1 for start, end in spans if start <= moment < end) for moment, _ in spans)
        assert most_open == PRINCIPALS, f"at most {most_open} links were open at once: {sorted(spans)}"
        throttled = [r for r in requests if r.throttled and r.client_id != deployer]
        assert throttled, "the token limit never applied, so obeying it was not tested"
        # The deploying identity signs in from two processes (the fake azuread and azure-native plugins, stand-ins for
        # the real providers), each unaware of the other's Retry-After: not a link's request.
        early = [r for r in requests if r.before_retry_after and r.client_id != deployer]
        assert not early, f"link requests sent before their Retry-After elapsed: {early}"
        assert all(fake.link_of(fake.apps[c]) is not None for c in confirmed)
        stack.destroy()
