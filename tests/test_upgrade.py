"""Upgrades never replace what a customer already has (in the spirit of pulumi-eks' HasNoReplacements).

For the example stack, every input that would make its provider replace a resource in the customer's
tenant is recorded in ``snapshots/example_stack_inputs.json``; a change of code that alters one fails
here. Regenerate deliberately with ``UPDATE_SNAPSHOT=1 python -m pytest tests/test_upgrade.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from conftest import PROJECT_ROOT
from partner_attribution.naming import PAL_LINK_TYPE
from partner_attribution.offline.engine import Evaluation, evaluate, run_program_file
from partner_attribution.offline.stack_file import read_stack_config
from partner_attribution.partner_link import REPLACE_KEYS

SNAPSHOT = Path(__file__).parent / "snapshots" / "example_stack_inputs.json"

REPLACING_INPUTS: dict[str, tuple[str, ...]] = {
    # azuread (terraform-provider-azuread): these arguments are ForceNew.
    "azuread:index/servicePrincipal:ServicePrincipal": ("clientId",),
    "azuread:index/applicationPassword:ApplicationPassword": ("applicationId", "displayName", "endDate", "rotateWhenChanged"),
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential": (
        "applicationId",
        "displayName",
    ),
    # azure-native: a role assignment is immutable; a new scope, role, principal or name is a new assignment.
    "azure-native:authorization:RoleAssignment": (
        "scope",
        "roleDefinitionId",
        "principalId",
        "principalType",
        "roleAssignmentName",
    ),
    # The PAL link's own Diff (partner_link.REPLACE_KEYS).
    PAL_LINK_TYPE: REPLACE_KEYS,
}


def _short(urn: str) -> str:
    return urn.split("::")[-1] if urn else ""


def replacing_inputs(evaluation: Evaluation) -> dict[str, dict[str, Any]]:
    """``type::parent::name`` → the inputs whose change replaces that resource."""
    return {
        f"{r.type}::{_short(r.parent)}::{r.name}": {key: r.plain_input(key) for key in REPLACING_INPUTS[r.type]}
        for r in evaluation.resources
        if r.type in REPLACING_INPUTS
    }


@pytest.fixture(scope="module")
def example() -> Evaluation:
    return evaluate(run_program_file(PROJECT_ROOT / "__main__.py"), read_stack_config(PROJECT_ROOT / "Pulumi.dev.yaml"))


def test_no_input_that_forces_replacement_changes(example: Evaluation) -> None:
    current = replacing_inputs(example)
    if os.environ.get("UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
    recorded = json.loads(SNAPSHOT.read_text())
    replaced = {
        key: {k: (v, current.get(key, {}).get(k)) for k, v in inputs.items() if current.get(key, {}).get(k) != v}
        for key, inputs in recorded.items()
    }
    replaced = {key: changes for key, changes in replaced.items() if changes}
    assert replaced == {}, f"these would be replaced in customers' tenants (recorded, now): {replaced}"
    assert set(current) == set(recorded), "new resources: review them, then regenerate the snapshot (UPDATE_SNAPSHOT=1)"


def test_the_guard_sees_a_changed_role_definition(example: Evaluation) -> None:
    """The comparison is not vacuous: the snapshot holds real values, and one changed value is caught."""
    recorded = json.loads(SNAPSHOT.read_text())
    key = next(k for k in recorded if k.startswith("azure-native:authorization:RoleAssignment::platform-delivery::"))
    assert recorded[key]["roleDefinitionId"].endswith(
        "/providers/Microsoft.Authorization/roleDefinitions/" + recorded[key]["roleDefinitionId"][-36:]
    )
    assert len(recorded[key]["roleAssignmentName"]) == 36
    links = [k for k in recorded if k.startswith(PAL_LINK_TYPE)]
    assert len(links) == 3 and all(recorded[k]["cloud"] == "public" for k in links)
    current = replacing_inputs(example)
    current[key] = {**current[key], "roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/other"}
    assert current[key] != recorded[key]
