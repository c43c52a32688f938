"""The offline plan: evaluate the real program on a stack file and describe what it declares.

Data only (no printing): :func:`plan_stack` returns a :class:`StackPlan`; :mod:`.render` renders it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi.runtime import rpc

from ..attribution import (
    MAX_DOCUMENT_BYTES,
    AttributionDocument,
    AttributionFormatError,
    CustomerUsageAttribution,
    LighthouseEntry,
    check_bounds,
)
from ..json_files import JsonFileError, read_json_file
from ..lighthouse.naming import COMPONENT_TYPE as LIGHTHOUSE_TYPE
from ..lighthouse.naming import DEFINITION_REPLACED_WHEN
from ..naming import COMPONENT_TYPE, PAL_LINK_TYPE
from ..naming import LINK_FEDERATED_CREDENTIAL_DISPLAY_NAME as LINK_FIC
from ..workloads import PRODUCTS
from .engine import SECRET_DISPLAY, Evaluation, PlaceholderMocks, RegisteredResource, evaluate, run_program_file
from .stack_file import StackFileError, read_stack_config, secure_keys

APPLICATION_TYPE = "azuread:index/application:Application"
SERVICE_PRINCIPAL_TYPE = "azuread:index/servicePrincipal:ServicePrincipal"
PASSWORD_TYPE = "azuread:index/applicationPassword:ApplicationPassword"
FEDERATED_CREDENTIAL_TYPE = "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
DEFINITION_TYPE = "azure-native:managedservices:RegistrationDefinition"
ASSIGNMENT_TYPE = "azure-native:managedservices:RegistrationAssignment"
ROLE_ASSIGNMENT_TYPE = "azure-native:authorization:RoleAssignment"


@dataclass
class StackPlan:
    """What one stack file would declare, or why it can't."""

    source: str
    principals: list[dict[str, Any]] = field(default_factory=list)
    resources: list[dict[str, Any]] = field(default_factory=list)
    """Every declared resource: type, name, parent and its inputs (secrets as ``[secret]``)."""
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lighthouse: list[dict[str, Any]] = field(default_factory=list)
    """Azure Lighthouse delegations: per delegation its scopes, authorizations and who earns the credit."""
    managing_stack: dict[str, Any] | None = None
    """The managing stack the delegations name, and where its outputs came from (a file, or placeholders)."""
    attribution_models: dict[str, Any] = field(default_factory=dict)
    """How each part of the stack is attributed: PAL per principal, the CUA ID the providers send, non-Azure
    workloads (docs/attribution-models.md)."""
    planned_attribution: dict[str, Any] | None = None
    """The ``attribution`` output the stack would have after ``pulumi up`` as far as a plan can know it: IDs that Entra
    and Azure assign are :data:`UNKNOWN_DISPLAY`, and each link's state is ``Planned`` (none is live). None when
    the configuration has errors."""

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "ok": self.ok,
            "principals": self.principals,
            "resources": self.resources,
            "warnings": self.warnings,
            "errors": self.errors,
            "lighthouse": self.lighthouse,
            "managingStack": self.managing_stack,
            "attributionModels": self.attribution_models,
        }


def _principals(evaluation: Evaluation, document: AttributionDocument) -> list[dict[str, Any]]:
    children: dict[str, list[RegisteredResource]] = defaultdict(list)
    for resource in evaluation.resources:
        children[resource.parent].append(resource)
    component_urn = {r.name: r.urn for r in evaluation.resources if r.type == COMPONENT_TYPE}
    principals = []
    for entry in document.principals:
        own = children.get(component_urn.get(entry.name, ""), [])

        def named(type_: str, own: list[RegisteredResource] = own) -> str | None:
            return next((r.name for r in own if r.type == type_), None)

        link = next((r for r in own if r.type == PAL_LINK_TYPE), None)
        federated = link is not None and link.plain_input("credentialType") == "federated"
        link_fic = next(
            (r for r in own if r.type == FEDERATED_CREDENTIAL_TYPE and r.plain_input("displayName") == LINK_FIC), None
        )

        principals.append(
            {
                "name": entry.name,
                "resources": {
                    "application": named(APPLICATION_TYPE),
                    "servicePrincipal": named(SERVICE_PRINCIPAL_TYPE),
                    "password": named(PASSWORD_TYPE),
                    "partnerLink": named(PAL_LINK_TYPE),
                },
                "displayName": entry.display_name,
                "partnerId": entry.configured_partner_id,
                "palEligible": entry.pal_eligible,
                "credentialEndDate": entry.credential_end_date,
                "linkCredential": entry.link_credential,
                "linkFederation": (
                    {
                        "issuer": link.plain_input("trustedIssuer"),
                        "subject": link.plain_input("trustedSubject"),
                        "audience": link.plain_input("tokenAudience"),
                        "federatedCredential": link_fic.name if link_fic is not None else None,
                    }
                    if federated and link is not None
                    else None
                ),
                "existingApplication": named(APPLICATION_TYPE) is None,
                "federatedCredentials": [
                    str(r.plain_input("displayName")) for r in own if r.type == FEDERATED_CREDENTIAL_TYPE and r is not link_fic
                ],
                "roleAssignments": [
                    {**role.to_json(), **_adoption(role.scope, role.role_definition_id, own, link, named(APPLICATION_TYPE))}
                    for role in entry.roles
                ],
                "attribution": principal_attribution(entry.roles),
            }
        )
    return principals


def adopt_instruction(client_id: str, role_definition_id: str, scope: str) -> str:
    """What to set when an existing principal may already hold a role: ARM refuses a second assignment of the same
    role to the same principal at the same scope (409 RoleAssignmentExists), whatever its name."""
    guid = role_definition_id.rsplit("/", 1)[-1]
    return (
        f"if {client_id} already holds this role here, pulumi up fails with 409 RoleAssignmentExists: set "
        f"existingAssignment of this role to the ID that az role assignment list --assignee {client_id} --role {guid} "
        f'--scope {scope} --query "[].id" -o tsv prints, and the stack adopts it (as pulumi import does) and leaves it '
        "on destroy"
    )


def _adoption(
    scope: str, role_definition_id: str, own: list[RegisteredResource], link: RegisteredResource | None, application: str | None
) -> dict[str, Any]:
    """For an existing principal's role: the assignment it adopts, or what to set if it holds the role already."""
    if application is not None:
        return {}  # the stack creates this principal: nobody can hold a role for it before
    declared = next(
        (
            r
            for r in own
            if r.type == ROLE_ASSIGNMENT_TYPE
            and str(r.plain_input("scope")).lower() == scope.lower()
            and str(r.plain_input("roleDefinitionId")).lower() == role_definition_id.lower()
        ),
        None,
    )
    if declared is not None and declared.import_id:
        return {"adopts": declared.import_id}
    client_id = str(link.plain_input("clientId")) if link is not None else "<client ID>"
    return {"ifItExists": adopt_instruction(client_id, role_definition_id, scope)}


PAL_THROUGH_ROLES = "PAL through its roles"
DELEGATED_ONLY = "no role in its own tenant: it earns credit through Lighthouse delegations, see docs/lighthouse.md"


def principal_attribution(roles: tuple[Any, ...]) -> str:
    """How a principal's work is attributed to the partner, in the plan's words."""
    return PAL_THROUGH_ROLES if roles else DELEGATED_ONLY


UNKNOWN_DISPLAY = "[unknown]"
"""How the plan shows a value known only once deployed (Pulumi's preview shows it as unknown too)."""


def with_unknowns(value: Any, made_up: set[str]) -> Any:
    """``value`` with every string the mock engine made up (:attr:`PlaceholderMocks.placeholders`) shown as unknown."""
    if isinstance(value, str):
        return UNKNOWN_DISPLAY if value in made_up else value
    if isinstance(value, dict):
        return {key: with_unknowns(item, made_up) for key, item in value.items()}
    if isinstance(value, list):
        return [with_unknowns(item, made_up) for item in value]
    return value


def masked(value: Any) -> Any:
    """An input as a reviewer may see it: Pulumi secrets as ``[secret]`` (as the CLI shows them), unknown values as
    ``[unknown]``, everything else unwrapped; keys the engine reserves (``__provider``: a dynamic provider's code) left
    out. Keys are sorted: the engine's maps have no order of their own, and the plan goes into pull requests."""
    if rpc.is_rpc_secret(value):
        return SECRET_DISPLAY
    if value == rpc.UNKNOWN:
        return UNKNOWN_DISPLAY
    if isinstance(value, dict):
        return {key: masked(value[key]) for key in sorted(value, key=str) if not str(key).startswith("__")}
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value


def _credit_text(entry: LighthouseEntry) -> str:
    if not entry.credited:
        return "no authorization earns partner credit"
    return "; ".join(
        f"{a.principal_name or a.display_name} ({a.principal_id}) as {a.role}, link {_link_text(a.link_state, a.linked)}"
        for a in entry.credited
    )


def _link_text(state: str, linked: bool | None) -> str:
    if linked is None:
        return "state unknown"
    return f"{state}, live" if linked else f"{state}, not live"


def _lighthouse(document: AttributionDocument, evaluation: Evaluation) -> list[dict[str, Any]]:
    children: dict[str, list[RegisteredResource]] = defaultdict(list)
    for resource in evaluation.resources:
        children[resource.parent].append(resource)
    component_urn = {r.name: r.urn for r in evaluation.resources if r.type == LIGHTHOUSE_TYPE}
    out = []
    for entry in document.lighthouse:
        own = children.get(component_urn.get(entry.name, ""), [])
        by_scope = {str(r.plain_input("scope")).lower(): r.name for r in own if r.type == ASSIGNMENT_TYPE}
        definitions = {str(r.plain_input("scope")).lower(): r.name for r in own if r.type == DEFINITION_TYPE}
        out.append(
            {
                **entry.to_json(),
                "creditedBy": _credit_text(entry),
                "replacedWhen": DEFINITION_REPLACED_WHEN,
                "delegatedScopes": [
                    {
                        "scope": scope,
                        "assignment": by_scope.get(scope.lower()),
                        "definition": definitions.get("/".join(scope.split("/")[:3]).lower()),
                        "earnsCreditFor": [
                            {
                                "principal": a.principal_name or a.display_name,
                                "principalId": a.principal_id,
                                "role": a.role,
                                "linkState": a.link_state,
                                "linkLive": a.linked,
                            }
                            for a in entry.credited
                        ],
                    }
                    for scope in entry.scopes
                ],
            }
        )
    return out


def cua_summary(cua: CustomerUsageAttribution | None) -> str:
    """Which Customer Usage Attribution ID the providers send, and how to send the partner's own."""
    if cua is None:
        return (
            "unknown: the attribution document does not say (written by partner-attribution 0.1, or built without "
            "partner_attribution.attribution_output)"
        )
    parts = []
    for provider in cua.providers:
        if provider.source == "pulumi-default":
            parts.append(f"{provider.provider} sends Pulumi's ID {provider.sends}")
        elif provider.source == "terraform-default":
            parts.append(f"{provider.provider} sends Terraform's {provider.sends}")
        elif provider.source == "disabled":
            parts.append(f"{provider.provider} sends none (its default is disabled)")
        elif provider.source == "provider-config":
            parts.append(f"{provider.provider} sends its own partnerId {provider.sends}")
        else:
            parts.append(f"{provider.provider} sends yours, {provider.sends}")
    if cua.partner_id is not None:
        return f"cuaPartnerId {cua.partner_id}: " + ", ".join(parts) + " (explicit providers, docs/attribution-models.md)"
    return (
        "no cuaPartnerId: "
        + ", ".join(parts)
        + "; to send yours, `pulumi config set partner-attribution:cuaPartnerId <GUID>` (opt-in: adds explicit "
        "providers, see docs/attribution-models.md); in a program of your own, give your providers partner_id and "
        "attribution_output cua_partner_id"
    )


def _attribution_models(document: AttributionDocument) -> dict[str, Any]:
    workloads = []
    for workload in document.non_azure_workloads:
        product = PRODUCTS.get(workload.product)
        if product is not None and product.needs_principal:
            how = (
                f"attributed through {workload.principal}'s PAL link"
                if workload.principal
                else "attributed through a PAL link, but names no principal: add principal: <name>"
            )
        else:
            how = "manual CPOR claim" if product is not None else "manual claim"
        workloads.append(
            {"name": workload.name, "product": product.display_name if product else workload.product, "attribution": how}
        )
    cua = document.customer_usage_attribution
    return {
        "principals": [{"name": p.name, "attribution": principal_attribution(p.roles)} for p in document.principals],
        "customerUsageAttribution": {
            **(cua.to_json() if cua is not None else {"partnerId": None, "providers": []}),
            "summary": cua_summary(cua),
        },
        "nonAzureWorkloads": workloads,
    }


def _managing_stack(config: dict[str, str], outputs: Path | None) -> dict[str, Any] | None:
    name = config.get("partner-attribution:managingStack")
    if name is None:
        return None
    if outputs is not None:
        return {"name": name, "outputs": str(outputs), "resolved": True}
    return {
        "name": name,
        "outputs": None,
        "resolved": False,
        "note": f"no output of {name} given: its principals' object IDs are placeholders and their link state is unknown; "
        "give pulumi stack output --json of it with --managing-stack-output FILE",
    }


def read_stack_outputs(path: Path) -> dict[str, Any]:
    """``pulumi stack output --json`` of a managing stack, read from ``path``; its ``attribution`` must parse."""
    try:
        document = read_json_file(path, MAX_DOCUMENT_BYTES)
    except JsonFileError as exc:
        raise ManagingStackOutputError(str(exc)) from None
    if not isinstance(document, dict) or "attribution" not in document:
        raise ManagingStackOutputError(
            f"{path}: expected the output of 'pulumi stack output --json' of the managing stack, with an 'attribution' value"
        )
    try:
        check_bounds(document["attribution"], "attribution")
        AttributionDocument.from_json(document["attribution"])
    except AttributionFormatError as exc:
        raise ManagingStackOutputError(f"{path}: {exc}") from None
    return document


class ManagingStackOutputError(ValueError):
    """The managing stack's output file is not ``pulumi stack output --json`` with an ``attribution`` value."""


ATTRIBUTION_OUTPUT = "attribution"
"""The stack output ``report``, ``verify`` and ``plan`` read."""
DERIVED_ATTRIBUTION_OUTPUT = "__partner_attribution_plan"
"""Where the plan puts the attribution document it builds itself, for a program that exports none."""
DEFAULT_PROJECT = "partner-attribution"


def project_name(program_path: Path) -> str:
    """The Pulumi project's name (``name`` in the ``Pulumi.yaml`` beside the program): the namespace of
    ``pulumi.Config()`` and part of every URN. The bundled project's when there is none."""
    import yaml

    project_file = program_path.resolve().parent / "Pulumi.yaml"
    try:
        settings = yaml.load(project_file.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return DEFAULT_PROJECT
    name = settings.get("name") if isinstance(settings, dict) else None
    return name if isinstance(name, str) and name else DEFAULT_PROJECT


def program_file(program: Path) -> Path:
    """The program's file: ``program`` itself, or for a project directory its ``Pulumi.yaml``'s ``main`` (a file, or a
    directory holding ``__main__.py``), else its ``__main__.py``."""
    if not program.is_dir():
        return program
    import yaml

    main: Any = None
    try:
        settings = yaml.load((program / "Pulumi.yaml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        main = settings.get("main") if isinstance(settings, dict) else None
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        pass
    entry = program / main if isinstance(main, str) and main else program
    return entry / "__main__.py" if entry.is_dir() else entry


def stack_name(config_path: Path) -> str:
    """The stack a ``Pulumi.<stack>.yaml`` file configures (``pulumi.get_stack()`` in the program); ``dev`` for a
    file named otherwise."""
    name = config_path.name
    if name.startswith("Pulumi.") and name.endswith((".yaml", ".yml")) and name.count(".") >= 2:
        return name[len("Pulumi.") : name.rindex(".")]
    return "dev"


def _with_derived_attribution(program: Callable[[], None]) -> Callable[[], None]:
    """``program``, and when it exports no ``attribution`` output, the document :func:`attribution_output` would make
    of the ``DeliveryPrincipal`` components it declares (found through a stack transformation, the SDK's public hook
    that sees every resource object), under :data:`DERIVED_ATTRIBUTION_OUTPUT`."""
    import pulumi

    from ..component import DeliveryPrincipal
    from ..stack_outputs import attribution_output
    from .engine import exported_names

    def run() -> None:
        declared: list[DeliveryPrincipal] = []

        def remember(args: pulumi.ResourceTransformationArgs) -> None:
            if isinstance(args.resource, DeliveryPrincipal):
                declared.append(args.resource)

        pulumi.runtime.register_stack_transformation(remember)
        program()
        if declared and ATTRIBUTION_OUTPUT not in exported_names():
            pulumi.export(DERIVED_ATTRIBUTION_OUTPUT, attribution_output(declared, partner_id=declared[0].spec.partner_id))

    return run


def no_attribution_output_warning(principals: Sequence[str]) -> str:
    """What the plan says of a program that declares principals but exports no ``attribution`` output."""
    return (
        f"the program declares DeliveryPrincipal {', '.join(principals)} but exports no 'attribution' output: "
        "partner-attribution report and verify read it from pulumi stack output --json. Add "
        'pulumi.export("attribution", attribution_output([...])) (from partner_attribution import attribution_output; '
        "docs/component-reference.md). The plan shows what that output would hold"
    )


def plan_stack(config_path: Path, program_path: Path, managing_stack_output: Path | None = None) -> StackPlan:
    """Evaluate ``program_path`` (a program file, or a project directory) with the stack file ``config_path``, as the
    project and stack they belong to; never raises for bad config.

    A ``pulumi.StackReference`` to the managing stack reads ``managing_stack_output`` (``pulumi stack output --json``
    of that stack, already checked with :func:`read_stack_outputs`) when given, else placeholders. A program that
    exports no ``attribution`` output (a partner's own program) is shown from the ``DeliveryPrincipal`` components it
    declares, with a warning."""
    from ..config import ConfigurationError
    from ..lighthouse.stack_config import referenced_principals

    plan = StackPlan(source=str(config_path))
    try:
        config = read_stack_config(config_path)
    except StackFileError as exc:
        plan.errors.append(str(exc))
        return plan
    outputs = read_stack_outputs(managing_stack_output) if managing_stack_output is not None else None
    mocks = PlaceholderMocks(outputs, referenced_principals(config))
    plan.managing_stack = _managing_stack(config, managing_stack_output)
    program = program_file(program_path)
    try:
        evaluation = evaluate(
            _with_derived_attribution(run_program_file(program)),
            config,
            project=project_name(program),
            stack=stack_name(config_path),
            mocks_=mocks,
            secret_keys=secure_keys(config),
        )
    except ConfigurationError as exc:
        plan.errors.extend(exc.problems)
        return plan
    except Exception as exc:  # noqa: BLE001 - a program error is reported as the plan's result
        plan.errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        return plan
    exported = evaluation.outputs.get(ATTRIBUTION_OUTPUT)
    derived = evaluation.outputs.get(DERIVED_ATTRIBUTION_OUTPUT)
    source = exported if exported is not None else derived
    document = AttributionDocument.from_json(source or {"principals": []})
    warnings = list(evaluation.warnings)
    if exported is None and derived is not None:
        warnings.append(no_attribution_output_warning([p.name for p in document.principals]))
    # Sorted: the program's outputs resolve concurrently, so the order the engine logs them in varies from run to run.
    plan.warnings = sorted(warnings)
    plan.errors = sorted(evaluation.errors)
    plan.principals = _principals(evaluation, document)
    plan.resources = [
        {"type": r.type, "name": r.name, "parent": r.parent.split("::")[-1] if r.parent else "", "inputs": masked(r.inputs)}
        for r in sorted(evaluation.resources, key=lambda r: (r.parent, r.name))
    ]
    if source is not None and not plan.errors:
        plan.planned_attribution = with_unknowns(source, mocks.placeholders)
    plan.lighthouse = _lighthouse(document, evaluation)
    plan.attribution_models = _attribution_models(document)
    return plan
