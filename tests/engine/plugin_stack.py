"""What the plugin's engine tests share: the plugin on the engine's PATH, a project folder copied from
``examples/<language>``, the fake Azure's principals of the example, and the CLI's exit codes."""

from __future__ import annotations

import shutil
import sys
import uuid
from pathlib import Path
from typing import Any

from partner_attribution.testing.engine import FakeDeployment
from partner_attribution.testing.fake.oidc import GITHUB_ISSUER

from .conftest import GITHUB_SUBJECT, PROJECT_ROOT

EXISTING_CLIENT_ID = "33333333-3333-4333-8333-333333333333"
EXISTING_OBJECT_ID = "44444444-4444-4444-8444-444444444444"
PRINCIPALS = ("platform-delivery", "workload-delivery", "customer-automation", "reporting")
"""The example's principals (the same as the Python example stack's, Pulumi.dev.yaml)."""
PLUGIN = "pulumi-resource-partner-attribution"


def install_plugin(deployment: FakeDeployment) -> Path:
    """The plugin's console script (installed with this package, next to this interpreter) where the engine looks
    for plugins: on its PATH, in the deployment's plugin folder."""
    script = Path(sys.executable).parent / PLUGIN
    assert script.exists(), f"{script} is missing: pip install -e . puts the plugin's console script there"
    target = deployment.root / "plugins" / PLUGIN
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.symlink_to(script)
    return target


def prepare_fake(deployment: FakeDeployment) -> None:
    """The customer's existing automation principal, trusting the pipeline, and the pipeline's token source."""
    fake = deployment.fake
    existing = fake.add_app(deployment.tenant_id, client_id=EXISTING_CLIENT_ID, object_id=EXISTING_OBJECT_ID)
    existing.application_object_id = str(uuid.uuid4())
    existing.display_name = "Contoso automation"
    fake.add_federated_credential(existing, GITHUB_ISSUER, GITHUB_SUBJECT)
    deployment.extra_env.update(fake.github_actions_environment(GITHUB_SUBJECT))


def copy_example(language: str, work_dir: Path) -> Path:
    """``examples/<language>`` in ``work_dir`` (build output and dependencies left behind)."""
    ignore = shutil.ignore_patterns("node_modules", "bin", "Pulumi.*.yaml", "*.tsbuildinfo")
    shutil.copytree(PROJECT_ROOT / "examples" / language, work_dir, ignore=ignore, dirs_exist_ok=True)
    return work_dir


def principal_output(outputs: dict[str, Any], name: str) -> dict[str, Any]:
    """One principal's entry of the example's ``principals`` output."""
    return next(p for p in outputs["principals"] if p["name"] == name)
