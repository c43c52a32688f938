"""The bundled example stack (Pulumi.dev.yaml: federated and password links, an existing principal) under the real
engine: previewed as a new stack, deployed with ``up`` (its own preview included), checked in the fake Azure and in
the state file, then drifted, and destroyed (issue 21 scenarios 1, 2 and 6; issue 23's new-stack preview)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from partner_attribution.testing.engine import FakeDeployment
from partner_attribution.testing.fake.oidc import GITHUB_ISSUER

from .conftest import GITHUB_SUBJECT, PROJECT_ROOT, bundled_program, copy_project, exit_code, outputs_of

EXISTING_CLIENT_ID = "33333333-3333-4333-8333-333333333333"
EXISTING_OBJECT_ID = "44444444-4444-4444-8444-444444444444"
PRINCIPALS = ("platform-delivery", "workload-delivery", "customer-automation", "reporting")


@dataclass
class Deployed:
    deployment: FakeDeployment
    work_dir: Path
    stack: Any
    new_stack_preview: Any
    up: Any
    """The CLI's ``pulumi up --yes`` (with its own preview), a CompletedProcess."""

    def state_files(self) -> list[Path]:
        return sorted(self.deployment.backend_folder.rglob("*.json"))

    def principal(self, name: str) -> dict[str, Any]:
        document = outputs_of(self.stack)["attribution"]
        return next(p for p in document["principals"] if p["name"] == name)

    def app(self, name: str) -> Any:
        return self.deployment.fake.apps[self.principal(name)["clientId"]]


@pytest.fixture(scope="module")
def example(pulumi_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    root = tmp_path_factory.mktemp("example")
    with FakeDeployment(pulumi_bin, root / "engine") as deployment:
        fake = deployment.fake
        # customer-automation exists before the stack: the customer's admin made it and trusts the pipeline.
        existing = fake.add_app(deployment.tenant_id, client_id=EXISTING_CLIENT_ID, object_id=EXISTING_OBJECT_ID)
        existing.application_object_id = str(uuid.uuid4())
        existing.display_name = "Contoso automation"
        fake.add_federated_credential(existing, GITHUB_ISSUER, GITHUB_SUBJECT)
        deployment.extra_env.update(fake.github_actions_environment(GITHUB_SUBJECT))
        work_dir = copy_project(root / "project", PROJECT_ROOT / "Pulumi.dev.yaml", "dev")
        stack = deployment.stack(work_dir, "dev", bundled_program)
        # As a partner whose deploying identity signs in with a client secret keeps it: a secret of the stack.
        secret = deployment.environment()["ARM_CLIENT_SECRET"]
        stack.set_config("azure-native:clientSecret", auto.ConfigValue(secret, secret=True))
        preview = stack.preview()
        up = deployment.up_with_preview(work_dir, "dev", bundled_program)
        yield Deployed(deployment, work_dir, stack, preview, up)


def test_a_new_stack_previews_and_deploys_with_its_own_preview(example: Deployed) -> None:
    """Issue 23: the first commands a partner runs, on a stack with no state."""
    assert example.new_stack_preview.change_summary.get("create", 0) > 0
    assert set(example.new_stack_preview.change_summary) == {"create"}
    assert example.up.returncode == 0, example.up.stdout + example.up.stderr
    output = example.up.stdout
    assert output.index("Previewing update (dev)") < output.index("Updating (dev)"), "up ran without its preview"
    (last,) = example.stack.history(page_size=1)
    assert (last.kind, last.result) == ("update", "succeeded")
    assert last.resource_changes == example.new_stack_preview.change_summary


def test_up_links_every_principal_as_itself(example: Deployed) -> None:
    fake = example.deployment.fake
    for name in PRINCIPALS:
        principal = example.principal(name)
        link = fake.links[(principal["tenantId"], principal["objectId"])]
        assert (link["partnerId"], link["state"]) == ("1234567", "Active"), name
        writes = [
            r
            for r in fake.requests_to("arm")
            if r.method == "PUT"
            and r.path.lower() == "/providers/microsoft.managementpartner/partners/1234567"
            and r.client_id == principal["clientId"]
        ]
        assert [w.status for w in writes] == [200], f"{name} was not linked by itself"
    assert example.principal("customer-automation")["objectId"] == EXISTING_OBJECT_ID


def test_outputs_are_what_the_docs_say(example: Deployed) -> None:
    outputs = outputs_of(example.stack)
    document = outputs["attribution"]
    assert [p["name"] for p in document["principals"]] == list(PRINCIPALS)
    for principal in document["principals"]:
        assert (principal["partnerId"], principal["linkState"]) == ("1234567", "Active")
        app = example.deployment.fake.apps[principal["clientId"]]
        assert (principal["objectId"], principal["tenantId"]) == (app.object_id, app.tenant_id)
    assert {p["name"]: p["linkCredential"] for p in document["principals"]} == {
        "platform-delivery": "federated", "workload-delivery": "federated",
        "customer-automation": "federated", "reporting": "password",
    }  # fmt: skip
    assert example.stack.outputs()["linkCredentials"].secret
    credentials = outputs["linkCredentials"]
    assert set(credentials) == {"reporting"}, "only the password principal has link credentials"
    reporting = example.principal("reporting")
    assert credentials["reporting"]["clientId"] == reporting["clientId"]
    assert credentials["reporting"]["clientSecret"] in example.app("reporting").secrets
    assignments = example.deployment.fake.role_assignments()
    platform = example.principal("platform-delivery")
    assert {a["properties"]["scope"] for a in assignments if a["properties"]["principalId"] == platform["objectId"]} == {
        "/providers/Microsoft.Management/managementGroups/contoso-landing-zones",
        "/subscriptions/11111111-1111-4111-8111-111111111111",
    }


def test_the_state_file_holds_no_password_token_or_assertion_in_plain_text(example: Deployed) -> None:
    fake = example.deployment.fake
    state = "\n".join(path.read_text() for path in example.state_files())
    assert "partner-attribution" in state and "1234567" in state  # the state file was read
    passwords = [secret for app in fake.apps.values() for secret in app.secrets]
    assert passwords and not [p for p in passwords if p in state]
    assert not [t for t in fake.tokens if t in state], "an access token is in the state"
    assert "eyJ" not in state, "a JWT (token or client assertion) is in the state"
    environment = example.deployment.environment()
    assert environment["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] not in state
    assert environment["ARM_CLIENT_SECRET"] not in state, "the stack's secret configuration is in the state in clear"


def test_a_no_change_preview_right_after_up_exits_0(example: Deployed) -> None:
    result = example.stack.preview(refresh=True, expect_no_changes=True, diff=True)
    assert set(result.change_summary) == {"same"}


def _drift_exit(example: Deployed) -> tuple[int, str]:
    """The drift workflow's command (`pulumi preview --refresh --expect-no-changes --diff`): its exit code and output."""
    lines: list[str] = []
    try:
        example.stack.preview(refresh=True, expect_no_changes=True, diff=True, on_output=lines.append)
    except auto.errors.CommandError as error:
        return exit_code(error), "\n".join(lines) + str(error)
    return 0, "\n".join(lines)


def test_a_removed_link_is_drift_exit_7_naming_the_link(example: Deployed) -> None:
    app = example.app("workload-delivery")
    example.deployment.fake.remove_link(app)
    try:
        code, output = _drift_exit(example)
        assert code == 7, output
        assert "workload-delivery-pal" in output
    finally:
        example.deployment.fake.set_link(app, "1234567")


def test_a_link_re_pointed_to_another_partner_is_drift_exit_7_naming_the_link(example: Deployed) -> None:
    app = example.app("platform-delivery")
    example.deployment.fake.set_link(app, "7654321")
    try:
        code, output = _drift_exit(example)
        assert code == 7, output
        assert "platform-delivery-pal" in output and "7654321" in output
    finally:
        example.deployment.fake.set_link(app, "1234567")


def test_any_other_failure_is_not_exit_7(example: Deployed) -> None:
    from partner_attribution.testing import Fault

    example.deployment.fake.inject(Fault("token", "status", status=400, times=None, payload={"error": "invalid_request"}))
    try:
        code, output = _drift_exit(example)
        assert code not in (0, 7), output
    finally:
        example.deployment.fake.faults.clear()


def test_destroy_removes_what_the_stack_made_and_leaves_the_existing_principal(example: Deployed) -> None:
    """Scenario 6 (last in this module: it ends the deployment)."""
    fake = example.deployment.fake
    made = [example.app(name) for name in ("platform-delivery", "workload-delivery", "reporting")]
    existing = fake.apps[EXISTING_CLIENT_ID]
    result = example.stack.destroy()
    assert result.summary.result == "succeeded"
    for app in made:
        assert app.deleted
        assert (app.tenant_id, app.object_id) not in fake.links
    assert not existing.deleted
    assert fake.link_of(existing) is not None and fake.link_of(existing)["partnerId"] == "1234567"
    assert fake.role_assignments() == []
    assert not example.stack.export_stack().deployment.get("resources")
