"""A configuration problem is printed once, as the one clean error it is, under the real engine (issue 23): through
the Automation API's ``preview`` and ``up``, through the CLI's ``pulumi up`` with its own preview, and through
``partner-attribution rehearse``; a principal's bad argument in a partner's own program the same way. Nothing is
created, and the run fails (it is not mistaken for an empty program, which would delete the stack's resources)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from pulumi import automation as auto

from partner_attribution.testing.engine import FakeDeployment

from .conftest import PROJECT_ROOT, bundled_program, copy_project, exit_code, rehearse, write_project_file

PROBLEM = "partnerId: '12x' is not a Microsoft partner ID"


def _bad_partner_id(text: str) -> str:
    assert 'partner-attribution:partnerId: "1234567"' in text
    return text.replace('partner-attribution:partnerId: "1234567"', 'partner-attribution:partnerId: "12x"')


def _assert_shown_once(output: str, problem: str) -> None:
    assert output.count(problem) == 1, output
    assert "unhandled error" not in output, output
    assert "Traceback" not in output and 'File "' not in output, output


def test_a_bad_stack_value_is_printed_once_by_preview_and_up(deployment: FakeDeployment, tmp_path: Path) -> None:
    work_dir = copy_project(tmp_path / "project", PROJECT_ROOT / "Pulumi.dev.yaml", "dev", _bad_partner_id)
    stack = deployment.stack(work_dir, "dev", bundled_program)
    for run in (stack.preview, stack.up):
        with pytest.raises(auto.CommandError) as error:
            run()
        assert exit_code(error.value) != 0
        _assert_shown_once(str(error.value), PROBLEM)
    with_preview = deployment.up_with_preview(work_dir, "dev", bundled_program)
    assert with_preview.returncode != 0
    _assert_shown_once(with_preview.stdout + with_preview.stderr, PROBLEM)
    assert not deployment.fake.links and not deployment.fake.arm_resources


ONE_PRINCIPAL = {
    "config": {
        "azure-native:location": "westeurope",
        "partner-attribution:partnerId": "1234567",
        "partner-attribution:principals": [
            {
                "name": "delivery",
                "roles": [{"role": "Contributor", "scope": "/subscriptions/11111111-1111-4111-8111-111111111111"}],
                "credential": {"rotatedOn": "2026-11-01", "lifetimeDays": 180},
            }
        ],
    }
}


def test_a_bad_value_in_a_deployed_stack_fails_the_up_and_deletes_nothing(deployment: FakeDeployment, tmp_path: Path) -> None:
    """The danger in answering a shown problem: a program that "finished" having declared nothing makes ``up``
    delete the stack's resources. The run must fail, and Azure and the state stay as they were."""
    work_dir = tmp_path / "project"
    work_dir.mkdir()
    write_project_file(work_dir)
    stack_file = work_dir / "Pulumi.dev.yaml"
    stack_file.write_text(yaml.safe_dump(ONE_PRINCIPAL, sort_keys=False))
    stack = deployment.stack(work_dir, "dev", bundled_program)
    stack.up()
    fake = deployment.fake
    before = (repr(sorted(fake.links.items())), json.dumps(fake.arm_resources, sort_keys=True))
    apps = {client_id: app.deleted for client_id, app in fake.apps.items()}
    assert fake.links and fake.arm_resources and apps
    state = len(stack.export_stack().deployment["resources"])
    stack_file.write_text(stack_file.read_text().replace('"1234567"', '"12x"').replace("'1234567'", "'12x'"))
    assert "12x" in stack_file.read_text()
    with pytest.raises(auto.CommandError) as error:
        stack.up()
    _assert_shown_once(str(error.value), PROBLEM)
    assert (repr(sorted(fake.links.items())), json.dumps(fake.arm_resources, sort_keys=True)) == before
    assert {client_id: app.deleted for client_id, app in fake.apps.items()} == apps
    assert len(stack.export_stack().deployment["resources"]) == state


BAD_ARGUMENT_PROGRAM = """
from partner_attribution import DeliveryPrincipal, DeliveryPrincipalArgs
args = DeliveryPrincipalArgs(partner_id="1234567", role_assignments=[], link_credential="telepathy")
DeliveryPrincipal("delivery", args)
"""


def test_rehearse_prints_a_bad_stack_value_and_a_bad_argument_once(pulumi_bin: Path, tmp_path: Path) -> None:
    bundled = copy_project(tmp_path / "bundled", PROJECT_ROOT / "Pulumi.dev.yaml", "dev", _bad_partner_id)
    (bundled / "__main__.py").write_text((PROJECT_ROOT / "__main__.py").read_text())
    rehearsed = rehearse(bundled, pulumi_bin, "up")
    assert rehearsed.returncode != 0
    _assert_shown_once(rehearsed.stdout + rehearsed.stderr, PROBLEM)

    own = tmp_path / "own"
    own.mkdir()
    (own / "Pulumi.yaml").write_text("name: partner-own-program\nruntime: python\n")
    (own / "Pulumi.dev.yaml").write_text("config: {}\n")
    (own / "__main__.py").write_text(BAD_ARGUMENT_PROGRAM)
    rehearsed = rehearse(own, pulumi_bin, "preview")
    assert rehearsed.returncode != 0
    _assert_shown_once(rehearsed.stdout + rehearsed.stderr, "telepathy")
