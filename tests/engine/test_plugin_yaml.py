"""The plugin under the real engine, from a Pulumi YAML program (examples/yaml, run by the YAML language host):
up, a no-change preview (exit 0), drift (a link removed in the fake: ``preview --refresh --expect-no-changes`` exits 7,
naming the link), up --refresh repairs it, destroy. The same principals, outputs and link behaviour as the Python
example stack (test_example_stack.py)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from partner_attribution.testing.engine import FakeDeployment

from .plugin_stack import (
    EXISTING_OBJECT_ID,
    PRINCIPALS,
    copy_example,
    install_plugin,
    prepare_fake,
    principal_output,
)


@dataclass
class YamlStack:
    deployment: FakeDeployment
    work_dir: Path
    up_output: str

    def run(self, *args: str) -> tuple[int, str]:
        done = self.deployment.cli(self.work_dir, *args)
        return done.returncode, done.stdout + done.stderr

    def outputs(self) -> dict[str, Any]:
        done = self.deployment.cli(self.work_dir, "stack", "output", "--json", "--show-secrets")
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout))

    def app(self, name: str) -> Any:
        return self.deployment.fake.apps[principal_output(self.outputs(), name)["clientId"]]


@pytest.fixture(scope="module")
def yaml_stack(pulumi_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[YamlStack]:
    if not (pulumi_bin / "pulumi-language-yaml").exists() and shutil.which("pulumi-language-yaml") is None:
        pytest.fail("pulumi-language-yaml is missing next to the CLI: run scripts/pulumi-toolchain.sh")
    root = tmp_path_factory.mktemp("yaml")
    with FakeDeployment(pulumi_bin, root / "engine") as deployment:
        install_plugin(deployment)
        prepare_fake(deployment)
        work_dir = copy_example("yaml", root / "project")
        stack = YamlStack(deployment, work_dir, "")
        code, text = stack.run("stack", "init", "dev", "--secrets-provider", "passphrase")
        assert code == 0, text
        code, stack.up_output = stack.run("up", "--yes")
        assert code == 0, stack.up_output
        yield stack


def test_up_deploys_every_principal_and_links_it_as_itself(yaml_stack: YamlStack) -> None:
    fake = yaml_stack.deployment.fake
    outputs = yaml_stack.outputs()
    assert [p["name"] for p in outputs["principals"]] == list(PRINCIPALS)
    for name in PRINCIPALS:
        principal = principal_output(outputs, name)
        assert (principal["partnerId"], principal["linkState"]) == ("1234567", "Active"), name
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
    assert principal_output(outputs, "customer-automation")["objectId"] == EXISTING_OBJECT_ID
    assert outputs["reportingLinkPassword"] in yaml_stack.app("reporting").secrets
    platform = principal_output(outputs, "platform-delivery")
    assert {
        a["properties"]["scope"] for a in fake.role_assignments() if a["properties"]["principalId"] == platform["objectId"]
    } == {
        "/providers/Microsoft.Management/managementGroups/contoso-landing-zones",
        "/subscriptions/11111111-1111-4111-8111-111111111111",
    }
    assert not principal_output(outputs, "reporting")["palEligible"]
    assert "Traceback" not in yaml_stack.up_output


def test_the_link_is_the_plugins_custom_resource_and_its_password_a_secret(yaml_stack: YamlStack) -> None:
    code, text = yaml_stack.run("stack", "export")
    assert code == 0, text
    resources = json.loads(text)["deployment"]["resources"]
    links = [r for r in resources if r["type"] == "partner-attribution:index:PartnerAdminLink"]
    assert sorted(r["urn"].rsplit("::", 1)[1] for r in links) == sorted(f"{n}-pal" for n in PRINCIPALS)
    assert not [r for r in resources if r["type"].startswith("pulumi-python:dynamic")]
    reporting = next(r for r in links if r["urn"].endswith("::reporting-pal"))
    assert "ciphertext" in json.dumps(reporting["outputs"]["clientSecret"])
    passwords = list(yaml_stack.deployment.fake.apps[reporting["outputs"]["clientId"]].secrets)
    assert passwords and not [p for p in passwords if p in text], "the link password is in the state in plain text"


def test_a_preview_right_after_up_has_no_changes(yaml_stack: YamlStack) -> None:
    code, text = yaml_stack.run("preview", "--expect-no-changes")
    assert code == 0, text


def test_a_removed_link_is_drift_exit_7_and_up_refresh_repairs_it(yaml_stack: YamlStack) -> None:
    app = yaml_stack.app("workload-delivery")
    yaml_stack.deployment.fake.remove_link(app)
    code, text = yaml_stack.run("preview", "--refresh", "--expect-no-changes", "--diff")
    assert code == 7, text
    assert "workload-delivery-pal" in text
    code, text = yaml_stack.run("up", "--refresh", "--yes")
    assert code == 0, text
    assert yaml_stack.deployment.fake.link_of(app)["partnerId"] == "1234567"
    code, text = yaml_stack.run("preview", "--refresh", "--expect-no-changes")
    assert code == 0, text


def test_a_link_re_pointed_to_another_partner_is_drift_and_never_taken_back_silently(yaml_stack: YamlStack) -> None:
    app = yaml_stack.app("platform-delivery")
    yaml_stack.deployment.fake.set_link(app, "7654321")
    try:
        code, text = yaml_stack.run("preview", "--refresh", "--expect-no-changes", "--diff")
        assert code == 7, text
        assert "platform-delivery-pal" in text and "7654321" in text
        code, text = yaml_stack.run("up", "--refresh", "--yes")
        assert code != 0, text
        assert yaml_stack.deployment.fake.link_of(app)["partnerId"] == "7654321"
        assert "overwrite" in text.lower(), text
        assert 'File "' not in text and "Traceback" not in text, text
    finally:
        yaml_stack.deployment.fake.set_link(app, "1234567")


def test_destroy_removes_what_the_stack_made_and_leaves_the_existing_principal(yaml_stack: YamlStack) -> None:
    """Last in this module: it ends the deployment."""
    fake = yaml_stack.deployment.fake
    made = [yaml_stack.app(name) for name in ("platform-delivery", "workload-delivery", "reporting")]
    existing = fake.apps["33333333-3333-4333-8333-333333333333"]
    code, text = yaml_stack.run("destroy", "--yes")
    assert code == 0, text
    for app in made:
        assert app.deleted
        assert (app.tenant_id, app.object_id) not in fake.links
    assert not existing.deleted
    assert fake.link_of(existing)["partnerId"] == "1234567"
    assert fake.role_assignments() == []


LIGHTHOUSE_PROGRAM = """\
name: partner-attribution-lighthouse-yaml
runtime: yaml
resources:
  contoso-operations:
    type: partner-attribution:index:LighthouseDelegation
    properties:
      offerName: Fabrikam managed operations
      managingTenantId: 55555555-5555-4555-8555-555555555555
      scopes:
        - /subscriptions/11111111-1111-4111-8111-111111111111
        - /subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups/rg-app-prod
      authorizations:
        - principalId: 66666666-6666-4666-8666-666666666666
          displayName: Fabrikam delivery (PAL-linked)
          role: Contributor
          palLinked: true
        - principalId: 77777777-7777-4777-8777-777777777777
          displayName: Fabrikam operations
          principalType: Group
          role: Reader
outputs:
  earnsCredit: ${contoso-operations.earnsCredit}
  creditedPrincipalIds: ${contoso-operations.creditedPrincipalIds}
  definitionIds: ${contoso-operations.definitionIds}
  assignmentIds: ${contoso-operations.assignmentIds}
"""


def test_a_lighthouse_delegation_from_yaml_declares_its_definitions_and_assignments(deployment: FakeDeployment) -> None:
    install_plugin(deployment)
    work_dir = deployment.root / "lighthouse"
    work_dir.mkdir()
    (work_dir / "Pulumi.yaml").write_text(LIGHTHOUSE_PROGRAM)
    assert deployment.cli(work_dir, "stack", "init", "dev").returncode == 0
    up = deployment.cli(work_dir, "up", "--yes")
    assert up.returncode == 0, up.stdout + up.stderr
    outputs = json.loads(deployment.cli(work_dir, "stack", "output", "--json").stdout)
    assert outputs["earnsCredit"] is True
    assert outputs["creditedPrincipalIds"] == ["66666666-6666-4666-8666-666666666666"]
    assert set(outputs["definitionIds"]) == {"11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"}
    assert len(outputs["assignmentIds"]) == 2
    exported = json.loads(deployment.cli(work_dir, "stack", "export").stdout)["deployment"]["resources"]
    types = sorted(r["type"] for r in exported if r.get("parent", "").endswith("::contoso-operations"))
    assert (
        types
        == ["azure-native:managedservices:RegistrationAssignment"] * 2
        + ["azure-native:managedservices:RegistrationDefinition"] * 2
    )
    destroy = deployment.cli(work_dir, "destroy", "--yes")
    assert destroy.returncode == 0, destroy.stdout + destroy.stderr


def test_invalid_component_inputs_fail_before_anything_is_declared_naming_each_input(deployment: FakeDeployment) -> None:
    install_plugin(deployment)
    work_dir = deployment.root / "invalid"
    work_dir.mkdir()
    (work_dir / "Pulumi.yaml").write_text(
        "name: invalid\nruntime: yaml\nresources:\n  delivery:\n    type: partner-attribution:index:DeliveryPrincipal\n"
        "    properties:\n      partnerId: '12ab'\n      roles:\n        - role: Contributer\n"
        "          scope: /subscriptions/11111111-1111-4111-8111-111111111111\n"
    )
    assert deployment.cli(work_dir, "stack", "init", "dev").returncode == 0
    preview = deployment.cli(work_dir, "preview")
    text = preview.stdout + preview.stderr
    assert preview.returncode != 0, text
    assert "partnerId:" in text and "roles[0].role:" in text and "Contributor" in text, text
    assert 'File "' not in text and "Traceback" not in text, text
    assert "azuread:index" not in text, "nothing is declared"


def test_pulumi_package_get_schema_prints_the_plugins_schema(deployment: FakeDeployment) -> None:
    from partner_attribution.plugin.provider import schema

    plugin = install_plugin(deployment)
    done = deployment.cli(deployment.root, "package", "get-schema", str(plugin))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == schema()


def test_the_plugins_links_run_side_by_side(deployment: FakeDeployment) -> None:
    """The fake holds the links' sign-ins until all six are waiting at once (a ``gather`` fault; the deploying
    identity's own sign-ins go straight through), which only links run side by side can do: the dynamic provider
    host's four workers would never gather six, and the fake would let each go after two minutes. Judged by the
    fake's record of each link's first sign-in and its link write, not by wall time."""
    from partner_attribution.testing import Fault

    install_plugin(deployment)
    deployer = deployment.deployer.client_id if deployment.deployer else None
    deployment.fake.inject(Fault("token", "gather", count=6, delay=120, times=None, except_client_id=deployer))
    names = [f"delivery-{i}" for i in range(6)]
    work_dir = deployment.root / "parallel"
    work_dir.mkdir()
    principals = "".join(
        f"  {name}:\n    type: partner-attribution:index:DeliveryPrincipal\n    properties:\n      partnerId: '1234567'\n"
        "      roles: [{role: Contributor, scope: /subscriptions/11111111-1111-4111-8111-111111111111}]\n"
        "      credential: {rotatedOn: '2026-11-01'}\n"
        for name in names
    )
    (work_dir / "Pulumi.yaml").write_text(f"name: parallel\nruntime: yaml\nresources:\n{principals}")
    assert deployment.cli(work_dir, "stack", "init", "dev").returncode == 0
    up = deployment.cli(work_dir, "up", "--yes", "--skip-preview", "--parallel", "64")  # the CLI's default is per CPU
    assert up.returncode == 0, up.stdout + up.stderr
    links = [r for r in deployment.fake.requests if r.target == "arm" and r.method == "PUT" and r.status == 200]
    assert len({r.client_id for r in links}) == len(names)
    spans = []
    for client_id in {r.client_id for r in links}:
        signs_in = [r.at for r in deployment.fake.requests if r.target == "token" and r.client_id == client_id]
        linked = max(r.at for r in links if r.client_id == client_id)
        spans.append((min(signs_in), linked))
    most_open = max(sum(1 for start, end in spans if start <= moment < end) for moment, _ in spans)
    assert most_open == len(names), f"at most {most_open} links were waiting at once: {sorted(spans)}"
    assert deployment.cli(work_dir, "destroy", "--yes").returncode == 0
