"""Evaluate a Pulumi program with no cloud and no Pulumi CLI, under the SDK's mock engine.

The only module of the package that touches ``pulumi.runtime`` internals (mock monitor, settings,
``_sync_await``), as ``pulumi.runtime.test`` does.

Everything the program registers is recorded as the engine would see it: type, name, parent,
dependencies, inputs (secrets still marked), aliases. Outputs are deterministic placeholders
derived from resource names, so two evaluations of the same configuration are identical.
Used by ``partner-attribution plan``, the test suite and the benchmarks.
"""

from __future__ import annotations

import asyncio
import logging
import os
import runpy
import sys
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks, rpc, settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from ..attribution import PLANNED_LINK_STATE
from ..naming import PAL_LINK_TYPE

PLACEHOLDER_NAMESPACE = uuid.UUID("5f1e4a2b-6c1d-4e5f-9a0b-0c0ffee0aa11")
PLACEHOLDER_TENANT = "00000000-0000-4000-8000-0000000000aa"
PLACEHOLDER_SUBSCRIPTION = "00000000-0000-4000-8000-0000000000bb"


def placeholder_guid(*parts: str) -> str:
    return str(uuid.uuid5(PLACEHOLDER_NAMESPACE, "/".join(parts)))


@dataclass
class RegisteredResource:
    """One resource registration as the engine receives it."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    """Deserialized inputs; secret values stay wrapped in Pulumi's secret marker."""
    dependencies: list[str]
    aliases: list[dict[str, Any]]
    additional_secret_outputs: list[str]
    id: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    """URNs each input depends on, as the engine records them (``propertyDependencies``)."""
    import_id: str = ""
    """The ID of an existing resource to adopt (``import_``), empty when none."""
    retain_on_delete: bool = False
    """Whether destroying the stack leaves the resource in the cloud."""

    def input_is_secret(self, key: str) -> bool:
        return rpc.is_rpc_secret(self.inputs.get(key))

    def plain_input(self, key: str) -> Any:
        return rpc.unwrap_rpc_secret(self.inputs.get(key))


@dataclass
class Evaluation:
    """What a program declared, its stack outputs and its diagnostics."""

    resources: list[RegisteredResource]
    outputs: dict[str, Any]
    secret_outputs: set[str]
    warnings: list[str]
    errors: list[str]

    def of_type(self, type_: str) -> list[RegisteredResource]:
        """The registrations of one resource type, in order."""
        return [r for r in self.resources if r.type == type_]

    def by_name(self, name: str) -> RegisteredResource:
        """The one registration named ``name`` (KeyError unless exactly one)."""
        matches = [r for r in self.resources if r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources named {name!r}")
        return matches[0]


STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"
SECRET_DISPLAY = "[secret]"
"""How ``pulumi stack output --json`` (without ``--show-secrets``) prints a secret output."""


def placeholder_attribution(stack: str, principals: Sequence[str]) -> dict[str, Any]:
    """A managing stack's ``attribution`` output when none is given: the named principals with placeholder object
    IDs (derived from the stack and the name) and an ``unknown`` link state."""
    return {
        "version": 1,
        "partnerId": "",
        "principals": [
            {"name": name, "objectId": placeholder_guid("managing-principal", stack, name), "linkState": "unknown",
             "roles": []}
            for name in principals
        ],
    }  # fmt: skip


class PlaceholderMocks(pulumi.runtime.Mocks):
    """Deterministic outputs for the resource types this project declares (wire-format keys).

    A ``pulumi.StackReference`` reads ``stack_outputs`` (what ``pulumi stack output --json`` of the referenced stack
    prints) when given; otherwise an ``attribution`` output of placeholders naming ``placeholder_principals``."""

    def __init__(self, stack_outputs: Mapping[str, Any] | None = None, placeholder_principals: Sequence[str] = ()) -> None:
        self._principal_by_client: dict[str, str] = {}
        """Service principal object ID by client ID: the object a PAL link made with that client would report."""
        self.stack_outputs = dict(stack_outputs) if stack_outputs is not None else None
        self.placeholder_principals = tuple(placeholder_principals)
        self.stack_references: list[str] = []
        """The stacks the program referenced, in order."""
        self.placeholders: set[str] = {PLACEHOLDER_TENANT}
        """Every value these mocks made up (IDs Azure or Entra assigns at deployment): unknown in a real preview."""

    def _placeholder(self, *parts: str) -> str:
        value = placeholder_guid(*parts)
        self.placeholders.add(value)
        return value

    def _stack_reference(self, stack: str) -> dict[str, Any]:
        self.stack_references.append(stack)
        if self.stack_outputs is None:
            outputs: dict[str, Any] = {"attribution": placeholder_attribution(stack, self.placeholder_principals)}
            self.placeholders.update(p["objectId"] for p in outputs["attribution"]["principals"])
        else:
            outputs = self.stack_outputs
        secret = sorted(key for key, value in outputs.items() if value == SECRET_DISPLAY)
        return {"name": stack, "outputs": outputs, "secretOutputNames": secret}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        inputs = dict(args.inputs)
        name = args.name
        if args.typ == STACK_REFERENCE_TYPE:
            stack = str(inputs.get("name") or args.resource_id or name)
            return stack, self._stack_reference(stack)
        if args.typ == "azure-native:managedservices:RegistrationDefinition":
            return (
                f"{inputs.get('scope')}/providers/Microsoft.ManagedServices/registrationDefinitions/"
                f"{inputs.get('registrationDefinitionId')}",
                inputs,
            )
        if args.typ == "azure-native:managedservices:RegistrationAssignment":
            return (
                f"{inputs.get('scope')}/providers/Microsoft.ManagedServices/registrationAssignments/"
                f"{inputs.get('registrationAssignmentId')}",
                inputs,
            )
        if args.typ == "azuread:index/application:Application":
            object_id = self._placeholder("application", name)
            return f"/applications/{object_id}", {
                **inputs,
                "objectId": object_id,
                "clientId": self._placeholder("client", name),
            }
        if args.typ == "azuread:index/servicePrincipal:ServicePrincipal":
            object_id = self._placeholder("service-principal", name)
            self._principal_by_client[str(inputs.get("clientId"))] = object_id
            return f"/servicePrincipals/{object_id}", {
                **inputs,
                "objectId": object_id,
                "applicationTenantId": PLACEHOLDER_TENANT,
            }
        if args.typ == "azuread:index/applicationPassword:ApplicationPassword":
            key_id = self._placeholder("password", name)
            return f"{inputs.get('applicationId')}/password/{key_id}", {
                **inputs,
                "keyId": key_id,
                "value": rpc.wrap_rpc_secret(f"offline-placeholder-{key_id[:8]}"),
            }
        if args.typ == "azure-native:authorization:RoleAssignment":
            assignment_id = (
                f"{inputs.get('scope')}/providers/Microsoft.Authorization/roleAssignments/{inputs.get('roleAssignmentName')}"
            )
            return assignment_id, {**inputs, "name": inputs.get("roleAssignmentName")}
        if args.typ == "azure-native:resources:ResourceGroup":
            group = inputs.get("resourceGroupName") or name
            return f"/subscriptions/{PLACEHOLDER_SUBSCRIPTION}/resourceGroups/{group}", {**inputs, "name": group}
        if args.typ == PAL_LINK_TYPE:
            return f"{inputs.get('tenantId')}/{self._placeholder('link', name)}", {
                **inputs,
                "objectId": self._principal_by_client.get(str(inputs.get("clientId")), self._placeholder("principal", name)),
                "partnerName": None,
                "state": PLANNED_LINK_STATE,
            }
        return f"{name}-id", inputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """Look-ups of principals that exist outside the stack, and of the deploying identity."""
        client_id = str(args.args.get("clientId", ""))
        if args.token == "azuread:index/getServicePrincipal:getServicePrincipal":
            object_id = self._placeholder("existing-service-principal", client_id)
            return {
                "id": object_id,
                "objectId": object_id,
                "clientId": client_id,
                "applicationTenantId": PLACEHOLDER_TENANT,
            }, []
        if args.token == "azuread:index/getApplication:getApplication":
            object_id = self._placeholder("existing-application", client_id)
            return {"id": f"/applications/{object_id}", "objectId": object_id, "clientId": client_id}, []
        if args.token == "azuread:index/getClientConfig:getClientConfig":
            return {
                "id": PLACEHOLDER_TENANT,
                "tenantId": PLACEHOLDER_TENANT,
                "clientId": self._placeholder("deployer"),
                "objectId": self._placeholder("deployer-object"),
            }, []
        return {}, []


class RecordingMonitor(mocks.MockMonitor):
    """A mock resource monitor that keeps every registration request as the engine sees it."""

    def __init__(self, mocks_: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks_)
        self.registrations: list[RegisteredResource] = []

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            registered = self.resources.get(response.urn)
            self.registrations.append(
                RegisteredResource(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    parent=request.parent,
                    custom=request.custom,
                    inputs=rpc.deserialize_properties(request.object, keep_unknowns=True),
                    dependencies=list(request.dependencies),
                    aliases=[_alias(a) for a in request.aliases],
                    additional_secret_outputs=list(request.additionalSecretOutputs),
                    id=registered.id if registered else None,
                    outputs=dict(registered.state) if registered else {},
                    property_dependencies={key: list(deps.urns) for key, deps in request.propertyDependencies.items()},
                    import_id=request.importId,
                    retain_on_delete=bool(request.retainOnDelete),
                )
            )
        return response


def _alias(alias: Any) -> dict[str, Any]:
    if alias.HasField("urn"):
        return {"urn": alias.urn}
    spec = alias.spec
    return {
        key: value
        for key, value in {
            "name": spec.name or None,
            "type": spec.type or None,
            "parentUrn": spec.parentUrn or None,
            "noParent": spec.noParent or None,
        }.items()
        if value is not None
    }


_ENGINE_LOG = logging.getLogger("partner_attribution.offline.engine.log")
"""Where the mock engine's log goes: one logger, a capturing handler per evaluation."""
_ENGINE_LOG.propagate = False
_ENGINE_LOG.setLevel(logging.DEBUG)


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.warnings: list[str] = []
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            self.errors.append(record.getMessage())
        elif record.levelno >= logging.WARNING:
            self.warnings.append(record.getMessage())


def evaluate(
    program: Callable[[], None],
    config: Mapping[str, str] | None = None,
    *,
    project: str = "partner-attribution",
    stack: str = "dev",
    preview: bool = True,
    mocks_: pulumi.runtime.Mocks | None = None,
    secret_keys: Sequence[str] = (),
) -> Evaluation:
    """Run ``program`` under the mock engine with ``config`` (Pulumi's ``namespace:key`` → string form); ``secret_keys``
    are the keys the engine would report as secrets (``pulumi.runtime.is_config_secret``), those stored ``secure:``.

    Raises whatever the program raises (a :class:`pulumi.RunError` for configuration errors),
    after the runtime has settled.
    """
    try:
        asyncio.get_event_loop()
    except RuntimeError:  # a caller's asyncio.run() left this thread without a current loop
        asyncio.set_event_loop(asyncio.new_event_loop())
    capture = _Capture()
    _ENGINE_LOG.addHandler(capture)
    monitor = RecordingMonitor(mocks_ or PlaceholderMocks())
    # As pulumi.runtime.test does: forget RPCs and outputs left over by an earlier (failed) evaluation.
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()
    settings.ROOT.set(None)
    pulumi.runtime.set_mocks(monitor.mocks, project=project, stack=stack, preview=preview, logger=_ENGINE_LOG, monitor=monitor)
    pulumi.runtime.set_all_config(dict(config or {}), list(secret_keys))
    try:
        _sync_await(run_pulumi_func(program))
        root = settings.get_root_resource()
        exported: dict[str, Any] = dict(getattr(root, "outputs", {}) or {})
        outputs: dict[str, Any] = {}
        secret: set[str] = set()
        for key, value in exported.items():
            output = pulumi.Output.from_input(value)
            outputs[key] = _sync_await(output.future())
            if _sync_await(output.is_secret()):
                secret.add(key)
    finally:
        pulumi.runtime.set_all_config({}, [])
        _ENGINE_LOG.removeHandler(capture)
    return Evaluation(monitor.registrations, outputs, secret, capture.warnings, capture.errors)


def run_program_file(path: str | os.PathLike[str]) -> Callable[[], None]:
    """A callable that runs a Pulumi program file (``__main__.py``) as the language host would: as ``__main__``,
    with its directory first on ``sys.path`` (so it imports its own modules)."""
    path = Path(path)

    def program() -> None:
        directory = str(path.resolve().parent)
        sys.path.insert(0, directory)
        try:
            runpy.run_path(str(path), run_name="__main__")
        finally:
            sys.path.remove(directory)

    return program


def exported_names() -> set[str]:
    """The names the running program has exported so far (``pulumi.export``); call it from inside the program."""
    return set(getattr(settings.get_root_resource(), "outputs", None) or {})
