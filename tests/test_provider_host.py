"""The PAL provider driven through the SDK's own dynamic provider host (``python -m pulumi.dynamic``),
in a separate process that reaches our code only through the installed package, exactly as the
engine drives it: Configure, Check, Diff, Create, Read, Update, Delete. The ``__provider`` blob is
the one a ``PartnerAdminLink`` registers under Pulumi mocks."""

from __future__ import annotations

import base64
import importlib.metadata
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi.output import Unknown
from pulumi.runtime import rpc

from partner_attribution.offline.engine import evaluate
from partner_attribution.partner_link import PartnerAdminLink, PartnerAdminLinkArgs
from partner_attribution.testing import FakeApp, FakeAzure
from partner_attribution.testing.fake.model import Fault
from partner_attribution.testing.provider_host import DynamicProviderHost, ProviderCallError

PARTNER = "1234567"
OTHER = "7654321"
URN = (
    "urn:pulumi:dev::partner-attribution::partner-attribution:index:DeliveryPrincipal"
    "$pulumi-python:dynamic/partner-attribution:PartnerAdminLink::delivery-pal"
)
DIFF_NONE, DIFF_SOME = 1, 2


@pytest.fixture(scope="module")
def registration() -> dict[str, Any]:
    """Inputs of a PartnerAdminLink as registered with the engine (under mocks)."""
    secret = "fake-secret-registered-under-mocks"

    def program() -> None:
        PartnerAdminLink(
            "delivery-pal",
            PartnerAdminLinkArgs(
                partner_id=PARTNER,
                tenant_id="00000000-0000-4000-8000-000000000001",
                client_id="00000000-0000-4000-8000-000000000002",
                client_secret=secret,
            ),
        )

    resource = evaluate(program).resources[0]
    return {"resource": resource, "secret": secret}


@pytest.fixture
def host(fake_azure: FakeAzure) -> Iterator[DynamicProviderHost]:
    with DynamicProviderHost(env=fake_azure.environment()) as provider_host:
        provider_host.configure()
        yield provider_host


def inputs_for(registration: dict[str, Any], azure: FakeAzure, app: FakeApp, secret: str, **overrides: Any) -> dict[str, Any]:
    """What the engine sends: the registered inputs with this principal's values, secrets unwrapped
    (the dynamic provider host does not accept secrets)."""
    news = {
        "__provider": registration["resource"].inputs["__provider"],
        "partner_id": PARTNER,
        "tenant_id": app.tenant_id,
        "client_id": app.client_id,
        "client_secret": secret,
        "authority_host": azure.authority_host,
        "arm_endpoint": azure.arm_endpoint,
        "timeout_seconds": 20,
    }
    news.update(overrides)
    return news


def create(host: DynamicProviderHost, news: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    inputs, failures = host.check(URN, {}, news)
    assert failures == []
    id_, outs = host.create(URN, inputs)
    return id_, outs, inputs


def test_provider_blob_is_a_small_reference_without_secrets(registration: dict[str, Any]) -> None:
    resource = registration["resource"]
    blob = resource.inputs["__provider"]
    assert isinstance(blob, str) and not resource.input_is_secret("__provider")
    assert len(blob) < 1024
    pickled = base64.b64decode(blob)
    assert b"partner_attribution.partner_link" in pickled and b"PartnerAdminLinkProvider" in pickled
    assert registration["secret"].encode() not in pickled
    assert resource.input_is_secret("client_secret")
    assert resource.additional_secret_outputs == ["client_secret"]


def test_host_reaches_the_code_only_through_the_installed_package(tmp_path: Path) -> None:
    """The host runs isolated (-I: no PYTHONPATH, no script directory) in an empty directory; the
    same interpreter, started the same way, finds the package where pip installed it."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    found = subprocess.run(
        [sys.executable, "-I", "-c", "import partner_attribution.partner_link as m; print(m.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert not found.startswith(str(tmp_path))
    distribution = importlib.metadata.distribution("partner-attribution")
    installed = {str(f) for f in distribution.files or []}
    direct_url = distribution.read_text("direct_url.json") or ""
    assert "partner_attribution/partner_link.py" in installed or '"editable": true' in direct_url


def test_full_lifecycle(host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any]) -> None:
    app = fake_azure.add_app(ready_after=1.0)
    secret = fake_azure.add_secret(app)
    id_, outs, inputs = create(host, inputs_for(registration, fake_azure, app, secret))
    assert id_ == f"{app.tenant_id}/{app.object_id}"
    assert {k: outs[k] for k in ("partner_id", "tenant_id", "client_id", "object_id", "state")} == {
        "partner_id": PARTNER,
        "tenant_id": app.tenant_id,
        "client_id": app.client_id,
        "object_id": app.object_id,
        "state": "Active",
    }
    assert outs["partner_name"] == f"Partner {PARTNER}"
    assert fake_azure.link_of(app)["partnerId"] == PARTNER

    read_id, read_outs = host.read(URN, id_, outs, inputs)
    assert read_id == id_ and read_outs["partner_id"] == PARTNER
    assert host.diff(URN, id_, read_outs, inputs).changes == DIFF_NONE

    moved = inputs_for(registration, fake_azure, app, secret, partner_id=OTHER)
    diff = host.diff(URN, id_, read_outs, moved)
    assert diff.changes == DIFF_SOME and list(diff.replaces) == []
    updated = host.update(URN, id_, read_outs, moved)
    assert updated["partner_id"] == OTHER and fake_azure.link_of(app)["partnerId"] == OTHER

    host.delete(URN, id_, updated)
    assert fake_azure.link_of(app) is None
    host.delete(URN, id_, updated)  # already unlinked: success


def test_check_reports_bad_inputs(host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any]) -> None:
    app = fake_azure.add_app()
    news = inputs_for(
        registration,
        fake_azure,
        app,
        "fake-secret",
        partner_id="ABC",
        tenant_id="not-a-guid",
        cloud="mars",
        arm_endpoint="http://127.0.0.1:1",
    )
    _, failures = host.check(URN, {}, news)
    assert dict(failures) == {
        "partner_id": "'ABC' is not a numeric Microsoft partner ID (4 to 10 digits)",
        "tenant_id": "'not-a-guid' is not a GUID",
        "cloud": "'mars': use one of public, usgovernment, china",
        "arm_endpoint": "'http://127.0.0.1:1': must be an https:// URL",
    }


def test_diff_rules(host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any]) -> None:
    app = fake_azure.add_app()
    secret = fake_azure.add_secret(app)
    id_, outs, inputs = create(host, inputs_for(registration, fake_azure, app, secret))
    for key, value, replaces in [
        ("partner_id", OTHER, []),
        ("tenant_id", "00000000-0000-4000-8000-0000000000ff", ["tenant_id"]),
        ("client_id", "00000000-0000-4000-8000-0000000000ee", ["client_id"]),
        ("cloud", "usgovernment", ["cloud"]),
        ("client_secret", "fake-secret-rotated", []),
    ]:
        diff = host.diff(URN, id_, outs, {**inputs, key: value})
        assert (diff.changes, list(diff.replaces)) == (DIFF_SOME, replaces), key
    assert host.diff(URN, id_, outs, inputs).changes == DIFF_NONE


def test_rotated_secret_updates_without_calling_microsoft(
    host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any]
) -> None:
    app = fake_azure.add_app()
    secret = fake_azure.add_secret(app)
    id_, outs, inputs = create(host, inputs_for(registration, fake_azure, app, secret))
    rotated = fake_azure.add_secret(app)
    fake_azure.clear_requests()
    updated = host.update(URN, id_, outs, {**inputs, "client_secret": rotated})
    assert fake_azure.requests == []
    assert updated["client_secret"] == rotated and updated["partner_id"] == PARTNER
    host.read(URN, id_, updated, {**inputs, "client_secret": rotated})  # the new secret is the one used now
    assert [r.status for r in fake_azure.requests if r.target == "token"] == [200]


def test_create_adopts_same_and_refuses_other_partner(
    host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any]
) -> None:
    same, other = fake_azure.add_app(), fake_azure.add_app()
    fake_azure.set_link(same, PARTNER)
    fake_azure.set_link(other, OTHER)
    _, outs, _ = create(host, inputs_for(registration, fake_azure, same, fake_azure.add_secret(same)))
    assert outs["partner_id"] == PARTNER and fake_azure.link_of(same)["version"] == 1

    other_secret = fake_azure.add_secret(other)
    with pytest.raises(ProviderCallError) as error:
        create(host, inputs_for(registration, fake_azure, other, other_secret))
    assert f"already linked to partner ID {OTHER}, not {PARTNER}" in error.value.details
    assert "overwrite_existing" in error.value.details and other.client_id in error.value.details
    assert fake_azure.link_of(other)["partnerId"] == OTHER

    _, outs, _ = create(host, inputs_for(registration, fake_azure, other, other_secret, overwrite_existing=True))
    assert outs["partner_id"] == PARTNER and fake_azure.link_of(other)["partnerId"] == PARTNER


# -- drift, as a refresh (Read) followed by a preview (Diff) sees it --------------------------------


def test_drift_link_removed(host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any]) -> None:
    app = fake_azure.add_app()
    id_, outs, inputs = create(host, inputs_for(registration, fake_azure, app, fake_azure.add_secret(app)))
    fake_azure.remove_link(app)
    read_id, _ = host.read(URN, id_, outs, inputs)
    assert read_id == ""  # gone from state: the next preview creates the link again


def test_drift_link_state_deleted(host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any]) -> None:
    fake_azure.deleted_links = "state"
    app = fake_azure.add_app()
    id_, outs, inputs = create(host, inputs_for(registration, fake_azure, app, fake_azure.add_secret(app)))
    fake_azure.remove_link(app)
    assert fake_azure.links[(app.tenant_id, app.object_id)]["state"] == "Deleted"
    assert host.read(URN, id_, outs, inputs)[0] == ""


def test_drift_link_repointed(host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any]) -> None:
    app = fake_azure.add_app()
    id_, outs, inputs = create(host, inputs_for(registration, fake_azure, app, fake_azure.add_secret(app)))
    fake_azure.set_link(app, OTHER)
    read_id, refreshed = host.read(URN, id_, outs, inputs)
    assert read_id == id_ and refreshed["partner_id"] == OTHER
    diff = host.diff(URN, id_, refreshed, inputs)
    assert diff.changes == DIFF_SOME and list(diff.replaces) == []  # preview: update partner_id OTHER -> PARTNER


@pytest.mark.parametrize("how", ["expired", "revoked"])
def test_drift_credential_invalid(
    host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any], how: str
) -> None:
    app = fake_azure.add_app()
    secret = fake_azure.add_secret(app)
    id_, outs, inputs = create(host, inputs_for(registration, fake_azure, app, secret))
    (fake_azure.expire_secret if how == "expired" else fake_azure.revoke_secret)(app, secret)
    with pytest.raises(ProviderCallError) as error:
        # Read's budget comes from the state; the first sign-in must end inside it (on a loaded machine too) for
        # Entra's code to be in the message.
        host.read(URN, id_, {**outs, "timeout_seconds": 5}, inputs)
    assert "can't be verified" in error.value.details
    assert "credential.rotatedOn" in error.value.details
    assert ("AADSTS7000222" if how == "expired" else "AADSTS7000215") in error.value.details


def test_drift_principal_deleted(host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any]) -> None:
    app = fake_azure.add_app()
    id_, outs, inputs = create(host, inputs_for(registration, fake_azure, app, fake_azure.add_secret(app)))
    fake_azure.delete_app(app)
    short = {**outs, "timeout_seconds": 3}
    assert host.read(URN, id_, short, inputs)[0] == ""
    host.delete(URN, id_, short)  # destroy never gets stuck on a deleted principal
    assert "no longer exists in tenant" in host.stderr()


def test_refresh_does_not_drop_a_link_it_could_not_read(
    host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any]
) -> None:
    """Only Entra's 'application not found' means the principal is gone; ARM refusing the token
    for the whole budget is an error, and the link stays in state."""
    app = fake_azure.add_app()
    id_, outs, inputs = create(host, inputs_for(registration, fake_azure, app, fake_azure.add_secret(app)))
    app.arm_ready_at = float("inf")
    with pytest.raises(ProviderCallError) as error:
        host.read(URN, id_, {**outs, "timeout_seconds": 3}, inputs)
    assert "ARM answered 401" in error.value.details


def test_secret_never_leaks(host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any]) -> None:
    app = fake_azure.add_app(ready_after=1.0)
    secret = fake_azure.add_secret(app)
    id_, outs, inputs = create(host, inputs_for(registration, fake_azure, app, secret))
    public_outputs = {k: v for k, v in outs.items() if k != "client_secret"}  # the engine keeps that one secret
    assert secret not in repr(public_outputs)
    fake_azure.revoke_secret(app, secret)
    with pytest.raises(ProviderCallError) as error:
        host.read(URN, id_, {**outs, "timeout_seconds": 3}, inputs)  # Read's budget comes from the state
    assert secret not in error.value.details
    fake_azure.delete_app(app)
    with pytest.raises(ProviderCallError) as error:
        host.create(URN, inputs_for(registration, fake_azure, app, secret, timeout_seconds=2))
    assert secret not in error.value.details
    assert "retrying" in host.stderr() and secret not in host.stderr()
    assert secret not in repr(fake_azure.requests)
    assert secret not in registration["resource"].inputs["__provider"]


def test_refresh_then_up_never_takes_over_another_partners_link(
    host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any]
) -> None:
    """`pulumi up --refresh`: the refresh records the other partner's ID; the update must not re-point it without
    overwriteExistingLink (the preview still shows the drift)."""
    app = fake_azure.add_app()
    id_, outs, inputs = create(host, inputs_for(registration, fake_azure, app, fake_azure.add_secret(app)))
    assert outs["linked_partner_id"] == PARTNER
    fake_azure.set_link(app, OTHER)
    _, refreshed = host.read(URN, id_, outs, inputs)
    assert (refreshed["partner_id"], refreshed["linked_partner_id"]) == (OTHER, PARTNER)
    assert host.diff(URN, id_, refreshed, inputs).changes == DIFF_SOME
    with pytest.raises(ProviderCallError) as error:
        host.update(URN, id_, refreshed, inputs)
    assert f"already linked to partner ID {OTHER}, not {PARTNER}" in error.value.details
    assert "overwriteExistingLink" in error.value.details
    assert fake_azure.link_of(app)["partnerId"] == OTHER
    updated = host.update(URN, id_, refreshed, {**inputs, "overwrite_existing": True})
    assert (updated["partner_id"], updated["linked_partner_id"]) == (PARTNER, PARTNER)


def test_the_partners_own_change_of_id_still_repoints(
    host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any]
) -> None:
    app = fake_azure.add_app()
    id_, outs, inputs = create(host, inputs_for(registration, fake_azure, app, fake_azure.add_secret(app)))
    updated = host.update(URN, id_, outs, {**inputs, "partner_id": OTHER})
    assert (updated["partner_id"], updated["linked_partner_id"]) == (OTHER, OTHER)
    assert fake_azure.link_of(app)["partnerId"] == OTHER


# -- federated links -----------------------------------------------------------------------------------

GITHUB = "https://token.actions.githubusercontent.com"
MAIN = "repo:contoso-partner/landing-zone:ref:refs/heads/main"


@pytest.fixture(scope="module")
def federated_registration() -> dict[str, Any]:
    def program() -> None:
        PartnerAdminLink(
            "delivery-pal",
            PartnerAdminLinkArgs(
                partner_id=PARTNER,
                tenant_id="00000000-0000-4000-8000-000000000001",
                client_id="00000000-0000-4000-8000-000000000002",
                credential_type="federated",
                trusted_issuer=GITHUB,
                trusted_subject=MAIN,
            ),
        )

    return {"resource": evaluate(program).resources[0]}


def federated_inputs(registration: dict[str, Any], azure: FakeAzure, app: FakeApp, **overrides: Any) -> dict[str, Any]:
    news = {
        "__provider": registration["resource"].inputs["__provider"],
        "partner_id": PARTNER,
        "tenant_id": app.tenant_id,
        "client_id": app.client_id,
        "credential_type": "federated",
        "trusted_issuer": GITHUB,
        "trusted_subject": MAIN,
        "authority_host": azure.authority_host,
        "arm_endpoint": azure.arm_endpoint,
        "timeout_seconds": 20,
    }
    news.update(overrides)
    return news


def test_a_federated_link_registers_nothing_secret(federated_registration: dict[str, Any]) -> None:
    resource = federated_registration["resource"]
    assert "client_secret" not in resource.inputs
    assert not any(resource.input_is_secret(key) for key in resource.inputs)
    assert resource.additional_secret_outputs == []


def test_federated_lifecycle_through_the_host(fake_azure: FakeAzure, federated_registration: dict[str, Any]) -> None:
    app = fake_azure.add_app()
    fake_azure.add_federated_credential(app, GITHUB, MAIN, ready_after=1.0)  # created moments ago
    env = {**fake_azure.environment(), **fake_azure.github_actions_environment(MAIN)}
    with DynamicProviderHost(env=env) as host:
        host.configure()
        news = federated_inputs(federated_registration, fake_azure, app)
        inputs, failures = host.check(URN, {}, news)
        assert failures == []
        id_, outs = host.create(URN, inputs)
        assert outs["partner_id"] == PARTNER and fake_azure.link_of(app)["partnerId"] == PARTNER
        read_id, refreshed = host.read(URN, id_, outs, inputs)
        assert read_id == id_ and refreshed["partner_id"] == PARTNER
        fake_azure.remove_link(app)
        assert host.read(URN, id_, outs, inputs)[0] == ""  # drift: the next preview creates it again
        fake_azure.set_link(app, PARTNER)
        host.delete(URN, id_, outs)
        assert fake_azure.link_of(app) is None
        state = {"outputs": outs, "refreshed": refreshed}
        tokens = [t for t in fake_azure.tokens] + [env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]]
        assert not any(token in repr(state) for token in tokens)
        assert not any(token in host.stderr() for token in tokens)
        assert "client_secret" not in outs and "client_secret" not in refreshed


def test_check_accepts_a_federated_link_and_refuses_a_secret_with_it(
    host: DynamicProviderHost, fake_azure: FakeAzure, federated_registration: dict[str, Any]
) -> None:
    app = fake_azure.add_app()
    assert host.check(URN, {}, federated_inputs(federated_registration, fake_azure, app))[1] == []
    _, failures = host.check(URN, {}, federated_inputs(federated_registration, fake_azure, app, client_secret="x"))
    assert failures == [("client_secret", "a federated link has no client secret; remove it")]
    _, failures = host.check(URN, {}, federated_inputs(federated_registration, fake_azure, app, credential_type="certificate"))
    assert failures == [("credential_type", "'certificate': use one of client_secret, federated")]


def test_federated_link_without_a_token_source_fails_fast(
    host: DynamicProviderHost, fake_azure: FakeAzure, federated_registration: dict[str, Any]
) -> None:
    """A `pulumi up` from a laptop: the host has no pipeline token; create fails at once, naming where it looked."""
    app = fake_azure.add_app()
    inputs, _ = host.check(URN, {}, federated_inputs(federated_registration, fake_azure, app))
    with pytest.raises(ProviderCallError) as error:
        host.create(URN, inputs)
    assert "no pipeline token was found" in error.value.details and "ACTIONS_ID_TOKEN_REQUEST_URL" in error.value.details
    assert fake_azure.requests == []


def link_removals(azure: FakeAzure) -> list[str]:
    """The DELETEs of a PAL link the fake was sent (whatever it answered)."""
    return [r.path for r in azure.requests_to("arm") if r.method == "DELETE" and "managementpartner" in r.path.lower()]


def left_in_place_warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "left in place" in line]


def test_destroy_after_a_refresh_leaves_another_partners_link(
    host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any]
) -> None:
    """A 0.2+ state (linked_partner_id recorded) whose refresh found the link re-pointed: destroy sends no DELETE at
    all (what DELETE does to a link naming another ID is undocumented), warns once, and succeeds."""
    app = fake_azure.add_app()
    id_, outs, inputs = create(host, inputs_for(registration, fake_azure, app, fake_azure.add_secret(app)))
    fake_azure.set_link(app, OTHER)
    _, refreshed = host.read(URN, id_, outs, inputs)
    fake_azure.clear_requests()
    host.delete(URN, id_, refreshed)
    assert fake_azure.link_of(app)["partnerId"] == OTHER
    assert link_removals(fake_azure) == []
    [warning] = left_in_place_warnings(host.stderr())
    assert f"'delivery-pal' (service principal {app.client_id}, tenant {app.tenant_id})" in warning
    assert f"names partner ID {OTHER}, not {PARTNER}, the partner ID this stack linked" in warning
    assert f"partner-attribution unlink --partner-id {OTHER}" in warning
    assert f"az managementpartner delete --partner-id {OTHER}" in warning


def legacy(outputs: dict[str, Any]) -> dict[str, Any]:
    """A link's state as release 0.1 wrote it: no linked_partner_id."""
    return {k: v for k, v in outputs.items() if k != "linked_partner_id"}


def test_destroy_of_a_0_1_state_whose_refresh_found_another_partner_leaves_their_link(
    host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any]
) -> None:
    """The refresh records the live (other) partner ID in partner_id and leaves linked_partner_id absent, as before
    (no marker that could reach outputs or SDKs); destroy leaves the link, saying why and how to remove it."""
    app = fake_azure.add_app()
    id_, outs, inputs = create(host, inputs_for(registration, fake_azure, app, fake_azure.add_secret(app)))
    fake_azure.set_link(app, OTHER)
    _, refreshed = host.read(URN, id_, legacy(outs), inputs)
    assert refreshed["partner_id"] == OTHER and "linked_partner_id" not in refreshed
    fake_azure.clear_requests()
    host.delete(URN, id_, refreshed)
    assert fake_azure.link_of(app)["partnerId"] == OTHER
    assert link_removals(fake_azure) == []
    [warning] = left_in_place_warnings(host.stderr())
    assert f"service principal {app.client_id}" in warning and f"names partner ID {OTHER}" in warning
    assert "its state was written by release 0.1, which did not record which partner ID the stack linked" in warning
    assert f"if {OTHER} is your own partner ID, remove the link by hand" in warning
    assert f"partner-attribution unlink --partner-id {OTHER}" in warning
    with pytest.raises(ProviderCallError) as error:
        host.update(URN, id_, refreshed, inputs)  # `pulumi up` of such a state still asks before re-pointing
    assert "overwriteExistingLink" in error.value.details and fake_azure.link_of(app)["partnerId"] == OTHER


def test_destroy_of_a_0_1_state_whose_drift_an_older_release_recorded_leaves_the_link(
    host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any]
) -> None:
    """The review's case: a refresh by 0.1 to 0.3 already recorded the other partner's ID as partner_id, so the state
    looks clean (the live link names the recorded ID). It is not taken as the stack's own: no DELETE, one warning."""
    app = fake_azure.add_app()
    id_, outs, _ = create(host, inputs_for(registration, fake_azure, app, fake_azure.add_secret(app)))
    fake_azure.set_link(app, OTHER)
    recorded_by_an_older_refresh = {**legacy(outs), "partner_id": OTHER}
    fake_azure.clear_requests()
    host.delete(URN, id_, recorded_by_an_older_refresh)
    assert fake_azure.link_of(app)["partnerId"] == OTHER
    assert link_removals(fake_azure) == []
    [warning] = left_in_place_warnings(host.stderr())
    assert f"names partner ID {OTHER}" in warning and "can't tell whether that is its own partner ID" in warning


def test_destroy_of_a_0_1_state_without_drift_leaves_the_link_and_warns(
    host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any]
) -> None:
    """Refreshed or not, a 0.1 state can't tell whether the ID its link names is the stack's own (it looks the same as
    the case above): destroy sends no DELETE and warns once per link; the resources leave the state."""
    first, second = fake_azure.add_app(), fake_azure.add_app()
    id_, outs, inputs = create(host, inputs_for(registration, fake_azure, first, fake_azure.add_secret(first)))
    _, refreshed = host.read(URN, id_, legacy(outs), inputs)
    assert refreshed["partner_id"] == PARTNER and "linked_partner_id" not in refreshed
    host.delete(URN, id_, refreshed)
    other_id, other_outs, _ = create(host, inputs_for(registration, fake_azure, second, fake_azure.add_secret(second)))
    host.delete(URN, other_id, legacy(other_outs))  # destroy right after an upgrade: no refresh in between
    assert (fake_azure.link_of(first)["partnerId"], fake_azure.link_of(second)["partnerId"]) == (PARTNER, PARTNER)
    assert link_removals(fake_azure) == []
    warnings = left_in_place_warnings(host.stderr())
    assert len(warnings) == 2
    assert f"service principal {first.client_id}" in warnings[0] and f"service principal {second.client_id}" in warnings[1]
    assert all(f"names partner ID {PARTNER}" in w and "written by release 0.1" in w for w in warnings)


def test_destroy_of_a_0_2_state_unlinks_its_own_link(
    host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any]
) -> None:
    """A state that records linked_partner_id (0.2 and later) removes its own link, refreshed or not: one DELETE each,
    naming the stack's partner ID, and no warning."""
    first, second = fake_azure.add_app(), fake_azure.add_app()
    id_, outs, inputs = create(host, inputs_for(registration, fake_azure, first, fake_azure.add_secret(first)))
    _, refreshed = host.read(URN, id_, outs, inputs)
    assert refreshed["linked_partner_id"] == PARTNER
    fake_azure.clear_requests()
    host.delete(URN, id_, refreshed)
    other_id, other_outs, _ = create(host, inputs_for(registration, fake_azure, second, fake_azure.add_secret(second)))
    host.delete(URN, other_id, other_outs)
    assert (fake_azure.link_of(first), fake_azure.link_of(second)) == (None, None)
    removed = link_removals(fake_azure)
    assert len(removed) == 2 and all(path.split("?")[0].endswith(f"/partners/{PARTNER}") for path in removed)
    assert left_in_place_warnings(host.stderr()) == []


def test_destroy_leaves_a_link_re_pointed_since_the_last_refresh(
    host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any]
) -> None:
    """No refresh saw the change: the state still names the stack's ID, the live link another; destroy reads first."""
    app = fake_azure.add_app()
    id_, outs, _ = create(host, inputs_for(registration, fake_azure, app, fake_azure.add_secret(app)))
    fake_azure.set_link(app, OTHER)
    fake_azure.clear_requests()
    host.delete(URN, id_, outs)
    assert fake_azure.link_of(app)["partnerId"] == OTHER and link_removals(fake_azure) == []
    [warning] = left_in_place_warnings(host.stderr())
    assert f"names partner ID {OTHER}, not {PARTNER}" in warning


def test_a_0_1_state_needs_overwrite_to_repoint(
    host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any]
) -> None:
    """A state written by 0.1 has no linked_partner_id: what it recorded may be drift a 0.1 refresh wrote, so
    re-pointing asks for overwriteExistingLink once."""
    app = fake_azure.add_app()
    id_, outs, inputs = create(host, inputs_for(registration, fake_azure, app, fake_azure.add_secret(app)))
    legacy = {k: v for k, v in outs.items() if k != "linked_partner_id"}
    fake_azure.set_link(app, OTHER)
    _, refreshed = host.read(URN, id_, {**legacy, "partner_id": OTHER}, inputs)
    assert refreshed.get("linked_partner_id") is None
    with pytest.raises(ProviderCallError) as error:
        host.update(URN, id_, refreshed, inputs)
    assert "overwriteExistingLink" in error.value.details and fake_azure.link_of(app)["partnerId"] == OTHER


@pytest.mark.parametrize("timeout", [float("nan"), float("inf"), 0, -5])
def test_check_refuses_a_budget_that_is_not_finite_and_positive(
    host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any], timeout: float
) -> None:
    app = fake_azure.add_app()
    _, failures = host.check(URN, {}, inputs_for(registration, fake_azure, app, "s", timeout_seconds=timeout))
    assert [key for key, _ in failures] == ["timeout_seconds"]


# -- what the engine really sends (engine_values.py) -------------------------------------------------
# On the wire an unknown is the sentinel string; the host turns it into a pulumi.output.Unknown in Check and Diff
# and leaves the key out in Create, Read, Update and Delete. A secret is the wrapper {SIG: SECRET_SIG, "value": ...}.


def secret(value: Any) -> dict[str, Any]:
    return rpc.wrap_rpc_secret(value)


def test_a_new_stacks_preview_checks_what_it_cannot_know_yet(
    host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any]
) -> None:
    """A new stack's preview: the application, its client ID, tenant and password do not exist yet."""
    app = fake_azure.add_app()
    news = inputs_for(registration, fake_azure, app, "x", tenant_id=rpc.UNKNOWN, client_id=rpc.UNKNOWN, client_secret=rpc.UNKNOWN)
    inputs, failures = host.check(URN, {}, news)
    assert failures == []
    assert all(isinstance(inputs[key], Unknown) for key in ("tenant_id", "client_id", "client_secret"))
    assert inputs["partner_id"] == PARTNER


def test_unknowns_inside_secrets_and_structures_are_not_values(
    host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any]
) -> None:
    app = fake_azure.add_app()
    news = inputs_for(
        registration,
        fake_azure,
        app,
        "x",
        client_id=secret(rpc.UNKNOWN),  # the host reads this as a secret of null
        client_secret=secret(rpc.UNKNOWN),
        trusted_issuer=[rpc.UNKNOWN],
    )
    _, failures = host.check(URN, {}, news)
    assert failures == []


def test_check_reads_secrets_and_never_quotes_them(
    host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any]
) -> None:
    app = fake_azure.add_app()
    good = inputs_for(registration, fake_azure, app, "x", partner_id=secret(PARTNER), client_secret=secret("s3cret-value"))
    inputs, failures = host.check(URN, {}, good)
    assert failures == [] and rpc.is_rpc_secret(inputs["client_secret"]) and rpc.is_rpc_secret(inputs["partner_id"])
    bad = inputs_for(registration, fake_azure, app, "x", partner_id=secret("s3cret-partner"), tenant_id=secret("s3cret-tenant"))
    _, failures = host.check(URN, {}, bad)
    assert dict(failures) == {
        "partner_id": "[secret] is not a numeric Microsoft partner ID (4 to 10 digits)",
        "tenant_id": "[secret] is not a GUID",
    }


def test_diff_with_unknowns_says_what_may_change(
    host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any]
) -> None:
    app = fake_azure.add_app()
    id_, outs, inputs = create(host, inputs_for(registration, fake_azure, app, fake_azure.add_secret(app)))
    for key, replaces in [("client_id", ["client_id"]), ("client_secret", []), ("partner_id", [])]:
        diff = host.diff(URN, id_, outs, {**inputs, key: rpc.UNKNOWN})
        assert (diff.changes, list(diff.replaces)) == (DIFF_SOME, replaces), key
    assert host.diff(URN, id_, outs, {**inputs, "client_secret": secret(inputs["client_secret"])}).changes == DIFF_NONE


def test_secrets_the_engine_sends_are_used_and_stay_secret(
    host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any]
) -> None:
    app = fake_azure.add_app()
    password = fake_azure.add_secret(app)
    news = inputs_for(registration, fake_azure, app, password, client_secret=secret(password))
    inputs, failures = host.check(URN, {}, news)
    assert failures == []
    id_, outs = host.create(URN, inputs)
    assert fake_azure.link_of(app)["partnerId"] == PARTNER
    assert outs["client_secret"] == secret(password) and outs["partner_id"] == PARTNER
    read_id, refreshed = host.read(URN, id_, outs, inputs)
    assert read_id == id_ and refreshed["client_secret"] == secret(password)
    moved = host.update(URN, id_, refreshed, {**inputs, "partner_id": OTHER})
    assert moved["client_secret"] == secret(password) and fake_azure.link_of(app)["partnerId"] == OTHER
    host.delete(URN, id_, moved)
    assert fake_azure.link_of(app) is None


def test_a_value_left_out_is_named(host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any]) -> None:
    """Create never gets unknowns from the host: an unknown value arrives as a key left out."""
    app = fake_azure.add_app()
    with pytest.raises(ProviderCallError) as error:
        host.create(URN, inputs_for(registration, fake_azure, app, "x", client_id=rpc.UNKNOWN))
    assert "the engine sent no value for client_id" in error.value.details
    assert fake_azure.requests == []


# -- a failed link says one thing, with no Python stack frames (engine_errors.py) --------------------


def assert_one_clean_message(details: str) -> None:
    assert "Traceback" not in details and 'File "' not in details, details
    assert details.startswith("PAL link 'delivery-pal': "), details


def test_a_failed_create_answers_without_stack_frames(
    host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any]
) -> None:
    app = fake_azure.add_app()
    fake_azure.set_link(app, OTHER)
    with pytest.raises(ProviderCallError) as error:
        create(host, inputs_for(registration, fake_azure, app, fake_azure.add_secret(app)))
    assert_one_clean_message(error.value.details)
    assert error.value.details == (
        f"PAL link 'delivery-pal': linking to partner ID {PARTNER} failed: "
        f"service principal {app.client_id} in tenant {app.tenant_id} is already linked to partner ID {OTHER}, not {PARTNER}. "
        f"Another partner may be delivering through this identity. To re-point the link to {PARTNER}, set "
        "overwrite_existing (overwriteExistingLink in stack configuration) to true."
    )


def test_a_failed_read_update_and_delete_answer_without_stack_frames(
    host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any]
) -> None:
    app = fake_azure.add_app()
    password = fake_azure.add_secret(app)
    id_, outs, inputs = create(host, inputs_for(registration, fake_azure, app, password))
    fake_azure.expire_secret(app, password)
    with pytest.raises(ProviderCallError) as error:
        host.read(URN, id_, outs, inputs)
    assert_one_clean_message(error.value.details)
    assert "reading the link (refresh) failed" in error.value.details and "AADSTS7000222" in error.value.details
    with pytest.raises(ProviderCallError) as error:
        host.update(URN, id_, outs, {**inputs, "partner_id": OTHER})
    assert_one_clean_message(error.value.details)
    assert f"re-pointing the link to partner ID {OTHER} failed" in error.value.details
    with pytest.raises(ProviderCallError) as error:
        host.delete(URN, id_, outs)
    assert_one_clean_message(error.value.details)
    assert "removing the link (destroy) failed" in error.value.details and "credential.rotatedOn" in error.value.details
    assert password not in host.stderr() and "Traceback" not in host.stderr()
    assert fake_azure.link_of(app)["partnerId"] == PARTNER  # nothing changed


def test_a_link_that_gives_up_says_what_to_do(
    host: DynamicProviderHost, fake_azure: FakeAzure, registration: dict[str, Any]
) -> None:
    app = fake_azure.add_app()
    secret = fake_azure.add_secret(app)
    fake_azure.inject(Fault("token", "drop", times=None))
    with pytest.raises(ProviderCallError) as error:
        create(host, inputs_for(registration, fake_azure, app, secret, timeout_seconds=3))
    assert_one_clean_message(error.value.details)
    assert "gave up after" in error.value.details and "connection problem" in error.value.details
    assert error.value.details.endswith(
        f"Check that this machine reaches {fake_azure.authority_host} and {fake_azure.arm_endpoint} (proxy, firewall, "
        "DNS; HTTPS_PROXY and REQUESTS_CA_BUNDLE are honoured), then run pulumi up again."
    )
    waits = [line for line in host.stderr().splitlines() if app.client_id in line]
    assert len(waits) == 1 and ": waiting (connection problem" in waits[0]  # said once; the error is the end
