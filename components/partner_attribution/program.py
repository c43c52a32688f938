"""The bundled Pulumi program: one DeliveryPrincipal per configured principal, one LighthouseDelegation per
configured delegation.

``__main__.py`` at the project root calls :func:`main`. Stack outputs (schemas in :mod:`.attribution`):

* ``attribution``: the attribution document (no secret; input of ``partner-attribution report``);
* ``linkCredentials``: per principal, tenant, client ID and secret (a Pulumi secret; input of
  ``partner-attribution verify``).

**Azure Lighthouse (a customer's stack).** With ``partner-attribution:lighthouse`` the program declares one
``LighthouseDelegation`` per entry. With ``managingStack`` it reads the managing stack's ``attribution`` output through
a ``pulumi.StackReference`` (named by that stack: ``org/project/stack``): ``principal: <name>`` becomes that principal's
object ID, and the ``attribution`` output's Lighthouse view says, per delegated scope, which linked principal earns
the credit and its link state (docs/lighthouse.md).

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
import sys
from collections.abc import Sequence
from functools import partial
from typing import Any

import pulumi

from .attribution import (
    AttributionDocument,
    AttributionFormatError,
    LighthouseEntry,
    PrincipalEntry,
    attribution_output,
    check_bounds,
    lighthouse_entry,
    link_credentials_output,
)
from .azure_ids import GUID_PATTERN
from .component import DeliveryPrincipal
from .config import ConfigurationError, StackConfig, load_stack_config, read_pulumi_config
from .lighthouse.args import StackPrincipalReference
from .lighthouse.component import LighthouseDelegation
from .lighthouse.spec import DelegationSpec, bind_principals, references
from .visible import visible

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


def _whole_numbers(value: Any) -> Any:
    """A stack reference's value with whole floats as ints: outputs cross the engine as protobuf ``Struct`` values,
    whose numbers are all doubles (the attribution document's ``version`` arrives as ``1.0``)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _whole_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(item) for item in value]
    return value


def managing_attribution(managing_stack: str) -> pulumi.Output[AttributionDocument]:
    """The managing stack's ``attribution`` output, read through a ``pulumi.StackReference`` and parsed; a stack
    output that is not an attribution document stops the program with a message naming the stack."""
    reference = pulumi.StackReference(managing_stack)

    def parse(value: Any) -> AttributionDocument:
        if value is None:
            raise ConfigurationError(
                [
                    f"managingStack: {managing_stack} has no 'attribution' output; deploy the managing stack first "
                    "(docs/lighthouse.md: the managing tenant's stack runs before the customers')"
                ]
            )
        try:
            check_bounds(value, "attribution")
            return AttributionDocument.from_json(_whole_numbers(value))
        except AttributionFormatError as exc:
            raise ConfigurationError([f"managingStack: {managing_stack}'s attribution output: {exc}"]) from None

    return reference.get_output("attribution").apply(parse)


def _object_id(
    managing: pulumi.Output[AttributionDocument], managing_stack: str, delegation: DelegationSpec, name: str
) -> pulumi.Output[str]:
    def find(document: AttributionDocument) -> str:
        for principal in document.principals:
            if principal.name == name:
                problem = managing_principal_problem(principal, delegation.managing_tenant_id)
                if problem is not None:
                    raise ConfigurationError(
                        [f"lighthouse: {delegation.name}: principal {name!r} of the managing stack {managing_stack} {problem}"]
                    )
                return principal.object_id
        known = ", ".join(p.name for p in document.principals) or "none"
        raise ConfigurationError(
            [
                f"lighthouse: {delegation.name}: principal {name!r} is not a principal of the managing stack "
                f"{managing_stack} (its principals: {known}); name one of them, or give principalId"
            ]
        )

    return managing.apply(find)


def managing_principal_problem(principal: PrincipalEntry, managing_tenant_id: str) -> str | None:
    """What makes a principal read from the managing stack's output unusable in an authorization, or None: its
    object ID must be a GUID (never ``principalId: ""``), and it must live in the managing tenant, the only tenant
    whose principals Azure Lighthouse authorizes (TUR)."""
    if not GUID_PATTERN.match(principal.object_id):
        shown = visible(principal.object_id) if principal.object_id else "missing"
        return (
            f"has no usable object ID ({shown}, not a GUID); run pulumi up in the managing stack so its attribution "
            "output names the principal's object ID, or give principalId"
        )
    if principal.tenant_id and principal.tenant_id.lower() != managing_tenant_id.lower():
        return (
            f"lives in tenant {principal.tenant_id}, not in the managing tenant {managing_tenant_id}; Azure Lighthouse "
            "authorizes principals of the managing tenant only (TUR): fix managingTenantId or managingStack"
        )
    return None


def _bound(ids: dict[str, pulumi.Output[str]], reference: StackPrincipalReference) -> pulumi.Output[str]:
    return ids[reference.name]


def declare_delegations(
    config: StackConfig,
    managing: pulumi.Output[AttributionDocument] | None,
    providers: Sequence[pulumi.ProviderResource] = (),
) -> dict[str, LighthouseDelegation]:
    """One ``LighthouseDelegation`` per ``lighthouse`` entry, its managing stack's principals bound to their object
    IDs (read through ``managing``); ``providers`` (when given) manage every child."""
    opts = pulumi.ResourceOptions(providers=list(providers)) if providers else None
    declared = {}
    for spec in config.lighthouse:
        ids: dict[str, pulumi.Output[str]] = {}
        if managing is not None and config.managing_stack is not None:
            ids = {r.name: _object_id(managing, config.managing_stack, spec, r.name) for r in references(spec)}
        declared[spec.name] = LighthouseDelegation(spec.name, bind_principals(spec, partial(_bound, ids)), opts)
    return declared


def lighthouse_view(
    config: StackConfig,
    delegations: dict[str, LighthouseDelegation],
    managing: pulumi.Output[AttributionDocument] | None,
) -> pulumi.Output[list[LighthouseEntry]] | None:
    """The attribution document's Lighthouse view: per delegation, its authorizations with the managing stack's
    word on each principal (name, link state)."""
    if not config.lighthouse:
        return None
    ids = [a.principal_id for d in delegations.values() for a in d.spec.every_authorization]

    def build(values: list[Any]) -> list[LighthouseEntry]:
        document, resolved = values[0], values[1:]
        entries, offset = [], 0
        for spec in config.lighthouse:
            count = len(spec.authorizations) + len(spec.eligible_authorizations)
            entries.append(lighthouse_entry(spec, resolved[offset : offset + count], document))
            offset += count
        return entries

    return pulumi.Output.all(managing, *ids).apply(build)


SHOWN_MESSAGE_EXIT_CODE_NAME = "PYTHON_PROCESS_EXITED_AFTER_SHOWING_USER_ACTIONABLE_MESSAGE_CODE"
"""What Pulumi's Python program runner (``pulumi-language-python-exec``) calls the exit code that means "the message
was shown to the user": its language host then adds nothing (``RunResponse.bail``)."""


def _shown_message_exit_code() -> int | None:
    """The runner's "message shown" exit code when this program runs under Pulumi's Python language host, else None.
    The runner is found on the stack: the function that runs the program file is defined in a module that declares
    the code (pulumi/pulumi ``sdk/python/cmd/pulumi-language-python-exec``)."""
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_globals.get(SHOWN_MESSAGE_EXIT_CODE_NAME)
        if isinstance(code, int) and not isinstance(code, bool):
            return code
        frame = frame.f_back  # type: ignore[assignment]
    return None


def run() -> None:
    """Entry point of the bundled program file (``__main__.py``): :func:`main`, with a configuration problem shown once.

    Under Pulumi's Python language host the runner prints a ``pulumi.RunError`` and exits 1, and the language host
    then adds "an unhandled error occurred: program exited with non-zero exit code: 1": two errors for one problem.
    Here the problem is logged once (``pulumi.log.error``) and the program exits with the runner's "message shown"
    code, after which nothing is added. The engine kit's inline programs (the engine tests, ``partner-attribution
    rehearse``) declare the same code (:mod:`partner_attribution.testing.inline_program`) and are answered the same
    way. Any other host (the mock engine, the offline plan, an Automation API program of your own) gets the
    :class:`~partner_attribution.config.ConfigurationError` itself; the SDK's own Automation API server both logs it
    and returns it as the run's error (``pulumi/automation/_server.py``, SDK 3.272.0), so the engine prints it twice.
    """
    try:
        main()
    except ConfigurationError as exc:
        shown = _shown_message_exit_code()
        if shown is None:
            raise
        pulumi.log.error(str(exc))
        raise SystemExit(shown) from None


def main() -> None:
    """The Pulumi program: configuration → resolved specs → components → outputs. Raises
    :class:`~partner_attribution.config.ConfigurationError` (a ``pulumi.RunError``) for a configuration problem."""
    config = load_stack_config(read_pulumi_config(), os.environ, is_secret=pulumi.runtime.is_config_secret)
    for warning in config.warnings:
        pulumi.log.warn(warning)
    providers = cua_providers(config)
    principals = declare_principals(config, providers)
    managing = managing_attribution(config.managing_stack) if config.managing_stack else None
    delegations = declare_delegations(config, managing, providers)
    partner_id: pulumi.Input[str] = config.partner_id
    if not partner_id and managing is not None:
        partner_id = managing.apply(lambda document: document.partner_id)
    pulumi.export(
        "attribution",
        attribution_output(
            partner_id,
            list(principals.values()),
            config.non_azure_workloads,
            config.customer_usage_attribution,
            lighthouse_view(config, delegations, managing),
            config.managing_stack,
        ),
    )
    pulumi.export("linkCredentials", link_credentials_output(principals))
