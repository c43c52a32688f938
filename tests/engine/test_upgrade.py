"""Upgrade under the real engine (scenario 5): a stack deployed by release 0.1.0's code (commit ea75b1c, its own
program, its own PAL provider and its own example stack) previews with today's code with no replacement and no
delete, and today's ``up`` changes nothing in the fake Azure."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

from partner_attribution.testing.engine import FakeDeployment

from .conftest import PROJECT_ROOT, bundled_program

RELEASE_0_1 = "ea75b1c"
"""The last commit of release 0.1.0 (tests/test_upgrade.py freezes its inputs too)."""

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


def _release(tmp_path: Path) -> Path:
    """Release 0.1.0's files, from git (no worktree: nothing is added to the repository)."""
    archive = subprocess.run(
        ["git", "-C", str(PROJECT_ROOT), "archive", "--format=tar", RELEASE_0_1, "components", "Pulumi.yaml", "Pulumi.dev.yaml"],
        capture_output=True,
        check=True,
    ).stdout
    old = tmp_path / "old"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(old, filter="data")
    return old


def _fake_state(deployment: FakeDeployment) -> dict[str, Any]:
    fake = deployment.fake
    return {
        "apps": sorted((a.client_id, a.object_id, a.deleted, sorted(a.secrets), len(a.federated)) for a in fake.apps.values()),
        "links": sorted((k, v["partnerId"], v["version"]) for k, v in fake.links.items()),
        "resources": json.dumps(fake.arm_resources, sort_keys=True),
    }


def test_a_0_1_stack_previews_and_updates_with_todays_code_without_replacing_anything(
    deployment: FakeDeployment, tmp_path: Path
) -> None:
    old = _release(tmp_path)
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
    before = _fake_state(deployment)
    assert before["links"], "release 0.1.0 linked nothing"

    stack = deployment.stack(work_dir, "dev", bundled_program)
    preview = stack.preview(diff=True)
    assert not {"replace", "delete", "create-replacement", "delete-replaced", "create"} & set(preview.change_summary), (
        preview.change_summary,
        preview.stdout,
    )
    deployment.fake.clear_requests()
    stack.up()
    assert _fake_state(deployment) == before
    writes = [r for r in deployment.fake.requests if r.method in ("PUT", "PATCH", "DELETE", "POST") and r.target != "token"]
    assert [w for w in writes if w.target != "control"] == []
