"""The offline plan: evaluate the real program on a stack file and describe what it declares.

Data only (no printing): :func:`plan_stack` returns a :class:`StackPlan`; :mod:`.render` renders it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..attribution import AttributionDocument
from ..naming import COMPONENT_TYPE, PAL_LINK_TYPE
from ..naming import LINK_FEDERATED_CREDENTIAL_DISPLAY_NAME as LINK_FIC
from .engine import Evaluation, RegisteredResource, evaluate, run_program_file
from .stack_file import StackFileError, read_stack_config

APPLICATION_TYPE = "azuread:index/application:Application"
SERVICE_PRINCIPAL_TYPE = "azuread:index/servicePrincipal:ServicePrincipal"
PASSWORD_TYPE = "azuread:index/applicationPassword:ApplicationPassword"
FEDERATED_CREDENTIAL_TYPE = "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"


@dataclass
class StackPlan:
    """What one stack file would declare, or why it can't."""

    source: str
    principals: list[dict[str, Any]] = field(default_factory=list)
    resources: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

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
        }


def _principals(evaluation: Evaluation) -> list[dict[str, Any]]:
    document = AttributionDocument.from_json(evaluation.outputs.get("attribution", {"principals": []}))
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
        federated = link is not None and link.plain_input("credential_type") == "federated"
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
                        "issuer": link.plain_input("trusted_issuer"),
                        "subject": link.plain_input("trusted_subject"),
                        "audience": link.plain_input("token_audience"),
                        "federatedCredential": link_fic.name if link_fic is not None else None,
                    }
                    if federated and link is not None
                    else None
                ),
                "existingApplication": named(APPLICATION_TYPE) is None,
                "federatedCredentials": [
                    str(r.plain_input("displayName")) for r in own if r.type == FEDERATED_CREDENTIAL_TYPE and r is not link_fic
                ],
                "roleAssignments": [role.to_json() for role in entry.roles],
            }
        )
    return principals


def plan_stack(config_path: Path, program_path: Path) -> StackPlan:
    """Evaluate ``program_path`` with the stack file ``config_path``; never raises for bad config."""
    from ..config import ConfigurationError

    plan = StackPlan(source=str(config_path))
    try:
        config = read_stack_config(config_path)
    except StackFileError as exc:
        plan.errors.append(str(exc))
        return plan
    try:
        evaluation = evaluate(run_program_file(program_path), config)
    except ConfigurationError as exc:
        plan.errors.extend(exc.problems)
        return plan
    except Exception as exc:  # noqa: BLE001 - a program error is reported as the plan's result
        plan.errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        return plan
    plan.warnings = evaluation.warnings
    plan.errors = evaluation.errors
    plan.principals = _principals(evaluation)
    plan.resources = [
        {"type": r.type, "name": r.name, "parent": r.parent.split("::")[-1] if r.parent else ""}
        for r in sorted(evaluation.resources, key=lambda r: (r.parent, r.name))
    ]
    return plan
