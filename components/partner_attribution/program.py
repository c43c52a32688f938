"""The bundled Pulumi program: one DeliveryPrincipal per configured principal.

``__main__.py`` at the project root calls :func:`main`. Stack outputs:

* ``attribution``: per principal, client and object ID, linked partner ID, link state, roles with
  scope and PAL eligibility (no secret; input of ``partner-attribution report``);
* ``linkCredentials``: per principal, tenant, client ID and secret (a Pulumi secret; input of
  ``partner-attribution verify``).
"""

from __future__ import annotations

from typing import Any

import pulumi

from .component import DeliveryPrincipal
from .config import StackConfig, load_stack_config, read_pulumi_config


def declare_principals(config: StackConfig) -> dict[str, DeliveryPrincipal]:
    """Declare the stack's resources from a validated configuration."""
    return {p.name: DeliveryPrincipal(p.name, p.args) for p in config.principals}


def main() -> None:
    """Entry point of the Pulumi program: configuration → validated model → components → outputs."""
    config = load_stack_config(read_pulumi_config())
    principals = declare_principals(config)
    components = list(principals.values())
    # One Output over every live value, one apply to build each stack output: far fewer Outputs (and
    # engine round trips) than nesting an Output per field; see BENCHMARKS.md.
    live = pulumi.Output.all(*[o for c in components for o in c.live_outputs()])
    width = len(DeliveryPrincipal.LIVE_FIELDS)

    def attribution(values: list[Any]) -> dict[str, Any]:
        return {
            "partnerId": config.partner_id,
            "nonAzureWorkloads": list(config.non_azure_workloads),
            "principals": [
                component.attribution(p.name, p.args.display_name or p.name, values[i * width : (i + 1) * width])
                for i, (p, component) in enumerate(zip(config.principals, components, strict=True))
            ],
        }

    pulumi.export("attribution", live.apply(attribution))
    secrets = pulumi.Output.all(*[o for c in components for o in (c.tenant_id, c.client_id, c.client_secret)])
    pulumi.export(
        "linkCredentials",
        pulumi.Output.secret(
            secrets.apply(
                lambda values: {
                    name: dict(zip(("tenantId", "clientId", "clientSecret"), values[i * 3 : (i + 1) * 3], strict=True))
                    for i, name in enumerate(principals)
                }
            )
        ),
    )
