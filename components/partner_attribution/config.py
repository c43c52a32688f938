"""Stack configuration: read the ``partner-attribution`` namespace, check its shape, resolve each principal.

The flow is one way: raw Pulumi config (strings and JSON strings, as the engine hands them to a
program) → :func:`load_stack_config` → :class:`StackConfig` of resolved
:class:`~partner_attribution.spec.PrincipalSpec`. This module checks only the *shape* of the
configuration (keys, types); every rule on values is in :mod:`.spec` and :mod:`.validators`, the same
ones the component applies. Every problem is collected and reported at once, each with its path in
config-key terms (``principals[1].roles[0].scope``), before any resource is declared.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from .args import (
    GITHUB_ACTIONS_AUDIENCE,
    DeliveryPrincipalArgs,
    ExistingApplicationArgs,
    FederatedCredentialArgs,
    LinkFederationArgs,
    RoleAssignmentArgs,
)
from .attribution import CustomerUsageAttribution, ProviderAttribution, WorkloadEntry
from .config_shape import Field, check_mapping, first_use
from .lighthouse.spec import DelegationSpec
from .lighthouse.stack_config import check_managing_stack, load_lighthouse
from .spec import PrincipalSpec, resolve_principal
from .validators import (
    PULUMI_PARTNER_ID,
    TERRAFORM_PARTNER_ID,
    check_cloud,
    check_cua_partner_id,
    check_expiry_warning_days,
    check_link_credential,
    check_link_timeout,
    check_partner_id,
)
from .workloads import PRODUCTS

NAMESPACE = "partner-attribution"

# Python argument name -> configuration key, used to render paths and messages.
CONFIG_KEYS = {
    "partner_id": "partnerId",
    "role_assignments": "roles",
    "credential_rotated_on": "credential.rotatedOn",
    "credential_lifetime_days": "credential.lifetimeDays",
    "federated_credentials": "federatedCredentials",
    "display_name": "displayName",
    "condition_version": "conditionVersion",
    "acknowledge_privileged": "acknowledgePrivileged",
    "require_eligible_role": "requireEligibleRole",
    "overwrite_existing_link": "overwriteExistingLink",
    "link_timeout_seconds": "linkTimeoutSeconds",
    "credential_expiry_warning_days": "credentialExpiryWarningDays",
    "link_credential": "linkCredential",
    "existing_assignment": "existingAssignment",
    "link_federation": "linkFederation",
    "existing_application": "existingApplication",
    "client_id": "clientId",
    "object_id": "objectId",
    "link_client_secret": "linkSecrets",
}
INHERITED = {
    "partner_id",
    "cloud",
    "link_timeout_seconds",
    "credential_expiry_warning_days",
    "require_eligible_role",
    "link_credential",
    "link_federation",
}
"""Principal arguments set from stack-wide keys: their problems are reported once, at the stack-wide key."""


_TOP_LEVEL: dict[str, Field] = {
    "partnerId": Field(str, describe="the numeric Associated Partner ID"),
    "principals": Field(list, describe="a list of delivery principals"),
    "requireEligibleRole": Field(bool, describe="true or false"),
    "cloud": Field(str, describe="public, usgovernment or china"),
    "linkTimeoutSeconds": Field(int, describe="a whole number of seconds"),
    "credentialExpiryWarningDays": Field(int, describe="a whole number of days"),
    "nonAzureWorkloads": Field(list, describe="a list of {name, product}"),
    "linkCredential": Field(str, describe="password or federated"),
    "linkFederation": Field(dict, describe="{github: {...}}, {azureDevOps: {...}} or {issuer, subject}"),
    "linkSecrets": Field(
        dict, describe="a mapping of principal name to its link password (pulumi config set --secret)", secret=True
    ),
    "cuaPartnerId": Field(str, describe="the Customer Usage Attribution tracking GUID registered in Partner Center"),
    "lighthouse": Field(
        list, describe="a list of Azure Lighthouse delegations {name, offerName, managingTenantId, scopes, authorizations}"
    ),
    "managingStack": Field(str, describe="the managing stack's org/project/stack"),
}
_REQUIRED_WITHOUT_LIGHTHOUSE = ("partnerId", "principals")
"""Required unless the stack declares only Azure Lighthouse delegations (a customer's stack: docs/lighthouse.md)."""
_PRINCIPAL: dict[str, Field] = {
    "name": Field(str, True, "a lower-case name such as 'platform-delivery'"),
    "displayName": Field(str, describe="a string"),
    "partnerId": Field(str, describe="the numeric Associated Partner ID"),
    "roles": Field(list, True, "a list of {role, scope}"),
    "credential": Field(dict, describe="{rotatedOn: YYYY-MM-DD, lifetimeDays: 180}"),
    "linkCredential": Field(str, describe="password or federated"),
    "existingApplication": Field(dict, describe="{clientId, objectId?, addLinkFederatedCredential?}"),
    "federatedCredentials": Field(list, describe="a list of {name, issuer, subject}"),
    "owners": Field(list, describe="a list of object IDs"),
    "overwriteExistingLink": Field(bool, describe="true or false"),
}
_ROLE: dict[str, Field] = {
    "role": Field(str, True, "a built-in role name or role definition ID"),
    "scope": Field(str, True, "an Azure resource ID"),
    "description": Field(str, describe="a string"),
    "condition": Field(str, describe="an ABAC condition"),
    "conditionVersion": Field(str, describe="'2.0'"),
    "acknowledgePrivileged": Field(bool, describe="true or false"),
    "key": Field(str, describe="a short stable name for the assignment"),
    "existingAssignment": Field(str, describe="the resource ID of the role assignment the principal already holds"),
}
_CREDENTIAL: dict[str, Field] = {
    "rotatedOn": Field(str, True, "a date, YYYY-MM-DD"),
    "lifetimeDays": Field(int, describe="1 to 730"),
}
_EXISTING: dict[str, Field] = {
    "clientId": Field(str, True, "the application (client) ID"),
    "objectId": Field(str, describe="the service principal's object ID"),
    "addLinkFederatedCredential": Field(bool, describe="true or false"),
}
_FEDERATION: dict[str, Field] = {
    "github": Field(dict, describe="{repository: owner/repo, branch: main} or {repository, environment}"),
    "azureDevOps": Field(dict, describe="{organizationId, organization, project, serviceConnection}"),
    "issuer": Field(str, describe="the token issuer (https://...)"),
    "subject": Field(str, describe="the subject claim the pipeline presents"),
    "audience": Field(str, describe="the token audience"),
}
_GITHUB: dict[str, Field] = {
    "repository": Field(str, True, "owner/repo"),
    "branch": Field(str, describe="the branch the workflows run on, e.g. main"),
    "environment": Field(str, describe="the GitHub environment the jobs name"),
    "ownerId": Field(int, describe="the numeric owner ID (immutable subjects)"),
    "repositoryId": Field(int, describe="the numeric repository ID (immutable subjects)"),
}
_AZURE_DEVOPS: dict[str, Field] = {
    "organizationId": Field(str, True, "the organization's GUID"),
    "organization": Field(str, True, "the organization name"),
    "project": Field(str, True, "the project name"),
    "serviceConnection": Field(str, True, "the service connection name"),
}
_GO_DATE = re.compile(r"\A([0-9]{4}-[0-9]{2}-[0-9]{2}) 00:00:00 \+0000 UTC\Z")
"""How the Pulumi CLI hands a program an unquoted YAML date (Go's time.String(), yaml.v3): read as that date."""

_WORKLOAD: dict[str, Field] = {
    "name": Field(str, True, "what the customer calls the workload"),
    "product": Field(str, True, "one of " + ", ".join(sorted(PRODUCTS))),
    "notes": Field(str, describe="a string"),
    "principal": Field(str, describe="the name of the delivery principal that owns or publishes the workload"),
}
_FEDERATED: dict[str, Field] = {
    "name": Field(str, True, "a name such as 'github-main'"),
    "issuer": Field(str, True, "an https:// issuer URL"),
    "subject": Field(str, True, "the subject claim"),
    "audiences": Field(list, describe="a list of strings"),
    "description": Field(str, describe="a string"),
}


class ConfigurationError(pulumi.RunError):
    """The stack configuration has problems; the message lists all of them. Pulumi prints a
    ``RunError`` without a traceback."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"the {NAMESPACE} configuration has {len(problems)} {noun}:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class StackConfig:
    """The validated configuration of one stack."""

    partner_id: str
    principals: tuple[PrincipalSpec, ...]
    require_eligible_role: bool = False
    cloud: str = "public"
    non_azure_workloads: tuple[WorkloadEntry, ...] = ()
    """Power Platform work attributed through a principal's PAL link, and CPOR claims to make by hand."""
    cua_partner_id: str | None = None
    """``cuaPartnerId``: when set, the program declares explicit azure-native and azuread providers that send it."""
    customer_usage_attribution: CustomerUsageAttribution | None = None
    """What each provider sends as its Customer Usage Attribution ID, and why."""
    warnings: tuple[str, ...] = ()
    """Valid but incomplete configuration, shown at every preview (a Power Platform workload naming no principal)."""
    lighthouse: tuple[DelegationSpec, ...] = ()
    """Azure Lighthouse delegations (``partner-attribution:lighthouse``), resolved; principals named by the managing
    stack are :class:`~partner_attribution.lighthouse.args.StackPrincipalReference` until the program binds them."""
    managing_stack: str | None = None
    """``managingStack``: the managing tenant's stack (org/project/stack) whose ``attribution`` output names the
    delivery principals the delegations authorize."""


def _decode(raw: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Strip the namespace and decode JSON values, the way ``pulumi.Config.get_object`` does."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for full_key, text in raw.items():
        namespace, _, key = full_key.partition(":")
        if namespace != NAMESPACE:
            continue
        structured = key in _TOP_LEVEL and _TOP_LEVEL[key].kind in (list, dict)
        if structured and isinstance(text, str):
            try:
                values[key] = json.loads(text)
            except json.JSONDecodeError as exc:
                problems.append(f"{key}: not valid structured configuration ({exc.msg})")
        else:
            values[key] = text
    return values, problems


def load_stack_config(
    raw: Mapping[str, str], environ: Mapping[str, str] | None = None, *, is_secret: Callable[[str], bool] | None = None
) -> StackConfig:
    """Check the whole configuration and resolve every principal; raise :class:`ConfigurationError`
    listing every problem otherwise.

    ``raw`` may also hold the providers' keys of :data:`PROVIDER_KEYS` (``azure-native:environment``, ...);
    ``environ`` is the environment the providers read their ``ARM_*`` fallbacks from (the program passes
    ``os.environ``); ``is_secret`` tells whether a key is stored encrypted (the program passes
    ``pulumi.runtime.is_config_secret``; None: not known, not checked)."""
    values, problems = _decode(raw)
    top = check_mapping(values, _TOP_LEVEL, "", problems) or {}
    if "lighthouse" not in values:
        for key in _REQUIRED_WITHOUT_LIGHTHOUSE:
            if key not in values:
                problems.append(f"{key}: required; give {_TOP_LEVEL[key].describe}")
    partner_id = top.get("partnerId", "")
    cloud = top.get("cloud", "public")
    timeout = top.get("linkTimeoutSeconds", 600)
    warning_days = top.get("credentialExpiryWarningDays", 30)
    require_eligible = top.get("requireEligibleRole", False)
    link_credential = top.get("linkCredential", "password")
    federation = _link_federation(top["linkFederation"], problems) if "linkFederation" in top else None
    link_secrets = _link_secrets(top.get("linkSecrets", {}), problems)
    for key, value, check in (
        ("linkCredential", link_credential, check_link_credential),
        ("partnerId", partner_id, check_partner_id),
        ("cloud", cloud, check_cloud),
        ("linkTimeoutSeconds", timeout, check_link_timeout),
        ("credentialExpiryWarningDays", warning_days, check_expiry_warning_days),
    ):
        message = check(value) if key in top else None
        if message is not None:
            problems.append(f"{key}: {message}")

    principals: list[PrincipalSpec] = []
    seen_names: dict[str, int] = {}
    raw_principals = top.get("principals", [])
    if "principals" in top and not raw_principals and "lighthouse" not in top:
        problems.append("principals: give at least one delivery principal (or a lighthouse delegation)")
    for index, raw_principal in enumerate(raw_principals):
        here = f"principals[{index}]"
        entry = check_mapping(raw_principal, _PRINCIPAL, here, problems)
        if entry is None:
            continue
        name = entry.get("name")
        first_use(name, index, seen_names, here, "principals", problems)
        roles = [check_mapping(r, _ROLE, f"{here}.roles[{i}]", problems) for i, r in enumerate(entry.get("roles", []))]
        credential = (
            check_mapping(entry["credential"], _CREDENTIAL, f"{here}.credential", problems) if "credential" in entry else None
        )
        feds = [
            check_mapping(f, _FEDERATED, f"{here}.federatedCredentials[{i}]", problems)
            for i, f in enumerate(entry.get("federatedCredentials", []))
        ]
        owners = entry.get("owners", [])
        for i, owner in enumerate(owners):
            if not isinstance(owner, str):
                problems.append(f"{here}.owners[{i}]: expected an object ID string, got {owner!r}")
        existing = (
            check_mapping(entry["existingApplication"], _EXISTING, f"{here}.existingApplication", problems)
            if "existingApplication" in entry
            else None
        )
        complete_roles = [r for r in roles if r is not None and "role" in r and "scope" in r]
        if name is None or ("credential" in entry and (credential is None or "rotatedOn" not in credential)):
            continue  # structural problems already reported; the rules on values need a complete entry
        if "existingApplication" in entry and (existing is None or "clientId" not in existing):
            continue
        roles_complete = "roles" in entry and len(complete_roles) == len(roles)
        args = DeliveryPrincipalArgs(
            partner_id=entry.get("partnerId", partner_id),
            display_name=entry.get("displayName"),
            role_assignments=[
                RoleAssignmentArgs(
                    role=r["role"],
                    scope=r["scope"],
                    description=r.get("description"),
                    condition=r.get("condition"),
                    condition_version=r.get("conditionVersion"),
                    acknowledge_privileged=r.get("acknowledgePrivileged", False),
                    key=r.get("key"),
                    existing_assignment=r.get("existingAssignment"),
                )
                for r in complete_roles
            ],
            credential_rotated_on=_date(credential["rotatedOn"]) if credential is not None else None,
            credential_lifetime_days=credential.get("lifetimeDays", 180) if credential is not None else 180,
            federated_credentials=[
                FederatedCredentialArgs(
                    name=f["name"],
                    issuer=f["issuer"],
                    subject=f["subject"],
                    audiences=tuple(f.get("audiences", (GITHUB_ACTIONS_AUDIENCE,))),
                    description=f.get("description"),
                )
                for f in feds
                if f is not None and {"name", "issuer", "subject"} <= f.keys()
            ],
            owners=[o for o in owners if isinstance(o, str)],
            require_eligible_role=require_eligible,
            overwrite_existing_link=entry.get("overwriteExistingLink", False),
            cloud=cloud,
            link_timeout_seconds=timeout,
            credential_expiry_warning_days=warning_days,
            link_credential=entry.get("linkCredential", link_credential),
            link_federation=federation,
            existing_application=(
                ExistingApplicationArgs(
                    client_id=existing["clientId"],
                    object_id=existing.get("objectId"),
                    add_link_federated_credential=existing.get("addLinkFederatedCredential", True),
                )
                if existing is not None
                else None
            ),
            link_client_secret=pulumi.Output.secret(link_secrets[name]) if name in link_secrets else None,
        )
        if name in link_secrets and existing is None:
            problems.append(
                f"linkSecrets.{name}: only for a principal with existingApplication; the stack creates this one's password"
            )
        spec, principal_problems = resolve_principal(name, args)
        for problem in principal_problems:
            field = str(problem.path[0]) if problem.path else ""
            if field == "role_assignments" and not roles_complete:
                continue  # the roles' shape problems are reported already
            if field in INHERITED and CONFIG_KEYS.get(field, field) not in entry:
                if CONFIG_KEYS.get(field, field) in top or field == "link_federation":
                    problems.append(problem.render(CONFIG_KEYS))  # a stack-wide value: reported once, at its own key
                continue  # a missing stack-wide key is reported by the shape check
            problems.append(problem.under("principals", index).render(CONFIG_KEYS))
        if spec is not None and roles_complete:
            principals.append(spec)
    problems += _existing_principal_clashes(raw_principals)
    problems += _adopted_assignment_clashes(raw_principals)

    workloads: list[WorkloadEntry] = []
    warnings: list[str] = []
    for index, raw_workload in enumerate(top.get("nonAzureWorkloads", [])):
        workload = check_mapping(raw_workload, _WORKLOAD, f"nonAzureWorkloads[{index}]", problems)
        if workload is None or "product" not in workload or "name" not in workload:
            continue
        if workload["product"] not in PRODUCTS:
            problems.append(
                f"nonAzureWorkloads[{index}].product: {workload['product']!r} is not one of "
                f"{', '.join(sorted(PRODUCTS))}; Azure workloads are attributed through the principals' roles"
            )
            continue
        product = PRODUCTS[workload["product"]]
        named = workload.get("principal")
        here = f"nonAzureWorkloads[{index}]"
        if product.needs_principal and named is None:
            # A warning, not an error: stacks written before 0.2 list `product: powerbi` alone (as the 0.1.0 example
            # did), and refusing them would stop their `pulumi up` for a report-only field.
            warnings.append(
                f"{here}.principal: {workload['name']!r} ({product.display_name}) names no principal. Microsoft "
                "attributes it through the PAL link of the account that owns or publishes it, not by a manual claim "
                f"(no DPOR step); add principal: <name> naming the delivery principal that publishes it "
                f"({_choices(seen_names)}); see docs/attribution-models.md"
            )
        if not product.needs_principal and named is not None:
            problems.append(
                f"{here}.principal: {product.display_name} is claimed by hand in Partner Center (CPOR), not through "
                "a principal's PAL link; remove principal"
            )
            continue
        if named is not None and named not in seen_names:
            problems.append(f"{here}.principal: {named!r} is not a principal of this stack; use {_choices(seen_names)}")
            continue
        workloads.append(WorkloadEntry(workload["name"], workload["product"], workload.get("notes"), named))

    if link_secrets and is_secret is not None and not is_secret(f"{NAMESPACE}:linkSecrets"):
        for name in link_secrets:
            warnings.append(
                f"linkSecrets.{name} is in clear text in the stack file (anyone who reads the file or its history has the "
                f"password); store it encrypted: pulumi config set --secret --path '{NAMESPACE}:linkSecrets.{name}' "
                "<password>, and rotate the password if the file was shared"
            )

    cua_partner_id = top.get("cuaPartnerId")
    if cua_partner_id is not None and (message := check_cua_partner_id(cua_partner_id)) is not None:
        problems.append(f"cuaPartnerId: {message}")
    problems.extend(_cloud_problems(cloud, raw, environ or {}))
    problems.extend(_cua_problems(cua_partner_id, raw))

    managing_stack = top.get("managingStack")
    if managing_stack is not None and (message := check_managing_stack(managing_stack)) is not None:
        problems.append(f"managingStack: {message}")  # principals it names are still checked against the rest
    lighthouse = load_lighthouse(top.get("lighthouse", []), managing_stack, cloud, problems) if "lighthouse" in top else ()
    if "lighthouse" in top and not top["lighthouse"]:
        problems.append("lighthouse: give at least one delegation, or remove the key")

    if problems:
        raise ConfigurationError(list(dict.fromkeys(problems)))
    return StackConfig(
        partner_id=partner_id,
        principals=tuple(principals),
        require_eligible_role=require_eligible,
        cloud=cloud,
        non_azure_workloads=tuple(workloads),
        cua_partner_id=cua_partner_id,
        customer_usage_attribution=customer_usage_attribution(cua_partner_id, raw, environ or {}),
        warnings=tuple(warnings),
        lighthouse=lighthouse,
        managing_stack=managing_stack,
    )


def _existing_principal_clashes(raw_principals: list[Any]) -> list[str]:
    """Existing principals checked against each other, where the stack file alone can tell: one client ID under two
    names makes two links of one identity (and, with ``addLinkFederatedCredential``, two identical federated
    credentials on one application, which Entra refuses); an object ID given to two client IDs, or equal to its own
    client ID (the application's ID, not its service principal's object ID), is not that client's object."""
    problems: list[str] = []
    clients: dict[str, int] = {}
    objects: dict[str, tuple[int, str]] = {}
    for index, entry in enumerate(raw_principals):
        existing = entry.get("existingApplication") if isinstance(entry, dict) else None
        if not isinstance(existing, dict) or not isinstance(existing.get("clientId"), str):
            continue
        client = existing["clientId"].lower()
        here = f"principals[{index}].existingApplication"
        if client in clients:
            problems.append(
                f"{here}.clientId: {existing['clientId']} is also principals[{clients[client]}]'s; one identity has one PAL "
                "link (and one application can't hold two identical federated credentials): keep one of the two entries"
            )
        clients.setdefault(client, index)
        object_id = existing.get("objectId")
        if not isinstance(object_id, str):
            continue
        if object_id.lower() == client:
            problems.append(
                f"{here}.objectId: {object_id} is the client (application) ID, not the object ID of its service "
                f"principal; give the service principal's object ID (az ad sp show --id {existing['clientId']} --query id "
                "-o tsv), or leave objectId out to have it looked up"
            )
        elif object_id.lower() in objects and objects[object_id.lower()][1] != client:
            problems.append(
                f"{here}.objectId: {object_id} is also the object ID given for principals[{objects[object_id.lower()][0]}], "
                "whose client ID differs; a service principal has one client ID: check both (az ad sp show --id <client ID> "
                "--query id -o tsv)"
            )
        objects.setdefault(object_id.lower(), (index, client))
    return problems


def _adopted_assignment_clashes(raw_principals: list[Any]) -> list[str]:
    """One existing role assignment adopted by two principals: an assignment has one principal, so one of the two
    imports can never match (within one principal, :func:`~partner_attribution.spec.resolve_principal` checks)."""
    problems: list[str] = []
    owners: dict[str, int] = {}
    for index, entry in enumerate(raw_principals):
        roles = entry.get("roles") if isinstance(entry, dict) else None
        for position, role in enumerate(roles if isinstance(roles, list) else []):
            given = role.get("existingAssignment") if isinstance(role, dict) else None
            if not isinstance(given, str):
                continue
            name = given.rsplit("/", 1)[-1].lower()
            owner = owners.setdefault(name, index)
            if owner != index:
                problems.append(
                    f"principals[{index}].roles[{position}].existingAssignment: {given} is adopted by principals[{owner}] "
                    "already; a role assignment belongs to one principal: give this principal's own assignment"
                )
    return problems


def _date(value: str) -> str:
    """A date as written: the engine hands an unquoted YAML date over as ``YYYY-MM-DD 00:00:00 +0000 UTC``."""
    match = _GO_DATE.match(value)
    return match.group(1) if match else value


def _link_federation(raw: Any, problems: list[str]) -> LinkFederationArgs | None:
    """``linkFederation``: exactly one of ``github``, ``azureDevOps`` or an explicit ``issuer`` and ``subject``."""
    entry = check_mapping(raw, _FEDERATION, "linkFederation", problems)
    if entry is None:
        return None
    forms = [form for form in ("github", "azureDevOps", "issuer") if form in entry]
    if len(forms) != 1 or ("issuer" in entry) != ("subject" in entry):
        problems.append("linkFederation: give exactly one of github: {...}, azureDevOps: {...}, or issuer and subject")
        return None
    audience = entry.get("audience")
    if "github" in entry:
        github = check_mapping(entry["github"], _GITHUB, "linkFederation.github", problems)
        if github is None or "repository" not in github:
            return None
        if github["repository"].count("/") != 1:
            problems.append(f"linkFederation.github.repository: {github['repository']!r}: use owner/repo")
            return None
        try:
            trust = LinkFederationArgs.github_actions(
                github["repository"],
                branch=github.get("branch"),
                environment=github.get("environment"),
                owner_id=github.get("ownerId"),
                repository_id=github.get("repositoryId"),
            )
        except ValueError as exc:
            problems.append(f"linkFederation.github: {exc}")
            return None
        return LinkFederationArgs(trust.issuer, trust.subject, audience)
    if "azureDevOps" in entry:
        ado = check_mapping(entry["azureDevOps"], _AZURE_DEVOPS, "linkFederation.azureDevOps", problems)
        if ado is None or not {"organizationId", "organization", "project", "serviceConnection"} <= ado.keys():
            return None
        try:
            trust = LinkFederationArgs.azure_devops(
                ado["organizationId"], ado["organization"], ado["project"], ado["serviceConnection"]
            )
        except ValueError as exc:
            problems.append(f"linkFederation.azureDevOps: {exc}")
            return None
        return LinkFederationArgs(trust.issuer, trust.subject, audience)
    return LinkFederationArgs(entry["issuer"], entry["subject"], audience)


def _link_secrets(raw: Any, problems: list[str]) -> dict[str, str]:
    """``linkSecrets``: principal name → password. Values are secrets: no message ever shows one."""
    if not isinstance(raw, dict):
        problems.append("linkSecrets: expected a mapping of principal name to its link password")
        return {}
    secrets: dict[str, str] = {}
    for name, value in raw.items():
        if not isinstance(value, str) or not value:
            problems.append(f"linkSecrets.{name}: expected the password as a string (set it with pulumi config set --secret)")
        else:
            secrets[str(name)] = value
    return secrets


def _choices(names: Mapping[str, int]) -> str:
    return "one of " + ", ".join(sorted(names)) if names else "a principal declared under principals"


PROVIDER_KEYS = {
    "azure-native": ("environment", "partnerId", "disablePulumiPartnerId"),
    "azuread": ("environment", "partnerId", "disableTerraformPartnerId"),
}
"""The providers' settings the program checks against its own (public pulumi.Config API, by name)."""

_ENVIRONMENTS = {
    # azure-native: public|AzureCloud, usgovernment|AzureUSGovernment, china|AzureChinaCloud, case-insensitive
    # (pulumi-azure-native docs/installation-configuration, "Configuration options", environment).
    "azure-native": {"public": "public", "azurecloud": "public", "usgovernment": "usgovernment",
                     "azureusgovernment": "usgovernment", "china": "china", "azurechinacloud": "china"},
    # azuread: global (also public), usgovernmentl4 (also usgovernment), usgovernmentl5 (also dod), china
    # (pulumi/pulumi-azuread schema.json @ b830e040, config "environment"). L5 (DoD) signs in and manages
    # Azure through the US Government endpoints, so it agrees with cloud: usgovernment.
    "azuread": {"public": "public", "global": "public", "usgovernment": "usgovernment", "usgovernmentl4": "usgovernment",
                "usgovernmentl5": "usgovernment", "dod": "usgovernment", "china": "china"},
}  # fmt: skip


def _provider_value(raw: Mapping[str, str], environ: Mapping[str, str], key: str, variable: str) -> str | None:
    """A provider setting as the provider resolves it: stack configuration first, then its environment variable."""
    value = raw.get(key)
    return value if value not in (None, "") else (environ.get(variable) or None)


def _cloud_problems(cloud: str, raw: Mapping[str, str], environ: Mapping[str, str]) -> list[str]:
    """One cloud per stack: the providers that create the principals must work in the cloud the links sign in to."""
    problems: list[str] = []
    if check_cloud(cloud) is not None:
        return problems  # reported at cloud already
    for provider, table in _ENVIRONMENTS.items():
        value = _provider_value(raw, environ, f"{provider}:environment", "ARM_ENVIRONMENT") or "public"  # the default
        from_variable = not raw.get(f"{provider}:environment") and bool(environ.get("ARM_ENVIRONMENT"))
        where = f"ARM_ENVIRONMENT (read by {provider})" if from_variable else f"{provider}:environment"
        resolved = table.get(value.lower())
        if resolved is None:
            problems.append(f"{where}: {value!r} is not an environment {provider} documents; use one of {', '.join(table)}")
        elif resolved != cloud:
            problems.append(
                f"{where}: {value!r} is the {resolved} cloud, but partner-attribution:cloud is {cloud!r}: the principals "
                f"would be created in one cloud and linked in another. Use one cloud per stack: set "
                f"partner-attribution:cloud to {resolved!r} or {provider}:environment to match {cloud!r}"
            )
    return problems


def _cua_problems(cua_partner_id: str | None, raw: Mapping[str, str]) -> list[str]:
    """Only one pid per request counts: a provider partnerId that differs from cuaPartnerId is a mistake."""
    if cua_partner_id is None:
        return []
    return [
        f"{provider}:partnerId: {raw[f'{provider}:partnerId']!r} differs from partner-attribution:cuaPartnerId "
        f"{cua_partner_id!r}; only one ID per request is counted. Remove {provider}:partnerId (cuaPartnerId is set on "
        "the program's providers)"
        for provider in PROVIDER_KEYS
        if raw.get(f"{provider}:partnerId") and raw[f"{provider}:partnerId"].lower() != cua_partner_id.lower()
    ]


def customer_usage_attribution(
    cua_partner_id: str | None, raw: Mapping[str, str], environ: Mapping[str, str]
) -> CustomerUsageAttribution:
    """What each provider the program uses sends as its CUA ID (``pid-<id>`` in the User-Agent), and why."""
    providers = []
    for provider, disable_key, disable_variable, default, default_source in (
        ("azure-native", "disablePulumiPartnerId", "ARM_DISABLE_PULUMI_PARTNER_ID", PULUMI_PARTNER_ID, "pulumi-default"),
        ("azuread", "disableTerraformPartnerId", "ARM_DISABLE_TERRAFORM_PARTNER_ID", TERRAFORM_PARTNER_ID,
         "terraform-default"),
    ):  # fmt: skip
        own = _provider_value(raw, environ, f"{provider}:partnerId", "ARM_PARTNER_ID")
        if cua_partner_id is not None:
            providers.append(ProviderAttribution(provider, cua_partner_id, "cuaPartnerId"))
        elif own is not None:
            providers.append(ProviderAttribution(provider, own, "provider-config"))
        elif (_provider_value(raw, environ, f"{provider}:{disable_key}", disable_variable) or "").lower() == "true":
            providers.append(ProviderAttribution(provider, None, "disabled"))
        else:
            providers.append(ProviderAttribution(provider, default, default_source))
    return CustomerUsageAttribution(cua_partner_id, tuple(providers))


def read_pulumi_config() -> dict[str, str]:
    """The configuration the program reads, in the engine's ``namespace:key`` → string form: the
    ``partner-attribution`` keys and the providers' :data:`PROVIDER_KEYS`.

    Known keys are read with the public :class:`pulumi.Config` API. Only the detection of *unknown* keys (a
    misspelled ``partnerID``) needs the names of every key set in the namespace, which ``pulumi.Config`` cannot
    list (it reads one key by name: pulumi/pulumi ``sdk/python/lib/pulumi/config.py``); for those names alone
    this reads the runtime's configuration, as the SDK itself holds it.
    """
    from pulumi.runtime import config as runtime_config

    values: dict[str, str] = {}
    own = pulumi.Config(NAMESPACE)
    for key in _TOP_LEVEL:
        text = own.get(key)
        if text is not None:
            values[f"{NAMESPACE}:{key}"] = text
    for provider, keys in PROVIDER_KEYS.items():
        settings = pulumi.Config(provider)
        for key in keys:
            text = settings.get(key)
            if text is not None:
                values[f"{provider}:{key}"] = text
    every_key = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    for full_key, text in every_key.items():
        if full_key.startswith(f"{NAMESPACE}:") and full_key not in values:
            values[full_key] = text  # unknown to the schema: reported by load_stack_config with a suggestion
    return values
