"""The plugin under the real engine from Go: examples/go (a Pulumi Go program on the committed Go SDK, sdk/go)
compiled, its program run inline through the Go Automation API (rehearse/): up links every principal as itself, a
no-change preview, drift (a removed link) exits 7, destroy. Needs Go (the module cache scripts/pulumi-toolchain.sh
filled)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from partner_attribution.testing.engine import FakeDeployment

from .conftest import PROJECT_ROOT
from .plugin_stack import EXISTING_OBJECT_ID, PRINCIPALS, install_plugin, prepare_fake, principal_output

GO_ENVIRONMENT = {"CGO_ENABLED": "0", "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"}


@dataclass
class GoStack:
    deployment: FakeDeployment
    rehearse: Path
    work_dir: Path
    up: dict[str, Any]

    def run(self, command: str) -> dict[str, Any]:
        done = subprocess.run(
            [str(self.rehearse), command, str(self.work_dir)],
            env={**os.environ, **self.deployment.environment()},
            capture_output=True, text=True, timeout=900, check=False,
        )  # fmt: skip
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        assert lines, done.stdout + done.stderr
        return dict(json.loads(lines[-1]))


@pytest.fixture(scope="module")
def go_stack(pulumi_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GoStack]:
    if shutil.which("go") is None:
        pytest.fail("the Go example needs Go on PATH")
    root = tmp_path_factory.mktemp("go")
    build = subprocess.run(
        ["go", "build", "-o", str(root / "bin") + "/", "./..."],
        cwd=PROJECT_ROOT / "examples" / "go", env={**os.environ, **GO_ENVIRONMENT},
        capture_output=True, text=True, timeout=1200, check=False,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    work_dir = root / "project"
    work_dir.mkdir()
    with FakeDeployment(pulumi_bin, root / "engine") as deployment:
        install_plugin(deployment)
        prepare_fake(deployment)
        stack = GoStack(deployment, root / "bin" / "rehearse", work_dir, {})
        stack.up = stack.run("up")
        assert "error" not in stack.up, stack.up["error"]
        yield stack


def _outputs(stack: GoStack) -> dict[str, Any]:
    return {k: v["Value"] for k, v in stack.up["outputs"].items()}


def test_up_links_every_principal_as_itself(go_stack: GoStack) -> None:
    fake = go_stack.deployment.fake
    assert go_stack.up["summary"]["result"] == "succeeded"
    outputs = _outputs(go_stack)
    assert [p["name"] for p in outputs["principals"]] == list(PRINCIPALS)
    for name in PRINCIPALS:
        principal = principal_output(outputs, name)
        assert (principal["partnerId"], principal["linkState"]) == ("1234567", "Active"), name
        assert fake.links[(principal["tenantId"], principal["objectId"])]["partnerId"] == "1234567", name
        writes = [
            r
            for r in fake.requests_to("arm")
            if r.method == "PUT" and "/partners/1234567" in r.path.lower() and r.client_id == principal["clientId"]
        ]
        assert [w.status for w in writes] == [200], f"{name} was not linked by itself"
    assert principal_output(outputs, "customer-automation")["objectId"] == EXISTING_OBJECT_ID
    assert go_stack.up["outputs"]["reportingLinkPassword"]["Secret"]


def test_a_preview_right_after_up_has_no_changes(go_stack: GoStack) -> None:
    result = go_stack.run("preview")
    assert "error" not in result, result["error"]
    assert set(result["changeSummary"]) == {"same"}


def test_a_removed_link_is_drift_exit_7(go_stack: GoStack) -> None:
    app = go_stack.deployment.fake.apps[principal_output(_outputs(go_stack), "workload-delivery")["clientId"]]
    go_stack.deployment.fake.remove_link(app)
    try:
        result = go_stack.run("preview-refresh")
        assert result.get("exitCode") == 7, result
        assert "workload-delivery-pal" in result["error"]
    finally:
        go_stack.deployment.fake.set_link(app, "1234567")


def test_destroy_removes_the_links_it_made_and_keeps_the_existing_principals(go_stack: GoStack) -> None:
    """Last in this module: it ends the deployment."""
    fake = go_stack.deployment.fake
    outputs = _outputs(go_stack)
    made = [fake.apps[principal_output(outputs, n)["clientId"]] for n in ("platform-delivery", "workload-delivery", "reporting")]
    result = go_stack.run("destroy")
    assert result.get("summary", {}).get("result") == "succeeded", result
    assert all(app.deleted and (app.tenant_id, app.object_id) not in fake.links for app in made)
    existing = fake.apps["33333333-3333-4333-8333-333333333333"]
    assert not existing.deleted and fake.link_of(existing)["partnerId"] == "1234567"
