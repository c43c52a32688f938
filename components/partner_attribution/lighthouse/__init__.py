"""Azure Lighthouse delegations that earn partner credit (``docs/lighthouse.md``).

Public API (imported lazily: the component pulls in azure-native, the rules do not)::

    from partner_attribution.lighthouse import (
        LighthouseDelegation, LighthouseDelegationArgs, LighthouseAuthorizationArgs,
        LighthouseEligibleAuthorizationArgs, LighthouseApproverArgs,
    )
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "LighthouseDelegation": "component",
    "LighthouseDelegationArgsError": "component",
    "LighthouseDelegationArgs": "args",
    "LighthouseAuthorizationArgs": "args",
    "LighthouseEligibleAuthorizationArgs": "args",
    "LighthouseApproverArgs": "args",
    "StackPrincipalReference": "args",
    "DelegationSpec": "spec",
    "resolve_delegation": "spec",
    "bind_principals": "spec",
}

__all__ = [
    "DelegationSpec",
    "LighthouseApproverArgs",
    "LighthouseAuthorizationArgs",
    "LighthouseDelegation",
    "LighthouseDelegationArgs",
    "LighthouseDelegationArgsError",
    "LighthouseEligibleAuthorizationArgs",
    "StackPrincipalReference",
    "bind_principals",
    "resolve_delegation",
]

if TYPE_CHECKING:
    from .args import (
        LighthouseApproverArgs,
        LighthouseAuthorizationArgs,
        LighthouseDelegationArgs,
        LighthouseEligibleAuthorizationArgs,
        StackPrincipalReference,
    )
    from .component import LighthouseDelegation, LighthouseDelegationArgsError
    from .spec import DelegationSpec, bind_principals, resolve_delegation


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
