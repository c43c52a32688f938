"""The offline plan: evaluate the real program on a stack configuration and describe what it declares.

Data only (no printing): :func:`plan_stack` returns a :class:`StackPlan`; the CLI renders it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .offline_engine import Evaluation, evaluate, run_program_file, stack_config_from_file

COMPONENT_TYPE = "partner-attribution:index:DeliveryPrincipal"
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
    attribution = evaluation.outputs.get("attribution", {})
    by_name = {r.name: r for r in evaluation.resources}
    principals = []
    for entry in attribution.get("principals", []):
        name = entry["name"]
        children = [r for r in evaluation.resources if r.parent.endswith(f"{COMPONENT_TYPE}::{name}")]
        principals.append(
            {
                "name": name,
                "displayName": entry["displayName"],
                "partnerId": by_name[f"{name}-pal"].plain_input("partner_id"),
                "palEligible": entry["palEligible"],
                "credentialEndDate": entry["credentialEndDate"],
                "federatedCredentials": [
                    r.name.removeprefix(f"{name}-fic-") for r in children if r.type == FEDERATED_CREDENTIAL_TYPE
                ],
                "roleAssignments": [
                    {
                        "role": role["role"],
                        "roleDefinitionId": role["roleDefinitionId"],
                        "scope": role["scope"],
                        "palEligible": role["palEligible"],
                        "palListing": role["palListing"],
                    }
                    for role in entry["roles"]
                ],
            }
        )
    return principals


def plan_stack(config_path: Path, program_path: Path) -> StackPlan:
    """Evaluate ``program_path`` with the stack file ``config_path``; never raises for bad config."""
    from .config import ConfigurationError

    plan = StackPlan(source=str(config_path))
    try:
        config = stack_config_from_file(config_path)
    except (OSError, ValueError) as exc:
        plan.errors.append(f"cannot read {config_path}: {exc}")
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
