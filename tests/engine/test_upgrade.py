"""Upgrades under the real engine: a stack deployed by an earlier release's code (its own program, its own PAL
dynamic provider, its own example stack, from ``git archive``: no worktree) moves to today's code.

Today a Python program's link is the plugin's ``PartnerAdminLink``, aliased from the dynamic resource, so both
upgrades move every link from the dynamic provider to the plugin (type and provider change). What must hold: the
engine's own steps include no replacement and no delete, nothing is written at Microsoft, and the fake's record of
link changes shows no link ever absent (a replacement would create the new link, then delete the old one through
the dynamic provider: the link would be gone). Then refresh, a no-change preview and destroy run on the plugin (a
0.1 state's destroy leaves its links, which it can't tell are its own).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from partner_attribution.naming import DYNAMIC_PAL_LINK_TYPE, PAL_LINK_TYPE
from partner_attribution.testing.engine import FakeDeployment
from partner_attribution.testing.fake.oidc import GITHUB_ISSUER

from .conftest import GITHUB_SUBJECT, PROJECT_ROOT, bundled_program, write_project_file

RELEASE_0_1 = "ea75b1c"
"""The last commit of release 0.1.0 (tests/test_upgrade.py freezes its inputs too)."""
RELEASE_0_2 = "31decd5"
"""Release 0.2.0 (tag v0.2.0), the previous release: Python links were still the dynamic provider's."""
EXISTING_CLIENT_ID = "33333333-3333-4333-8333-333333333333"
"""The example stack's existing principal (Pulumi.dev.yaml, customer-automation)."""
MOVING_STEPS = {"replace", "create-replacement", "delete-replaced", "delete", "create", "discard", "import"}
"""Engine steps that must not happen to a customer's resource on an upgrade."""

_DEPLOY_WITH_OLD_CODE = """
import sys
from pulumi import automation as auto
from partner_attribution.program import main
work_dir, root = sys.argv[1], sys.argv[2]
import partner_attribution
assert partner_attribution.__file__.startswith(sys.argv[3]), partner_attribution.__file__
options = auto.LocalWorkspaceOptions(work_dir=work_dir, secrets_provider="passphrase",
    pulumi_command=auto.PulumiCommand(root=root, skip_version_check=True))
stack = auto.create_or_select_stack("dev", project_name="partner-attribution", program=main, opts=options)
print(stack.up().summary.result)
"""


def _release(tmp_path: Path, commit: str) -> Path:
    """A release's files, from git (no worktree: nothing is added to the repository)."""
    archive = subprocess.run(
        ["git", "-C", str(PROJECT_ROOT), "archive", "--format=tar", commit, "components", "Pulumi.yaml", "Pulumi.dev.yaml"],
        capture_output=True,
        check=True,
    ).stdout
    old = tmp_path / f"release-{commit}"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(old, filter="data")
    return old


def _deploy_with_release(deployment: FakeDeployment, tmp_path: Path, commit: str) -> Path:
    """``pulumi up`` of the release's own example stack with the release's own code; the project folder."""
    old = _release(tmp_path, commit)
    work_dir = tmp_path / "project"
    work_dir.mkdir()
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        (work_dir / name).write_text((old / name).read_text())
    env = {**os.environ, **deployment.environment(), "PYTHONPATH": str(old / "components")}
    deployed = subprocess.run(
        [sys.executable, "-c", _DEPLOY_WITH_OLD_CODE, str(work_dir), str(deployment.pulumi_bin.parent), str(old)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert deployed.returncode == 0 and deployed.stdout.strip().endswith("succeeded"), deployed.stdout + deployed.stderr
    return work_dir


def _upgrade(deployment: FakeDeployment, work_dir: Path) -> Any:
    """Today's code on the same stack, with today's project file (which says where the plugin is)."""
    write_project_file(work_dir)
    return deployment.stack(work_dir, "dev", bundled_program)


def _fake_state(deployment: FakeDeployment) -> dict[str, Any]:
    fake = deployment.fake
    return {
        "apps": sorted((a.client_id, a.object_id, a.deleted, sorted(a.secrets), len(a.federated)) for a in fake.apps.values()),
        "links": sorted((k, v["partnerId"], v["version"]) for k, v in fake.links.items()),
        "resources": json.dumps(fake.arm_resources, sort_keys=True),
    }


def _steps(run: Any) -> list[tuple[str, str, str]]:
    """Run ``run(on_event=...)`` and return the engine's steps: (operation, type, name) of each resource."""
    steps: list[tuple[str, str, str]] = []

    def on_event(event: auto.EngineEvent) -> None:
        pre = event.resource_pre_event
        if pre is not None:
            urn = pre.metadata.urn
            steps.append((str(pre.metadata.op.value), pre.metadata.type, urn.rsplit("::", 1)[-1]))

    run(on_event=on_event)
    return steps


def _resources(deployment: FakeDeployment, work_dir: Path) -> list[dict[str, Any]]:
    exported = deployment.cli(work_dir, "stack", "export", "--stack", "dev")
    assert exported.returncode == 0, exported.stderr
    return list(json.loads(exported.stdout)["deployment"]["resources"])


def _removed(deployment: FakeDeployment, since: float) -> list[Any]:
    """Link removals the fake saw since ``since`` (``time.monotonic()``)."""
    return [e for e in deployment.fake.link_events if e.at >= since and e.partner_id is None]


def test_a_0_1_stack_previews_and_updates_with_todays_code_without_replacing_anything(
    deployment: FakeDeployment, tmp_path: Path
) -> None:
    work_dir = _deploy_with_release(deployment, tmp_path, RELEASE_0_1)
    before = _fake_state(deployment)
    assert before["links"], "release 0.1.0 linked nothing"
    links_before = [r for r in _resources(deployment, work_dir) if r["type"] == DYNAMIC_PAL_LINK_TYPE]

    stack = _upgrade(deployment, work_dir)
    preview = stack.preview(diff=True)
    assert not {"replace", "delete", "create-replacement", "delete-replaced", "create"} & set(preview.change_summary), (
        preview.change_summary,
        preview.stdout,
    )
    deployment.fake.clear_requests()
    started = deployment.fake.link_events[-1].at
    stack.up()
    assert _fake_state(deployment) == before
    writes = [r for r in deployment.fake.requests if r.method in ("PUT", "PATCH", "DELETE", "POST") and r.target != "token"]
    assert [w for w in writes if w.target != "control"] == []
    assert _removed(deployment, started) == []
    moved = [r for r in _resources(deployment, work_dir) if r["type"] == PAL_LINK_TYPE]
    assert sorted(r["id"] for r in moved) == sorted(r["id"] for r in links_before) and len(moved) == 3

    # Destroy right after the move: the plugin's Delete gets the state 0.1's dynamic provider wrote, which does not
    # record which partner ID the stack linked: no link is sent a DELETE, each is left with one warning, and the
    # service principals the stack created are deleted (which ends their links' attribution).
    destroy_started = deployment.fake.link_events[-1].at
    deployment.fake.clear_requests()
    destroyed = stack.destroy()
    assert _removed(deployment, destroy_started) == []
    assert [r for r in deployment.fake.requests_to("arm") if r.method == "DELETE" and "anagementPartner" in r.path] == []
    assert sorted((k, v["partnerId"]) for k, v in deployment.fake.links.items()) == [(k, p) for k, p, _ in before["links"]]
    summary = (destroyed.stdout + destroyed.stderr).split("Diagnostics:", 1)[1]
    left = [line for line in summary.splitlines() if "left in place" in line]
    assert len(left) == 3 and all("written by release 0.1" in line for line in left), summary
    linked = {key for key, _, _ in before["links"]}
    principals = [a for a in deployment.fake.apps.values() if (a.tenant_id, a.object_id) in linked]
    assert len(principals) == 3 and not any(a.service_principal for a in principals), "a service principal outlived destroy"


def test_a_0_2_stack_moves_its_links_to_the_plugin_without_a_moment_unlinked(deployment: FakeDeployment, tmp_path: Path) -> None:
    fake = deployment.fake
    existing = fake.add_app(deployment.tenant_id, client_id=EXISTING_CLIENT_ID, object_id="44444444-4444-4444-8444-444444444444")
    existing.application_object_id = str(uuid.uuid4())
    existing.display_name = "Contoso automation"
    fake.add_federated_credential(existing, GITHUB_ISSUER, GITHUB_SUBJECT)
    deployment.extra_env.update(fake.github_actions_environment(GITHUB_SUBJECT))
    work_dir = _deploy_with_release(deployment, tmp_path, RELEASE_0_2)
    before = _fake_state(deployment)
    assert len(before["links"]) == 4, "release 0.2.0 linked each of the example's four principals"
    deployed = {(e.tenant_id, e.object_id) for e in fake.link_events if e.partner_id is not None}
    assert len(deployed) == 4 and all(e.partner_id is not None for e in fake.link_events)
    old_links = {r["urn"].rsplit("::", 1)[-1]: r for r in _resources(deployment, work_dir) if r["type"] == DYNAMIC_PAL_LINK_TYPE}
    assert len(old_links) == 4
    assert all(r["provider"].split("::")[2] == "pulumi:providers:pulumi-python" for r in old_links.values())

    stack = _upgrade(deployment, work_dir)
    upgrade_started = fake.link_events[-1].at
    previewed = _steps(lambda on_event: stack.preview(diff=True, on_event=on_event))
    link_steps = sorted((op, name) for op, type_, name in previewed if type_ == PAL_LINK_TYPE)
    assert link_steps == sorted(("same", name) for name in old_links), previewed
    customer_steps = [s for s in previewed if not s[1].startswith("pulumi:")]
    assert [s for s in customer_steps if s[0] in MOVING_STEPS] == [], previewed

    fake.clear_requests()
    applied = _steps(lambda on_event: stack.up(on_event=on_event))
    assert [s for s in applied if not s[1].startswith("pulumi:") and s[0] in MOVING_STEPS] == [], applied
    assert _fake_state(deployment) == before, "the upgrade changed something at Microsoft"
    writes = [r for r in fake.requests if r.method in ("PUT", "PATCH", "DELETE") and r.target == "arm"]
    assert writes == [], "the upgrade called Microsoft's link API"
    moved = {r["urn"].rsplit("::", 1)[-1]: r for r in _resources(deployment, work_dir) if r["type"] == PAL_LINK_TYPE}
    assert {name: r["id"] for name, r in moved.items()} == {name: r["id"] for name, r in old_links.items()}
    assert all(r["provider"].split("::")[2] == "pulumi:providers:partner-attribution" for r in moved.values())
    assert not [r for r in _resources(deployment, work_dir) if r["type"] == DYNAMIC_PAL_LINK_TYPE]

    # The plugin reads the moved (dynamic) state: refresh finds each link, then there is nothing to change.
    stack.refresh()
    stack.preview(expect_no_changes=True)
    assert _removed(deployment, upgrade_started) == [], "a link was removed during the upgrade"
    assert _fake_state(deployment)["links"] == before["links"]

    destroy_started = fake.link_events[-1].at
    stack.destroy()
    removed = {(e.tenant_id, e.object_id) for e in _removed(deployment, destroy_started)}
    existing_link = (deployment.tenant_id, existing.object_id)
    assert removed == deployed - {existing_link}, "destroy removes the links the stack made, through the plugin"
    assert set(fake.links) == {existing_link}, "an existing principal keeps its link (retain on delete)"
