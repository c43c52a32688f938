"""The fake ``azure-native`` plugin: role assignments and Lighthouse registration definitions and assignments
live in the fake's Azure Resource Manager (an assignment that exists under another name answers 409
``RoleAssignmentExists`` there); every other azure-native type is generic.

Property names and replacements follow azure-native v3: a role assignment's ``scope``, ``roleAssignmentName``,
``principalId`` and ``roleDefinitionId`` replace it; a registration definition is replaced when its ``scope`` or
``registrationDefinitionId`` changes, an assignment when its ``scope`` or ``registrationAssignmentId`` does.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from .provider import FakeAzureProvider, TypeBehaviour

ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
REGISTRATION_DEFINITION = "azure-native:managedservices:RegistrationDefinition"
REGISTRATION_ASSIGNMENT = "azure-native:managedservices:RegistrationAssignment"
API_VERSIONS = {
    ROLE_ASSIGNMENT: "2022-04-01",
    REGISTRATION_DEFINITION: "2022-10-01",
    REGISTRATION_ASSIGNMENT: "2022-10-01",
}
_COMPUTED = frozenset({"name", "type", "azureApiVersion", "createdOn", "updatedOn", "createdBy", "updatedBy", "systemData"})


class AzureNativeProvider(FakeAzureProvider):
    """The fake azure-native provider plugin."""

    package = "azure-native"
    behaviours = {  # noqa: RUF012 - a class-level table
        ROLE_ASSIGNMENT: TypeBehaviour(
            replaces=frozenset({"scope", "roleAssignmentName", "principalId", "roleDefinitionId"}), computed=_COMPUTED
        ),
        REGISTRATION_DEFINITION: TypeBehaviour(replaces=frozenset({"scope", "registrationDefinitionId"}), computed=_COMPUTED),
        REGISTRATION_ASSIGNMENT: TypeBehaviour(replaces=frozenset({"scope", "registrationAssignmentId"}), computed=_COMPUTED),
    }

    def behaviour(self, type_token: str) -> TypeBehaviour:
        """A generic type's ``name`` and ``type`` are made by the provider (see :meth:`_generic`), not inputs."""
        return self.behaviours.get(type_token, TypeBehaviour(computed=frozenset({"name", "type"})))

    @staticmethod
    def _resource_id(type_token: str, inputs: dict[str, Any]) -> str:
        scope = str(inputs.get("scope") or "").rstrip("/")
        if type_token == ROLE_ASSIGNMENT:
            name = inputs.get("roleAssignmentName") or str(uuid.uuid4())
            return f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
        if type_token == REGISTRATION_DEFINITION:
            name = inputs.get("registrationDefinitionId") or str(uuid.uuid4())
            return f"{scope}/providers/Microsoft.ManagedServices/registrationDefinitions/{name}"
        name = inputs.get("registrationAssignmentId") or str(uuid.uuid4())
        return f"{scope}/providers/Microsoft.ManagedServices/registrationAssignments/{name}"

    @staticmethod
    def _body(type_token: str, inputs: dict[str, Any]) -> dict[str, Any]:
        if type_token == ROLE_ASSIGNMENT:
            keys = ("roleDefinitionId", "principalId", "principalType", "description", "condition", "conditionVersion")
            return {"properties": {k: inputs[k] for k in keys if inputs.get(k) is not None}}
        return {"properties": inputs.get("properties") or {}}

    def _put(self, type_token: str, resource_id: str, inputs: dict[str, Any]) -> dict[str, Any]:
        answer = (
            self.session().call("PUT", f"{resource_id}?api-version={API_VERSIONS[type_token]}", self._body(type_token, inputs))
            or {}
        )
        outputs = {**inputs, "name": answer.get("name"), "type": answer.get("type"), "azureApiVersion": API_VERSIONS[type_token]}
        if type_token == ROLE_ASSIGNMENT:
            outputs.update(createdOn=answer["properties"].get("createdOn"), updatedOn=answer["properties"].get("updatedOn"))
        return outputs

    def create_resource(self, type_token: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        if type_token in self.behaviours:
            resource_id = self._resource_id(type_token, inputs)
            return resource_id, self._put(type_token, resource_id, inputs)
        return self._generic(type_token, name, inputs)

    def _generic(self, type_token: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Any other type: its inputs are its outputs, with an ARM-shaped ID and a name as azure-native makes one
        (the resource's name and a random suffix, unless the inputs name it), so programs that use ``.id`` as a
        scope or ``.name`` as a parent get what ARM would give."""
        subscription = (
            self.settings.get("subscriptionId") or os.environ.get("ARM_SUBSCRIPTION_ID") or "00000000-0000-0000-0000-000000000000"
        )
        module, kind = type_token.split(":")[1:3]
        if type_token == "azure-native:resources:ResourceGroup":
            made = str(inputs.get("resourceGroupName") or f"{name}{uuid.uuid4().hex[:8]}")
            return f"/subscriptions/{subscription}/resourceGroups/{made}", {
                **inputs,
                "name": made,
                "type": "Microsoft.Resources/resourceGroups",
            }
        made = f"{name}{uuid.uuid4().hex[:8]}"
        collection = kind[0].lower() + kind[1:] + "s"
        group = inputs.get("resourceGroupName")
        parent = f"/subscriptions/{subscription}" + (f"/resourceGroups/{group}" if group else "")
        resource_type = f"Microsoft.{module[0].upper()}{module[1:]}/{collection}"
        return f"{parent}/providers/{resource_type}/{made}", {**inputs, "name": made, "type": resource_type}

    def update_resource(self, type_token: str, resource_id: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        if type_token in self.behaviours:
            return self._put(type_token, resource_id, news)
        return super().update_resource(type_token, resource_id, olds, news)

    def read_resource(self, type_token: str, resource_id: str, state: dict[str, Any]) -> dict[str, Any] | None:
        if type_token in self.behaviours:
            live = self.session().call("GET", f"{resource_id}?api-version={API_VERSIONS[type_token]}", missing_ok=True)
            return None if live is None else state
        return super().read_resource(type_token, resource_id, state)

    def delete_resource(self, type_token: str, resource_id: str, state: dict[str, Any]) -> None:
        if type_token in self.behaviours:
            self.session().call("DELETE", f"{resource_id}?api-version={API_VERSIONS[type_token]}", missing_ok=True)

    def invoke_function(self, token: str, args: dict[str, Any]) -> dict[str, Any]:
        if token == "azure-native:authorization:getClientConfig":
            session = self.session()
            subscription = self.settings.get("subscriptionId") or ""
            return {"clientId": session.client_id, "objectId": "", "subscriptionId": subscription, "tenantId": session.tenant_id}
        return super().invoke_function(token, args)
