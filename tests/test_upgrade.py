"""Upgrades never replace what a customer already has (in the spirit of pulumi-eks' HasNoReplacements).

For a stack as release 0.1.0 shipped it (``stacks/Pulumi.password-0.1.yaml``, password link credentials), every
input that would make a provider replace a resource in the customer's tenant was recorded with release 0.1.0's
code (``snapshots/password-0.1_inputs.json``); this code must declare the same. The current example stack is
frozen the same way for the next release (``snapshots/example_stack_inputs.json``; regenerate that one
deliberately with ``UPDATE_SNAPSHOT=1 python -m pytest tests/test_upgrade.py``).
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest
from pulumi.provider.experimental.provider import CheckRequest, DiffRequest

from conftest import PROJECT_ROOT
from partner_attribution.naming import DYNAMIC_PAL_LINK_TYPE, PAL_LINK_TYPE
from partner_attribution.offline.engine import Evaluation, RegisteredResource, evaluate, run_program_file
from partner_attribution.offline.stack_file import read_stack_config
from partner_attribution.partner_link import REPLACE_KEYS
from partner_attribution.plugin.provider import PartnerAttributionProvider
from partner_attribution.plugin.values import camel, snake, wire_map

SNAPSHOTS = Path(__file__).parent / "snapshots"
RELEASE_0_1_STACK = Path(__file__).parent / "stacks" / "Pulumi.password-0.1.yaml"

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
    # The PAL link's own Diff (partner_link.REPLACE_KEYS), as the snapshots recorded it: 0.1 and 0.2 declared the
    # dynamic resource, with snake_case inputs.
    DYNAMIC_PAL_LINK_TYPE: REPLACE_KEYS,
}
MOVED_TYPES = {PAL_LINK_TYPE: DYNAMIC_PAL_LINK_TYPE}
"""Since 0.3 a Python program's link is the plugin's resource, aliased from the dynamic one (same name and parent),
its inputs in the schema's camelCase: it is compared with the snapshots under the type and spelling it moves from
(its replace-forcing inputs are the same three; ``tests/engine/test_upgrade.py`` moves real stacks)."""
LINK_INPUTS_0_1 = {"__provider", "client_id", "client_secret", "cloud", "overwrite_existing", "partner_id", "tenant_id",
                   "timeout_seconds"}  # fmt: skip
"""The inputs release 0.1.0 registered for a PAL link (read off 0.1.0 under the mock engine; None values are not
sent): an upgraded password link registers exactly these, so its provider sees no change."""


def _short(urn: str) -> str:
    return urn.split("::")[-1] if urn else ""


def _recorded_as(resource: RegisteredResource) -> tuple[str, Any]:
    """The type a resource had in the snapshots, and how to spell its input keys now."""
    old = MOVED_TYPES.get(resource.type)
    if old is not None and {"type": old} in resource.aliases:
        return old, camel
    return resource.type, str


def replacing_inputs(evaluation: Evaluation) -> dict[str, dict[str, Any]]:
    """``type::parent::name`` → the inputs whose change replaces that resource."""
    found = {}
    for r in evaluation.resources:
        type_, spelled = _recorded_as(r)
        if type_ in REPLACING_INPUTS:
            found[f"{type_}::{_short(r.parent)}::{r.name}"] = {k: r.plain_input(spelled(k)) for k in REPLACING_INPUTS[type_]}
    return found


def _evaluate(stack: Path) -> Evaluation:
    return evaluate(run_program_file(PROJECT_ROOT / "__main__.py"), read_stack_config(stack))


@pytest.fixture(scope="module")
def release_0_1() -> Evaluation:
    return _evaluate(RELEASE_0_1_STACK)


def _replaced(recorded: dict[str, dict[str, Any]], current: dict[str, dict[str, Any]]) -> dict[str, Any]:
    changes = {
        key: {k: (v, current.get(key, {}).get(k)) for k, v in inputs.items() if current.get(key, {}).get(k) != v}
        for key, inputs in recorded.items()
    }
    return {key: change for key, change in changes.items() if change}


def test_a_0_1_stack_upgrades_with_no_replacement(release_0_1: Evaluation) -> None:
    recorded = json.loads((SNAPSHOTS / "password-0.1_inputs.json").read_text())
    current = replacing_inputs(release_0_1)
    assert _replaced(recorded, current) == {}, "these would be replaced in customers' tenants (recorded, now)"
    assert set(current) == set(recorded)


def test_a_0_1_password_link_registers_the_same_inputs(release_0_1: Evaluation) -> None:
    """No new input key on a password link (no credential_type), now in the plugin's camelCase; and the plugin's
    Check and Diff, handed a 0.1 link's state (its inputs and outputs, snake_case, ``__provider``) as the engine
    hands it over on the alias move, find no change: the link moves without a call to Microsoft."""
    links = release_0_1.of_type(PAL_LINK_TYPE)
    assert len(links) == 3 and all({snake(key) for key in link.inputs} == LINK_INPUTS_0_1 - {"__provider"} for link in links)
    assert all(link.input_is_secret("clientSecret") for link in links)
    provider = PartnerAttributionProvider()
    for link in links:
        registered = {key: link.plain_input(key) for key in link.inputs}
        dynamic_inputs = {snake(key): value for key, value in registered.items()} | {"__provider": "gASV..."}
        dynamic_outputs = dynamic_inputs | {"object_id": "oid", "partner_name": "Contoso", "state": "Active"}
        urn = link.urn
        checked = asyncio.run(
            provider.check(
                CheckRequest(urn, wire_map(dynamic_inputs, ["client_secret"]), wire_map(registered, ["clientSecret"]), b"")
            )
        )
        assert checked.failures == []
        old_state = wire_map(dynamic_outputs, ["client_secret"])
        diff = asyncio.run(provider.diff(DiffRequest(urn, f"{registered['tenantId']}/oid", old_state, checked.inputs, [])))
        assert diff.changes is False, link.name
        changed = wire_map({**dynamic_outputs, "partner_id": "7654321"}, ["client_secret"])
        assert asyncio.run(provider.diff(DiffRequest(urn, "id", changed, checked.inputs, []))).changes is True


def test_the_example_stack_is_frozen_for_the_next_release() -> None:
    snapshot = SNAPSHOTS / "example_stack_inputs.json"
    current = replacing_inputs(_evaluate(PROJECT_ROOT / "Pulumi.dev.yaml"))
    if os.environ.get("UPDATE_SNAPSHOT") == "1":
        snapshot.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
    recorded = json.loads(snapshot.read_text())
    assert _replaced(recorded, current) == {}
    assert set(current) == set(recorded), "new resources: review them, then regenerate the snapshot (UPDATE_SNAPSHOT=1)"


def test_the_guard_sees_a_changed_input(release_0_1: Evaluation) -> None:
    """The comparison is not vacuous: the snapshot holds real values, and one changed value is caught."""
    recorded = json.loads((SNAPSHOTS / "password-0.1_inputs.json").read_text())
    key = next(k for k in recorded if k.startswith("azure-native:authorization:RoleAssignment::platform-delivery::"))
    assert len(recorded[key]["roleAssignmentName"]) == 36 and "/roleDefinitions/" in recorded[key]["roleDefinitionId"]
    current = replacing_inputs(release_0_1)
    current[key] = {**current[key], "roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/other"}
    assert set(_replaced(recorded, current)) == {key}
