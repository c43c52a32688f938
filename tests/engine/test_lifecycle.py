"""One-principal stacks under the real engine: a link re-pointed by another partner (scenario 3), and destroyed after
a refresh found it so in a state of release 0.1, the plugin's wait for Entra (a status, not a warning), a password
rotation (4), Customer Usage Attribution's providers (8), and a federated link with and without a pipeline token (9).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi import automation as auto

from partner_attribution.naming import PAL_LINK_TYPE
from partner_attribution.testing.engine import FakeDeployment
from partner_attribution.testing.fake.model import Fault

from .conftest import GITHUB_SUBJECT, bundled_program, exit_code, outputs_of, write_project_file

CUA_ID = "6c8ae0f6-4a4e-4b2a-9d39-0c4c7e1c2f11"


def _stack_file(work_dir: Path, name: str, principal: dict[str, Any], **top: Any) -> Path:
    config: dict[str, Any] = {
        "azure-native:location": "westeurope",
        "partner-attribution:partnerId": "1234567",
        "partner-attribution:principals": [principal],
    }
    config.update({f"partner-attribution:{k}": v for k, v in top.items()})
    work_dir.mkdir(parents=True, exist_ok=True)
    write_project_file(work_dir)
    path = work_dir / f"Pulumi.{name}.yaml"
    path.write_text(yaml.safe_dump({"config": config}, sort_keys=False))
    return path


def _password_principal(**extra: Any) -> dict[str, Any]:
    return {
        "name": "delivery",
        "roles": [{"role": "Contributor", "scope": "/subscriptions/11111111-1111-4111-8111-111111111111"}],
        "credential": {"rotatedOn": "2026-11-01", "lifetimeDays": 180},
        **extra,
    }


def _set_principal(path: Path, **changes: Any) -> None:
    document = yaml.safe_load(path.read_text())
    document["config"]["partner-attribution:principals"][0].update(changes)
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def _linked_app(deployment: FakeDeployment, stack: Any) -> Any:
    principal = outputs_of(stack)["attribution"]["principals"][0]
    return deployment.fake.apps[principal["clientId"]]


def test_up_after_another_partner_re_pointed_the_link_stops_then_re_points_with_the_flag(
    deployment: FakeDeployment, tmp_path: Path
) -> None:
    """Scenario 3."""
    work = tmp_path / "project"
    stack_file = _stack_file(work, "repoint", _password_principal())
    stack = deployment.stack(work, "repoint", bundled_program)
    stack.up()
    app = _linked_app(deployment, stack)
    deployment.fake.set_link(app, "7654321")
    lines: list[str] = []
    with pytest.raises(auto.errors.CommandError) as stopped:
        stack.up(refresh=True, on_output=lines.append)
    assert "overwriteExistingLink" in "\n".join(lines) + str(stopped.value)
    assert deployment.fake.link_of(app)["partnerId"] == "7654321", "their link was changed"
    _set_principal(stack_file, overwriteExistingLink=True)
    stack.up(refresh=True)
    assert deployment.fake.link_of(app)["partnerId"] == "1234567"


def test_destroy_of_a_0_1_link_state_whose_refresh_found_another_partner_leaves_their_link(
    deployment: FakeDeployment, tmp_path: Path
) -> None:
    """Release 0.1 recorded no linkedPartnerId: its link's state (as a 0.1 stack has it once today's code moved it to
    the plugin, tests/engine/test_upgrade.py) is made by removing it. Another partner re-points the link, a refresh
    records their ID as partnerId, and destroy leaves their link, with one warning; the link leaves the state."""
    work = tmp_path / "project"
    _stack_file(work, "legacy", _password_principal())
    stack = deployment.stack(work, "legacy", bundled_program)
    stack.up()
    app = _linked_app(deployment, stack)
    exported = stack.export_stack()
    [link] = [r for r in exported.deployment["resources"] if r["type"] == PAL_LINK_TYPE]
    assert link["outputs"].pop("linkedPartnerId") == "1234567"
    stack.import_stack(exported)

    deployment.fake.set_link(app, "7654321")
    stack.refresh()
    [refreshed] = [r for r in stack.export_stack().deployment["resources"] if r["type"] == PAL_LINK_TYPE]
    assert (refreshed["outputs"]["partnerId"], refreshed["outputs"].get("linkedPartnerId")) == ("7654321", None)

    deployment.fake.clear_requests()
    destroyed = stack.destroy()
    assert deployment.fake.link_of(app)["partnerId"] == "7654321", "destroy deleted another partner's link"
    assert [r for r in deployment.fake.requests_to("arm") if r.method == "DELETE" and "anagementPartner" in r.path] == []
    # The CLI shows each diagnostic live and again in its summary, grouped by resource: count the summary's.
    summary = (destroyed.stdout + destroyed.stderr).split("Diagnostics:", 1)[1]
    warnings = [line for line in summary.splitlines() if "left in place" in line]
    assert len(warnings) == 1 and "PartnerAdminLink (delivery-pal):" in summary, summary
    assert f"service principal {app.client_id}" in warnings[0] and "can't tell whether that is its own" in warnings[0]
    assert "written by release 0.1, which did not record which partner ID the stack linked" in warnings[0]
    assert "partner-attribution unlink --partner-id 7654321" in warnings[0]
    assert stack.export_stack().deployment.get("resources") in (None, []), "the destroy left resources in the state"


def test_the_plugins_wait_for_entra_is_the_links_status_not_a_warning(deployment: FakeDeployment, tmp_path: Path) -> None:
    """Through the plugin (the bundled program's DeliveryPrincipal), Entra answers the new principal's sign-in 503
    three times. The wait's lines are the link's passing status (ephemeral): none is in the Diagnostics summary."""
    work = tmp_path / "project"
    _stack_file(work, "waits", _password_principal())
    stack = deployment.stack(work, "waits", bundled_program)
    refused = Fault("token", "status", status=503, times=3, except_client_id=deployment.deployer.client_id)
    deployment.fake.inject(refused)
    lines: list[str] = []
    stack.up(on_output=lines.append)
    output = "\n".join(lines)
    app = _linked_app(deployment, stack)
    assert deployment.fake.link_of(app)["partnerId"] == "1234567"
    assert refused.times == 0, "the link's sign-in was refused three times"
    who = f"service principal {app.client_id} in tenant {app.tenant_id}"
    assert f"{who}: linked after waiting" in output, output  # shown while it lasted
    summary = output.split("Diagnostics:", 1)[1] if "Diagnostics:" in output else ""
    assert [line for line in summary.splitlines() if who in line] == [], summary


def test_a_password_rotation_replaces_only_the_password(deployment: FakeDeployment, tmp_path: Path) -> None:
    """Scenario 4: the preview shows it, and up does exactly that."""
    work = tmp_path / "project"
    stack_file = _stack_file(work, "rotate", _password_principal())
    stack = deployment.stack(work, "rotate", bundled_program)
    stack.up()
    app = _linked_app(deployment, stack)
    old_secrets = set(app.secrets)
    _set_principal(stack_file, credential={"rotatedOn": "2026-11-20", "lifetimeDays": 180})
    events: list[Any] = []
    preview = stack.preview(on_event=events.append)
    steps: dict[str, set[auto.OpType]] = {}
    for event in events:
        if event.resource_pre_event is not None:
            metadata = event.resource_pre_event.metadata
            steps.setdefault(metadata.urn.split("::")[-1], set()).add(metadata.op)
    changed = {name: ops for name, ops in steps.items() if ops != {auto.OpType.SAME}}
    assert changed == {
        "delivery-password": {auto.OpType.CREATE_REPLACEMENT, auto.OpType.REPLACE, auto.OpType.DELETE_REPLACED},
        "delivery-pal": {auto.OpType.UPDATE},  # the link's secret input: an update that calls nothing
        # The SDK hands a dynamic provider the whole stack configuration as its provider's inputs, so any change of
        # configuration shows as an update of that provider (no resource of the stack is touched by it).
        "default": {auto.OpType.UPDATE},
    }, steps
    assert preview.change_summary.get(auto.OpType.REPLACE, 0) == 1
    deployment.fake.clear_requests()
    stack.up()
    new_secrets = set(app.secrets)
    assert len(new_secrets) == 1 and new_secrets.isdisjoint(old_secrets), "the old password was not removed"
    assert [r for r in deployment.fake.requests_to("arm") if "managementpartner" in r.path.lower()] == []
    assert outputs_of(stack)["linkCredentials"]["delivery"]["clientSecret"] in new_secrets


def _configured(deployment: FakeDeployment) -> list[dict[str, Any]]:
    return list(deployment.fake.provider_configurations)


def test_cua_configures_both_plugins_with_the_partner_id_and_without_it_none(deployment: FakeDeployment, tmp_path: Path) -> None:
    """Scenario 8."""
    _stack_file(tmp_path / "plain", "plain", _password_principal())
    plain = deployment.stack(tmp_path / "plain", "plain", bundled_program)
    plain.up()
    assert _configured(deployment), "the plugins reported no configuration"
    assert not [c for c in _configured(deployment) if "partnerId" in c["settings"]]
    deployment.fake.provider_configurations.clear()
    work = tmp_path / "cua"
    _stack_file(work, "cua", _password_principal(name="solution"), cuaPartnerId=CUA_ID)
    stack = deployment.stack(work, "cua", bundled_program)
    stack.up()
    with_cua = {c["provider"] for c in _configured(deployment) if c["settings"].get("partnerId") == CUA_ID}
    assert with_cua == {"azuread", "azure-native"}
    explicit = [c for c in _configured(deployment) if c["settings"].get("partnerId") == CUA_ID]
    native = next(c for c in explicit if c["provider"] == "azure-native")
    assert native["settings"].get("location") == "westeurope", "the stack's provider settings were not copied"
    assert outputs_of(stack)["attribution"]["principals"][0]["linkState"] == "Active"


def _federated(name: str = "pipeline") -> dict[str, Any]:
    return {"name": name, "roles": [{"role": "Contributor", "scope": "/subscriptions/11111111-1111-4111-8111-111111111111"}]}


FEDERATION = {"github": {"repository": "contoso-partner/landing-zone", "branch": "main"}}


def test_a_federated_link_signs_in_with_the_pipeline_token_the_test_gives(deployment: FakeDeployment, tmp_path: Path) -> None:
    """Scenario 9, with a token source: GitHub Actions' ID token endpoint (a stand-in in the fake)."""
    deployment.extra_env.update(deployment.fake.github_actions_environment(GITHUB_SUBJECT))
    work = tmp_path / "project"
    _stack_file(work, "federated", _federated(), linkCredential="federated", linkFederation=FEDERATION)
    stack = deployment.stack(work, "federated", bundled_program)
    stack.up()
    app = _linked_app(deployment, stack)
    assert deployment.fake.link_of(app)["partnerId"] == "1234567"
    assert [r.status for r in deployment.fake.requests_to("oidc") if r.path == "/_actions/idtoken"][:1] == [200]
    assert not app.secrets, "a federated principal got a password"
    assert [(f.issuer, f.subject) for f in app.federated] == [("https://token.actions.githubusercontent.com", GITHUB_SUBJECT)]


def test_a_federated_link_with_no_token_stops_at_the_link_and_loses_nothing(deployment: FakeDeployment, tmp_path: Path) -> None:
    """Scenario 9, with no token source: up stops at the link with the documented message; everything made before it
    is in the state, so the next up (from the pipeline) makes only the link."""
    work = tmp_path / "project"
    _stack_file(work, "notoken", _federated(), linkCredential="federated", linkFederation=FEDERATION)
    stack = deployment.stack(work, "notoken", bundled_program)
    lines: list[str] = []
    with pytest.raises(auto.errors.CommandError) as stopped:
        stack.up(on_output=lines.append)
    output = "\n".join(lines) + str(stopped.value)
    assert exit_code(stopped.value) != 0
    assert "no pipeline token was found" in output and "pipeline-pal" in output
    state = stack.export_stack().deployment
    types = sorted(r["type"] for r in state["resources"] if r["type"].startswith("azure"))
    assert types == [
        "azure-native:authorization:RoleAssignment",
        "azuread:index/application:Application",
        "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
        "azuread:index/servicePrincipal:ServicePrincipal",
    ]
    assert not [r for r in state["resources"] if r["urn"].endswith("::pipeline-pal")]
    apps_before = len(deployment.fake.apps)
    deployment.extra_env.update(deployment.fake.github_actions_environment(GITHUB_SUBJECT))
    again = deployment.stack(work, "notoken", bundled_program)
    result = again.up()
    assert result.summary.resource_changes == {"create": 1, "same": result.summary.resource_changes.get("same", 0)}
    assert len(deployment.fake.apps) == apps_before
    assert json.dumps(outputs_of(again)["attribution"]).count('"linkState": "Active"') == 1
