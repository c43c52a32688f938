"""The plugin's components, ``DeliveryPrincipal`` and ``LighthouseDelegation``, declared for a program in any
language (the engine's Construct).

A component's inputs are those of one entry of the stack configuration, in its camelCase: they are checked and
resolved by the same code as a Python stack's configuration (:func:`partner_attribution.config.load_stack_config`,
:func:`partner_attribution.lighthouse.stack_config.load_lighthouse`), so every rule and message is the same; a
problem is named by its input path (``roles[0].scope``). The components are the Python ones; the plugin's
``DeliveryPrincipal`` declares its link as the plugin's own custom resource (:mod:`.link`), since the Python dynamic
provider can't run for a program in another language (pulumi/pulumi#5455).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.output import Unknown
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import ConstructRequest, ConstructResponse

from ..component import DeliveryPrincipal
from ..config import NAMESPACE, ConfigurationError, load_stack_config
from ..lighthouse.component import LighthouseDelegation
from ..lighthouse.naming import COMPONENT_TYPE as LIGHTHOUSE_DELEGATION_TYPE
from ..lighthouse.stack_config import load_lighthouse
from ..naming import COMPONENT_TYPE as DELIVERY_PRINCIPAL_TYPE
from .link import PartnerAdminLink
from .values import UNKNOWN, plain_map, wire

STACK_WIDE_INPUTS = (
    "partnerId", "cloud", "linkTimeoutSeconds", "credentialExpiryWarningDays", "requireEligibleRole",
    "linkCredential", "linkFederation",
)  # fmt: skip
"""DeliveryPrincipal inputs that are stack-wide keys of the configuration; the rest are the principal's own."""
PRINCIPAL_INPUTS = (
    "displayName", "roles", "credential", "existingApplication", "federatedCredentials", "owners",
    "overwriteExistingLink",
)  # fmt: skip
"""DeliveryPrincipal inputs that are keys of a principal in the configuration."""


class ComponentInputsError(ValueError):
    """A component's inputs have problems; the message lists every one with its input path."""

    def __init__(self, kind: str, name: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{kind} {name!r} has invalid inputs:\n" + "\n".join(f"  - {p}" for p in problems))


class PluginDeliveryPrincipal(DeliveryPrincipal):
    """:class:`~partner_attribution.component.DeliveryPrincipal` whose link is the plugin's custom resource."""

    link_resource = PartnerAdminLink


def _whole_numbers(value: Any) -> Any:
    """The engine's numbers (doubles) as the integers the configuration has."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(v) for v in value]
    return value


def _unknown_paths(value: Any, path: str) -> list[str]:
    if value == UNKNOWN:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _unknown_paths(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _unknown_paths(v, f"{path}[{i}]")]
    return []


def _known_inputs(kind: str, name: str, inputs: Mapping[str, PropertyValue]) -> dict[str, Any]:
    values = _whole_numbers(plain_map(inputs))
    unknown = _unknown_paths(values, "")
    if unknown:
        raise ComponentInputsError(
            kind,
            name,
            [f"{p}: not known until another resource is deployed; give a value known when the program runs" for p in unknown],
        )
    return {k: v for k, v in values.items() if v is not None}


def _renamed(problems: list[str], prefix: str) -> list[str]:
    """Configuration paths (``principals[0].roles[0].scope``) as the component's input paths (``roles[0].scope``)."""
    pattern = re.compile(rf"(?<![\w.\[]){re.escape(prefix)}\.?")
    return [pattern.sub("", p, count=1) for p in problems]


def delivery_principal(name: str, inputs: Mapping[str, PropertyValue], opts: pulumi.ResourceOptions) -> PluginDeliveryPrincipal:
    """Resolve ``inputs`` as one principal of a stack's configuration and declare it (raises
    :class:`ComponentInputsError` listing every problem, before anything is declared)."""
    values = _known_inputs("DeliveryPrincipal", name, inputs)
    principal_name = values.pop("name", name)
    if principal_name != name:
        raise ComponentInputsError(
            "DeliveryPrincipal",
            name,
            [f"name: {principal_name!r} differs from the resource's name; leave it out or make them equal"],
        )
    unknown = sorted(set(values) - set(STACK_WIDE_INPUTS) - set(PRINCIPAL_INPUTS) - {"linkSecret"})
    if unknown:
        raise ComponentInputsError("DeliveryPrincipal", name, [f"{k}: not an input of DeliveryPrincipal" for k in unknown])
    entry = {"name": name, **{k: values[k] for k in PRINCIPAL_INPUTS if k in values}}
    raw = {f"{NAMESPACE}:{k}": values[k] for k in STACK_WIDE_INPUTS if k in values}
    raw[f"{NAMESPACE}:principals"] = json.dumps([entry])
    if "linkSecret" in values:
        raw[f"{NAMESPACE}:linkSecrets"] = json.dumps({name: values["linkSecret"]})
    try:
        config = load_stack_config({k: v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()})
    except ConfigurationError as exc:
        problems = [p.replace(f"linkSecrets.{name}", "linkSecret") for p in exc.problems]
        raise ComponentInputsError("DeliveryPrincipal", name, _renamed(problems, "principals[0]")) from None
    (spec,) = config.principals
    return PluginDeliveryPrincipal(name, spec, opts)


def lighthouse_delegation(name: str, inputs: Mapping[str, PropertyValue], opts: pulumi.ResourceOptions) -> LighthouseDelegation:
    """Resolve ``inputs`` as one entry of a stack's ``lighthouse`` configuration and declare it."""
    values = _known_inputs("LighthouseDelegation", name, inputs)
    cloud = values.pop("cloud", "public")
    if values.setdefault("name", name) != name:
        raise ComponentInputsError(
            "LighthouseDelegation",
            name,
            [f"name: {values['name']!r} differs from the resource's name; leave it out or make them equal"],
        )
    problems: list[str] = []
    specs = load_lighthouse([values], None, str(cloud), problems)
    if problems or not specs:
        raise ComponentInputsError("LighthouseDelegation", name, _renamed(problems, "lighthouse[0]"))
    return LighthouseDelegation(name, specs[0], opts)


DELIVERY_PRINCIPAL_OUTPUTS = {
    "clientId": "client_id", "objectId": "object_id", "tenantId": "tenant_id", "clientSecret": "client_secret",
    "credentialEndDate": "credential_end_date", "roleAssignmentIds": "role_assignment_ids", "partnerId": "partner_id",
    "linkState": "link_state", "palEligible": "pal_eligible",
}  # fmt: skip
"""The component's outputs (schema name → attribute)."""
LIGHTHOUSE_DELEGATION_OUTPUTS = {
    "definitionIds": "definition_ids", "assignmentIds": "assignment_ids", "authorizations": "authorizations",
    "creditedPrincipalIds": "credited_principal_ids", "earnsCredit": "earns_credit",
}  # fmt: skip


def _known_value(value: Any) -> Any:
    """A resolved output's value, with unknowns nested in it as the engine's marker."""
    if isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        return {k: _known_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_known_value(v) for v in value]
    return value


async def _state(
    component: pulumi.ComponentResource, outputs: Mapping[str, str]
) -> tuple[dict[str, PropertyValue], dict[str, set[str]]]:
    state: dict[str, PropertyValue] = {}
    dependencies: dict[str, set[str]] = {}
    for key, attribute in outputs.items():
        value = getattr(component, attribute, None)
        if value is None:
            continue
        output = pulumi.Output.from_input(value)
        known, secret, resolved = await output.is_known(), await output.is_secret(), await output.future()
        if known and resolved is None:
            continue
        state[key] = wire(_known_value(resolved) if known else UNKNOWN, secret)
        dependencies[key] = {str(await r.urn.future()) for r in await output.resources()}
    return state, dependencies


async def construct(request: ConstructRequest) -> ConstructResponse:
    """Declare the component the engine asked for; its outputs as the schema names them."""
    if request.resource_type == DELIVERY_PRINCIPAL_TYPE:
        component: pulumi.ComponentResource = delivery_principal(request.name, request.inputs, request.options)
        outputs = DELIVERY_PRINCIPAL_OUTPUTS
    elif request.resource_type == LIGHTHOUSE_DELEGATION_TYPE:
        component = lighthouse_delegation(request.name, request.inputs, request.options)
        outputs = LIGHTHOUSE_DELEGATION_OUTPUTS
    else:
        raise ValueError(f"partner-attribution has no component {request.resource_type!r}")
    state, dependencies = await _state(component, outputs)
    return ConstructResponse(urn=str(await component.urn.future()), state=state, state_dependencies=dependencies)
