"""The Lighthouse example pair under the real engine (scenario 7): the managing tenant's stack, then the customer's,
which reads the managing stack's ``attribution`` through a real StackReference. Both are previewed as new stacks
and deployed with ``up`` (issue 23)."""

from __future__ import annotations

import json
from pathlib import Path

from partner_attribution.testing.engine import FakeDeployment

from .conftest import PROJECT_ROOT, bundled_program, copy_project, outputs_of

EXAMPLES = PROJECT_ROOT / "examples" / "lighthouse"
MANAGING_SUBJECT = "repo:fabrikam/managed-services:ref:refs/heads/main"
"""Pulumi.managing-tenant.yaml's linkFederation."""


def test_the_customer_stack_reads_the_managing_stack_through_a_stack_reference(
    deployment: FakeDeployment, tmp_path: Path
) -> None:
    deployment.extra_env.update(deployment.fake.github_actions_environment(MANAGING_SUBJECT))
    managing_dir = copy_project(tmp_path / "managing", EXAMPLES / "Pulumi.managing-tenant.yaml", "managing-tenant")
    managing = deployment.stack(managing_dir, "managing-tenant", bundled_program)
    assert set(managing.preview().change_summary) == {"create"}
    managed = deployment.up_with_preview(managing_dir, "managing-tenant", bundled_program)
    assert managed.returncode == 0 and "Previewing update" in managed.stdout, managed.stdout + managed.stderr
    principal = outputs_of(managing)["attribution"]["principals"][0]
    assert (principal["name"], principal["linkState"]) == ("lighthouse-delivery", "Active")

    # A file backend's stacks are all in the organization "organization": the example names Pulumi Cloud's.
    customer_dir = copy_project(
        tmp_path / "customer",
        EXAMPLES / "Pulumi.customer.yaml",
        "customer",
        edit=lambda text: text.replace(
            "fabrikam/partner-attribution/managing-tenant", "organization/partner-attribution/managing-tenant"
        ),
    )
    customer = deployment.stack(customer_dir, "customer", bundled_program)
    assert set(customer.preview().change_summary) == {"create"}
    delegated = deployment.up_with_preview(customer_dir, "customer", bundled_program)
    assert delegated.returncode == 0 and "Previewing update" in delegated.stdout, delegated.stdout + delegated.stderr
    definitions = [
        r
        for k, r in deployment.fake.arm_resources.items()
        if "/providers/microsoft.managedservices/registrationdefinitions/" in k
    ]
    assert definitions, "no registration definition reached ARM"
    for definition in definitions:
        principal_ids = {a["principalId"] for a in definition["properties"]["authorizations"]}
        assert principal["objectId"] in principal_ids
        assert definition["properties"]["managedByTenantId"] == "55555555-5555-4555-8555-555555555555"
    assignments = [
        k for k in deployment.fake.arm_resources if "/providers/microsoft.managedservices/registrationassignments/" in k
    ]
    assert len(assignments) == 2
    document = outputs_of(customer)["attribution"]
    assert document["partnerId"] == "1234567", "the partner ID was not read from the managing stack"
    assert principal["objectId"] in json.dumps(document["lighthouse"])
