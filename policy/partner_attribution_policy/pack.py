"""The adapter to ``pulumi_policy``: :class:`~.policies.PolicySpec` → ``StackValidationPolicy``.

The only module that imports the policy SDK. It turns the SDK's ``PolicyResource`` objects (whose
properties raise on unknown values) into plain :class:`~.graph.StackResource` values, runs a policy's
check, and reports its violations, its "not applicable" reason, or a configuration error.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import _DictProxy, _ListProxy

from .config import ConfigError
from .graph import StackGraph, StackResource
from .policies import POLICIES, NotApplicable, PolicySpec

PACK_NAME = "partner-attribution"
TODAY_VARIABLE = "PARTNER_ATTRIBUTION_POLICY_TODAY"
"""Set to a date (YYYY-MM-DD) to evaluate password lifetimes as of that day instead of today (tests, audits)."""

Clock = Callable[[], dt.date]


def today() -> dt.date:
    """Today's date in UTC, or the date in ``PARTNER_ATTRIBUTION_POLICY_TODAY`` when it is set."""
    fixed = os.environ.get(TODAY_VARIABLE)
    if fixed:
        return dt.date.fromisoformat(fixed)
    return dt.datetime.now(dt.timezone.utc).date()


def plain(value: Any) -> Any:
    """A property value without the SDK's unknown-checking proxies: unknown values stay as the engine's markers."""
    if isinstance(value, _DictProxy):
        target = value["__target"]
        return {key: plain(item) for key, item in target.items()}
    if isinstance(value, _ListProxy):
        return [plain(item) for item in value["__target"]]
    return value


def to_stack_resources(resources: Sequence[PolicyResource]) -> list[StackResource]:
    """The SDK's view of a stack as plain :class:`StackResource` values (graph edges as URNs)."""
    return [
        StackResource(
            urn=r.urn,
            type=r.resource_type,
            name=r.name,
            props=plain(r.props),
            parent=r.parent.urn if r.parent is not None else None,
            dependencies=tuple(d.urn for d in r.dependencies),
            property_dependencies={key: tuple(d.urn for d in deps) for key, deps in r.property_dependencies.items()},
        )
        for r in resources
    ]


def _validate(spec: PolicySpec, clock: Clock) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        graph = StackGraph(to_stack_resources(args.resources))
        try:
            violations = spec.run(graph, args.get_config(), clock())
        except ConfigError as error:
            report_violation(f"the pack's configuration is invalid, so nothing was checked: {error}", None)
            return
        except NotApplicable as outcome:
            args.not_applicable(outcome.reason)
            return
        for violation in violations:
            report_violation(f"{violation.message}\nRemediation: {spec.remediation}", violation.urn)

    return validate


def build_policies(clock: Clock = today) -> list[StackValidationPolicy]:
    """Every policy of the pack as a ``StackValidationPolicy``, evaluated as of ``clock()``."""
    return [
        StackValidationPolicy(
            name=spec.name,
            description=spec.description,
            validate=_validate(spec, clock),
            enforcement_level=EnforcementLevel(spec.enforcement_level),
            config_schema=PolicyConfigSchema(properties=spec.config_schema),
            display_name=spec.display_name,
            remediation_steps=spec.remediation,
        )
        for spec in POLICIES
    ]
