"""The package stands alone: built as a wheel and installed outside the repository, it plans the example
stack and declares the component under mocks, with its package data (the role catalog)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT

pytestmark = pytest.mark.long  # builds and installs a wheel

COMPONENT_UNDER_MOCKS = """
import partner_attribution, pulumi
from partner_attribution import DeliveryPrincipal, DeliveryPrincipalArgs, RoleAssignmentArgs
from partner_attribution.offline.engine import evaluate

def program():
    DeliveryPrincipal("ops", DeliveryPrincipalArgs(
        partner_id="1234567",
        role_assignments=[RoleAssignmentArgs("contributor", "/subscriptions/11111111-1111-4111-8111-111111111111")],
        credential_rotated_on="2026-11-01"))

evaluation = evaluate(program)
print(partner_attribution.__file__)
print(sorted(r.name for r in evaluation.resources))
"""


def test_wheel_installs_and_runs_outside_the_repository(installed_outside: Path, tmp_path: Path) -> None:
    python = installed_outside
    environment = python.parent.parent

    work = tmp_path / "elsewhere"
    work.mkdir()
    shutil.copy(PROJECT_ROOT / "Pulumi.dev.yaml", work / "Pulumi.dev.yaml")
    shutil.copy(PROJECT_ROOT / "__main__.py", work / "__main__.py")
    clean_env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}

    plan = subprocess.run(
        [python, "-m", "partner_attribution", "plan", "--stack", "dev", "--format", "json"],
        cwd=work,
        capture_output=True,
        text=True,
        env=clean_env,
    )
    assert plan.returncode == 0, plan.stderr
    assert '"name": "platform-delivery"' in plan.stdout and '"role": "Management Group Contributor"' in plan.stdout

    component = subprocess.run([python, "-c", COMPONENT_UNDER_MOCKS], cwd=work, capture_output=True, text=True, env=clean_env)
    assert component.returncode == 0, component.stderr
    installed, names = component.stdout.splitlines()
    assert installed.startswith(str(environment)) and not installed.startswith(str(PROJECT_ROOT))
    assert names == "['ops', 'ops-app', 'ops-pal', 'ops-password', 'ops-role-977b8712', 'ops-sp']"
