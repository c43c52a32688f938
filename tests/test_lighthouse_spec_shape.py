"""The inputs LighthouseDelegation declares, checked against Azure's own description of the API: the
Microsoft.ManagedServices 2022-10-01 REST specification and its examples (``reference/lighthouse/``).

azure-native sends a resource's inputs as the request: ``scope`` and the GUID are path parameters, the rest is the
PUT body. The engine records the inputs in that wire form (camelCase), so the body is checked as it is: required
properties, types, enum values and formats, no read-only property, and no property the API does not define.
"""

from __future__ import annotations

import copy
import inspect
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pulumi_azure_native import managedservices
from test_lighthouse import declare, realistic

from partner_attribution.azure_ids import GUID_PATTERN
from partner_attribution.offline.engine import Evaluation

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "lighthouse"
SPEC_FILE = REFERENCE / "spec" / "managedservices.stable.2022-10-01.json"
API_VERSION = "2022-10-01"
DEFINITION = "azure-native:managedservices:RegistrationDefinition"
ASSIGNMENT = "azure-native:managedservices:RegistrationAssignment"
_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")


@cache
def spec() -> dict[str, Any]:
    assert SPEC_FILE.is_file(), (
        f"the reference spec is missing: {SPEC_FILE} (reference/ is part of the repository)"
    )
    return json.loads(SPEC_FILE.read_text("utf-8"))


def example(name: str) -> dict[str, Any]:
    return json.loads((REFERENCE / "examples" / name).read_text("utf-8"))


def schema(name: str) -> dict[str, Any]:
    return spec()["definitions"][name]


def violations(value: Any, node: dict[str, Any], path: str = "") -> list[str]:
    """Where ``value``, sent in a request, breaks the schema ``node`` (a small subset of Swagger 2.0: ``$ref`` within the
    file, ``type``, ``required``, ``properties``, ``items``, ``enum``, ``format`` uuid and duration, ``readOnly``)."""
    if "$ref" in node:
        reference = node["$ref"]
        assert reference.startswith("#/definitions/"), f"{path}: only read-only properties refer outside the file: {reference}"
        merged = {**schema(reference.split("/")[-1]), **{k: v for k, v in node.items() if k != "$ref"}}
        return violations(value, merged, path)
    if node.get("readOnly"):
        return [f"{path}: read-only, Azure sets it"]
    kind = node.get("type", "object" if "properties" in node else None)
    found: list[str] = []
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{path}: expected an object, got {type(value).__name__}"]
        properties = node.get("properties", {})
        found += [f"{path}.{key}: required" for key in node.get("required", []) if key not in value]
        for key, item in value.items():
            if key not in properties:
                found.append(f"{path}.{key}: not a property of the API")
            else:
                found += violations(item, properties[key], f"{path}.{key}")
    elif kind == "array":
        if not isinstance(value, list):
            return [f"{path}: expected an array, got {type(value).__name__}"]
        for index, item in enumerate(value):
            found += violations(item, node["items"], f"{path}[{index}]")
    elif kind == "string":
        if not isinstance(value, str):
            return [f"{path}: expected a string, got {type(value).__name__}"]
        if node.get("format") == "uuid" and not GUID_PATTERN.match(value):
            found.append(f"{path}: {value!r} is not a uuid")
        if node.get("format") == "duration" and not _DURATION.match(value):
            found.append(f"{path}: {value!r} is not an ISO 8601 duration")
    elif kind == "boolean" and not isinstance(value, bool):
        found.append(f"{path}: expected a boolean")
    if "enum" in node and value not in node["enum"]:
        found.append(f"{path}: {value!r} is not one of {node['enum']}")
    return found


def path_parameters(operation_path: str) -> dict[str, dict[str, Any]]:
    """The path parameters of the PUT at ``operation_path``, resolved."""
    parameters = spec()["paths"][operation_path]["put"]["parameters"]
    resolved = [spec()["parameters"][p["$ref"].split("/")[-1]] if "$ref" in p else p for p in parameters]
    return {p["name"]: p for p in resolved}


def request(resource: Any, guid_name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(path parameters, body) of the PUT azure-native makes for a registered resource."""
    inputs = dict(resource.inputs)
    path = {"scope": inputs.pop("scope"), guid_name: inputs.pop(guid_name)}
    return path, inputs


DEFINITION_PATH = "/{scope}/providers/Microsoft.ManagedServices/registrationDefinitions/{registrationDefinitionId}"
ASSIGNMENT_PATH = "/{scope}/providers/Microsoft.ManagedServices/registrationAssignments/{registrationAssignmentId}"


@pytest.fixture(scope="module")
def declared() -> Evaluation:
    return declare(realistic())


# --- the reference, and the checker on the reference's own examples ----------------------------------------------


def test_the_reference_is_the_api_version_the_sdk_uses() -> None:
    assert spec()["info"]["version"] == API_VERSION
    for resource in (managedservices.RegistrationDefinition, managedservices.RegistrationAssignment):
        assert f"Uses Azure REST API version {API_VERSION}." in Path(inspect.getfile(resource)).read_text("utf-8")
    put = spec()["paths"][DEFINITION_PATH]["put"]
    body = next(p for p in put["parameters"] if p.get("in") == "body")
    assert body["schema"] == {"$ref": "#/definitions/RegistrationDefinition"} and body["required"] is True
    body = next(p for p in spec()["paths"][ASSIGNMENT_PATH]["put"]["parameters"] if p.get("in") == "body")
    assert body["schema"] == {"$ref": "#/definitions/RegistrationAssignment"}


def test_the_checker_accepts_microsofts_examples() -> None:
    definition = example("PutRegistrationDefinition.json")["parameters"]["requestBody"]
    assignment = example("PutRegistrationAssignment.json")["parameters"]["requestBody"]
    assert violations(definition, schema("RegistrationDefinition")) == []
    assert violations(assignment, schema("RegistrationAssignment")) == []


def test_the_checker_refuses_what_the_api_refuses() -> None:
    body = example("PutRegistrationDefinition.json")["parameters"]["requestBody"]
    broken = copy.deepcopy(body)
    del broken["properties"]["managedByTenantId"]
    broken["properties"]["authorizations"][0].pop("roleDefinitionId")
    broken["properties"]["authorizations"][1]["delegatedRoleDefinitionIds"] = ["Contributor"]
    policy = broken["properties"]["eligibleAuthorizations"][0]["justInTimeAccessPolicy"]
    policy["multiFactorAuthProvider"] = "azure"
    policy["maximumActivationDuration"] = "8h"
    broken["properties"]["provisioningState"] = "Succeeded"
    broken["properties"]["principalType"] = "ServicePrincipal"
    broken["properties"]["description"] = 5
    broken["plan"].pop("version")
    assert sorted(violations(broken, schema("RegistrationDefinition"))) == sorted(
        [
            ".properties.managedByTenantId: required",
            ".properties.authorizations[0].roleDefinitionId: required",
            ".properties.authorizations[1].delegatedRoleDefinitionIds[0]: 'Contributor' is not a uuid",
            ".properties.eligibleAuthorizations[0].justInTimeAccessPolicy.multiFactorAuthProvider: 'azure' is not one of "
            "['Azure', 'None']",
            ".properties.eligibleAuthorizations[0].justInTimeAccessPolicy.maximumActivationDuration: '8h' is not an ISO "
            "8601 duration",
            ".properties.provisioningState: read-only, Azure sets it",
            ".properties.principalType: not a property of the API",
            ".properties.description: expected a string, got int",
            ".plan.version: required",
        ]
    )


# --- what the component declares ---------------------------------------------------------------------------------


def test_definitions_are_requests_the_api_accepts(declared: Evaluation) -> None:
    definitions = declared.of_type(DEFINITION)
    assert len(definitions) == 2
    parameters = path_parameters(DEFINITION_PATH)
    assert parameters["registrationDefinitionId"]["description"] == "The GUID of the registration definition."
    for resource in definitions:
        path, body = request(resource, "registrationDefinitionId")
        assert set(path) <= set(parameters), "every input that is not the body is a path parameter"
        assert GUID_PATTERN.match(path["registrationDefinitionId"])
        assert re.fullmatch(r"/subscriptions/[0-9a-f-]{36}", path["scope"]), "a definition lives in a subscription (ARCH)"
        assert violations(body, schema("RegistrationDefinition")) == []
        assert set(body) == {"properties"}, "no Marketplace plan: the offer is deployed, not published"


def test_assignments_are_requests_the_api_accepts_and_name_a_declared_definition(declared: Evaluation) -> None:
    definitions = {
        f"{d.inputs['scope']}/providers/Microsoft.ManagedServices/registrationDefinitions/{d.inputs['registrationDefinitionId']}"
        for d in declared.of_type(DEFINITION)
    }
    parameters = path_parameters(ASSIGNMENT_PATH)
    assert parameters["registrationAssignmentId"]["description"] == "The GUID of the registration assignment."
    assignments = declared.of_type(ASSIGNMENT)
    assert len(assignments) == 3
    for resource in assignments:
        path, body = request(resource, "registrationAssignmentId")
        assert set(path) <= set(parameters)
        assert GUID_PATTERN.match(path["registrationAssignmentId"])
        assert violations(body, schema("RegistrationAssignment")) == []
        assert body["properties"]["registrationDefinitionId"] in definitions
        assert body["properties"]["registrationDefinitionId"].startswith(path["scope"].split("/resourceGroups/")[0] + "/")


def test_authorizations_have_the_shape_of_microsofts_example(declared: Evaluation) -> None:
    """The same keys as the example's entries, and role definition IDs written as the example writes them (GUIDs)."""
    reference = example("PutRegistrationDefinition.json")["parameters"]["requestBody"]["properties"]
    ours = declared.of_type(DEFINITION)[0].inputs["properties"]
    assert set(ours) <= set(reference) | {"eligibleAuthorizations"}
    reference_keys = {k for a in reference["authorizations"] for k in a}
    assert {k for a in ours["authorizations"] for k in a} == reference_keys
    assert {k for a in ours["eligibleAuthorizations"] for k in a} == {k for a in reference["eligibleAuthorizations"] for k in a}
    assert set(ours["eligibleAuthorizations"][0]["justInTimeAccessPolicy"]) == set(
        reference["eligibleAuthorizations"][0]["justInTimeAccessPolicy"]
    )
    for entry in [*ours["authorizations"], *ours["eligibleAuthorizations"]]:
        assert GUID_PATTERN.match(entry["roleDefinitionId"]) and GUID_PATTERN.match(entry["principalId"])
    for entry in reference["authorizations"]:
        assert GUID_PATTERN.match(entry["roleDefinitionId"])


def test_optional_parts_are_left_out_rather_than_sent_empty() -> None:
    """No eligible authorization, no description, no approvers: the keys are absent, not null or empty lists."""
    args = realistic()
    plain = type(args)(
        offer_name=args.offer_name,
        managing_tenant_id=args.managing_tenant_id,
        authorizations=args.authorizations[:3],
        scopes=args.scopes[:1],
    )
    properties = declare(plain).of_type(DEFINITION)[0].inputs["properties"]
    assert set(properties) == {"registrationDefinitionName", "managedByTenantId", "authorizations"}
    assert all("delegatedRoleDefinitionIds" not in a for a in properties["authorizations"])
    assert violations({"properties": properties}, schema("RegistrationDefinition")) == []
