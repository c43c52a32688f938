"""partner-attribution: Microsoft Partner Admin Link (PAL) as part of every Azure deployment.

Public API (imported lazily, so command-line start-up stays fast)::

    from partner_attribution import DeliveryPrincipal, DeliveryPrincipalArgs, RoleAssignmentArgs
    from partner_attribution import LighthouseDelegation, LighthouseDelegationArgs, LighthouseAuthorizationArgs
    from partner_attribution import attribution_output, link_credentials_output  # the stack outputs the CLI reads

Reference: docs/component-reference.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.4.0"

_EXPORTS = {
    "DeliveryPrincipal": "component",
    "DeliveryPrincipalArgsError": "component",
    "DeliveryPrincipalArgs": "args",
    "RoleAssignmentArgs": "args",
    "FederatedCredentialArgs": "args",
    "PartnerAdminLink": "partner_link",
    "PartnerAdminLinkArgs": "partner_link",
    "PartnerAdminLinkProvider": "partner_link",
    "ConfigurationError": "config",
    "load_stack_config": "config",
    "builtin_roles": "roles",
    "LighthouseDelegation": "lighthouse",
    "LighthouseDelegationArgs": "lighthouse",
    "LighthouseDelegationArgsError": "lighthouse",
    "LighthouseAuthorizationArgs": "lighthouse",
    "LighthouseEligibleAuthorizationArgs": "lighthouse",
    "LighthouseApproverArgs": "lighthouse",
    "attribution_output": "stack_outputs",
    "link_credentials_output": "stack_outputs",
    "StackOutputArgumentsError": "stack_outputs",
    "WorkloadEntry": "attribution",
}

__all__ = [
    "ConfigurationError",
    "DeliveryPrincipal",
    "DeliveryPrincipalArgs",
    "DeliveryPrincipalArgsError",
    "FederatedCredentialArgs",
    "LighthouseApproverArgs",
    "LighthouseAuthorizationArgs",
    "LighthouseDelegation",
    "LighthouseDelegationArgs",
    "LighthouseDelegationArgsError",
    "LighthouseEligibleAuthorizationArgs",
    "PartnerAdminLink",
    "PartnerAdminLinkArgs",
    "PartnerAdminLinkProvider",
    "RoleAssignmentArgs",
    "StackOutputArgumentsError",
    "WorkloadEntry",
    "attribution_output",
    "builtin_roles",
    "link_credentials_output",
    "load_stack_config",
]

if TYPE_CHECKING:
    from .args import DeliveryPrincipalArgs, FederatedCredentialArgs, RoleAssignmentArgs
    from .attribution import WorkloadEntry
    from .component import DeliveryPrincipal, DeliveryPrincipalArgsError
    from .config import ConfigurationError, load_stack_config
    from .lighthouse import (
        LighthouseApproverArgs,
        LighthouseAuthorizationArgs,
        LighthouseDelegation,
        LighthouseDelegationArgs,
        LighthouseDelegationArgsError,
        LighthouseEligibleAuthorizationArgs,
    )
    from .partner_link import PartnerAdminLink, PartnerAdminLinkArgs, PartnerAdminLinkProvider
    from .roles import builtin_roles
    from .stack_outputs import StackOutputArgumentsError, attribution_output, link_credentials_output


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
