"""The plugin under the real engine from TypeScript: examples/typescript (a normal Pulumi TypeScript project on the
committed SDK, sdk/nodejs) with its program run inline through the Node.js Automation API (automation.ts): up links
every principal as itself, a no-change preview, drift (a removed link) exits 7, destroy. Needs Node.js with npm
(@pulumi/pulumi and TypeScript from the registry)."""

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
from .plugin_stack import EXISTING_OBJECT_ID, PRINCIPALS, copy_example, install_plugin, prepare_fake, principal_output


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False)


def build_sdk(folder: Path) -> Path:
    """sdk/nodejs built as a package (``bin/`` with its package.json): what ``npm install`` of the example takes."""
    shutil.copytree(PROJECT_ROOT / "sdk" / "nodejs", folder)
    for step in (["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts"], ["npx", "tsc", "-p", "."]):
        done = _run(step, folder)
        assert done.returncode == 0, done.stdout + done.stderr
    shutil.copy(folder / "package.json", folder / "bin" / "package.json")
    return folder / "bin"


@dataclass
class TypeScriptStack:
    deployment: FakeDeployment
    project: Path
    up: dict[str, Any]

    def run(self, command: str) -> dict[str, Any]:
        env = {**os.environ, **self.deployment.environment()}
        done = _run(["node", "bin/automation.js", command, str(self.project)], self.project, env)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        assert lines, done.stdout + done.stderr
        return dict(json.loads(lines[-1]))


@pytest.fixture(scope="module")
def typescript_stack(pulumi_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TypeScriptStack]:
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"the TypeScript example needs {', '.join(missing)} on PATH")
    root = tmp_path_factory.mktemp("typescript")
    sdk = build_sdk(root / "sdk")
    project = copy_example("typescript", root / "project")
    manifest = json.loads((project / "package.json").read_text())
    manifest["dependencies"]["@partner-attribution/pulumi"] = f"file:{sdk}"
    (project / "package.json").write_text(json.dumps(manifest, indent=4))
    for step in (["npm", "install", "--install-links", "--no-audit", "--no-fund", "--ignore-scripts"], ["npx", "tsc", "-p", "."]):
        done = _run(step, project)
        assert done.returncode == 0, done.stdout + done.stderr
    with FakeDeployment(pulumi_bin, root / "engine") as deployment:
        install_plugin(deployment)
        prepare_fake(deployment)
        stack = TypeScriptStack(deployment, project, {})
        stack.up = stack.run("up")
        assert "error" not in stack.up, stack.up["error"]
        yield stack


def _outputs(stack: TypeScriptStack) -> dict[str, Any]:
    return {k: v["value"] for k, v in stack.up["outputs"].items()}


def test_up_links_every_principal_as_itself(typescript_stack: TypeScriptStack) -> None:
    fake = typescript_stack.deployment.fake
    assert typescript_stack.up["summary"]["result"] == "succeeded"
    outputs = _outputs(typescript_stack)
    assert [p["name"] for p in outputs["principals"]] == list(PRINCIPALS)
    for name in PRINCIPALS:
        principal = principal_output(outputs, name)
        assert (principal["partnerId"], principal["linkState"]) == ("1234567", "Active"), name
        link = fake.links[(principal["tenantId"], principal["objectId"])]
        assert link["partnerId"] == "1234567", name
        writes = [
            r
            for r in fake.requests_to("arm")
            if r.method == "PUT" and "/partners/1234567" in r.path.lower() and r.client_id == principal["clientId"]
        ]
        assert [w.status for w in writes] == [200], f"{name} was not linked by itself"
    assert principal_output(outputs, "customer-automation")["objectId"] == EXISTING_OBJECT_ID
    assert typescript_stack.up["outputs"]["reportingLinkPassword"]["secret"]


def test_a_preview_right_after_up_has_no_changes(typescript_stack: TypeScriptStack) -> None:
    result = typescript_stack.run("preview")
    assert "error" not in result, result["error"]
    assert set(result["changeSummary"]) == {"same"}


def test_a_removed_link_is_drift_exit_7(typescript_stack: TypeScriptStack) -> None:
    outputs = _outputs(typescript_stack)
    app = typescript_stack.deployment.fake.apps[principal_output(outputs, "workload-delivery")["clientId"]]
    typescript_stack.deployment.fake.remove_link(app)
    try:
        result = typescript_stack.run("preview-refresh")
        assert result.get("exitCode") == 7, result
        assert "workload-delivery-pal" in result["error"]
    finally:
        typescript_stack.deployment.fake.set_link(app, "1234567")


def test_destroy_removes_the_links_it_made_and_keeps_the_existing_principals(typescript_stack: TypeScriptStack) -> None:
    """Last in this module: it ends the deployment."""
    fake = typescript_stack.deployment.fake
    outputs = _outputs(typescript_stack)
    made = [fake.apps[principal_output(outputs, n)["clientId"]] for n in ("platform-delivery", "workload-delivery", "reporting")]
    result = typescript_stack.run("destroy")
    assert result.get("summary", {}).get("result") == "succeeded", result
    assert all(app.deleted and (app.tenant_id, app.object_id) not in fake.links for app in made)
    existing = fake.apps["33333333-3333-4333-8333-333333333333"]
    assert not existing.deleted and fake.link_of(existing)["partnerId"] == "1234567"
