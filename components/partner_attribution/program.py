"""The bundled Pulumi program: one DeliveryPrincipal per configured principal.

``__main__.py`` at the project root calls :func:`main`. Stack outputs (schemas in :mod:`.attribution`):

* ``attribution``: the attribution document (no secret; input of ``partner-attribution report``);
* ``linkCredentials``: per principal, tenant, client ID and secret (a Pulumi secret; input of
  ``partner-attribution verify``).

**Customer Usage Attribution (opt-in).** When ``partner-attribution:cuaPartnerId`` is set, the program declares
explicit ``azure-native`` and ``azuread`` providers with ``partnerId`` set to it and the stack's other provider
settings copied over (an explicit provider does not read the stack's ``azure-native:*`` configuration: the SDK's
``Provider`` passes only its arguments), and hands them to every component. Without ``cuaPartnerId`` nothing
changes: no provider is declared, and every resource keeps its default provider (``tests/test_upgrade.py``).

Moving existing resources to an explicit provider is not a replacement on Pulumi CLI 3.151.0 or newer: the engine
asks the provider's ``DiffConfig`` (pulumi/pulumi#18509, CHANGELOG 3.151.0, 2025-02-21); azure-native's
``DiffConfig`` never asks for one (pulumi-azure-native ``provider/pkg/provider/provider.go`` @ 6d9e7fe5), and
the bridge's asks only for settings marked ``ForcesProviderReplace`` (pulumi/pulumi-terraform-bridge#1683), of
which pulumi-azuread marks none (``provider/resources.go`` @ b830e040). Older CLIs replace every resource: see
docs/attribution-models.md before turning it on for an existing stack.
"""

from __future__ import annotations

import inspect
import json
import os
import re
from collections.abc import Sequence
from typing import Any

import pulumi

from .attribution import attribution_output, link_credentials_output
from .component import DeliveryPrincipal
from .config import StackConfig, load_stack_config, read_pulumi_config

CUA_PROVIDER_NAMES = {"azure-native": "partner-attribution-cua-azure-native", "azuread": "partner-attribution-cua-azuread"}
"""Names of the explicit providers declared when ``cuaPartnerId`` is set (part of their URNs: never rename)."""

_PLAIN_SETTINGS = frozenset(
    {"environment", "location", "subscriptionId", "tenantId", "metadataHost", "msiEndpoint", "useOidc", "useMsi",
     "useCli", "useDefaultAzureCredential", "useAksWorkloadIdentity", "disableInstanceDiscovery",
     "auxiliaryTenantIds", "clientCertificatePath", "oidcTokenFilePath", "oidcRequestUrl", "clientIdFilePath",
     "clientSecretFilePath", "adoPipelineServiceConnectionId"}
)  # fmt: skip
"""Provider settings copied as plain values; every other copied setting (secrets, tokens, passwords, client IDs)
is copied as a Pulumi secret, so nothing the stack keeps encrypted lands in the state in clear."""
_NOT_COPIED = frozenset({"partnerId", "disablePulumiPartnerId", "disableTerraformPartnerId", "environment"})
"""Set by the program itself: ``partnerId`` from cuaPartnerId, ``environment`` from the stack's ``cloud``."""
_ENVIRONMENT = {
    "azure-native": {"public": "public", "usgovernment": "usgovernment", "china": "china"},
    "azuread": {"public": "public", "usgovernment": "usgovernment", "china": "china"},
}


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)


def provider_settings(namespace: str, args_type: type) -> dict[str, Any]:
    """The stack's settings of a provider (``pulumi config set <namespace>:<key>``) as keyword arguments of its
    ``Provider``: one per parameter of ``args_type`` (the SDK's ``ProviderArgs``) that the stack sets."""
    config = pulumi.Config(namespace)
    settings: dict[str, Any] = {}
    for name, parameter in inspect.signature(args_type).parameters.items():
        key = _camel(name)
        if parameter.kind is not inspect.Parameter.KEYWORD_ONLY or key in _NOT_COPIED:
            continue
        text = config.get(key)
        if text is None:
            continue
        annotation = str(parameter.annotation)
        value: Any = text
        if re.search(r"\bbool\b", annotation):
            value = text.lower() == "true"
        elif "Sequence" in annotation:
            value = json.loads(text)
        settings[name] = value if key in _PLAIN_SETTINGS else pulumi.Output.secret(value)
    return settings


def cua_providers(config: StackConfig) -> list[pulumi.ProviderResource]:
    """The explicit providers that send ``cuaPartnerId``, or none when it is not set (then nothing changes)."""
    if config.cua_partner_id is None:
        return []
    import pulumi_azure_native as azure_native
    import pulumi_azuread as azuread

    return [
        azure_native.Provider(
            CUA_PROVIDER_NAMES["azure-native"],
            **provider_settings("azure-native", azure_native.ProviderArgs),
            environment=_ENVIRONMENT["azure-native"][config.cloud],
            partner_id=config.cua_partner_id,
        ),
        azuread.Provider(
            CUA_PROVIDER_NAMES["azuread"],
            **provider_settings("azuread", azuread.ProviderArgs),
            environment=_ENVIRONMENT["azuread"][config.cloud],
            partner_id=config.cua_partner_id,
        ),
    ]


def declare_principals(config: StackConfig, providers: Sequence[pulumi.ProviderResource] = ()) -> dict[str, DeliveryPrincipal]:
    """Declare the stack's resources from a validated configuration; ``providers`` (when given) manage every
    child of every principal."""
    opts = pulumi.ResourceOptions(providers=list(providers)) if providers else None
    return {spec.name: DeliveryPrincipal(spec.name, spec, opts) for spec in config.principals}


def main() -> None:
    """Entry point of the Pulumi program: configuration → resolved specs → components → outputs."""
    config = load_stack_config(read_pulumi_config(), os.environ)
    for warning in config.warnings:
        pulumi.log.warn(warning)
    principals = declare_principals(config, cua_providers(config))
    pulumi.export(
        "attribution",
        attribution_output(
            config.partner_id, list(principals.values()), config.non_azure_workloads, config.customer_usage_attribution
        ),
    )
    pulumi.export("linkCredentials", link_credentials_output(principals))
