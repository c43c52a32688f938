"""The bundled Pulumi program: one DeliveryPrincipal per configured principal.

``__main__.py`` at the project root calls :func:`main`. Stack outputs:

* ``attribution``: per principal, client and object ID, linked partner ID, link state, roles with
  scope and PAL eligibility (no secret; input of ``partner-attribution report``);
* ``linkCredentials``: per principal, tenant, client ID and secret (a Pulumi secret; input of
  ``partner-attribution verify``).
"""

from __future__ import annotations

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
    pulumi.export(
        "attribution",
        pulumi.Output.all(
            partnerId=config.partner_id,
            nonAzureWorkloads=list(config.non_azure_workloads),
            principals=pulumi.Output.all(
                *[
                    component.attribution(p.name, p.args.display_name or p.name)
                    for p, component in zip(config.principals, principals.values(), strict=True)
                ]
            ),
        ),
    )
    pulumi.export(
        "linkCredentials",
        pulumi.Output.secret(
            pulumi.Output.all(
                **{
                    name: pulumi.Output.all(tenantId=c.tenant_id, clientId=c.client_id, clientSecret=c.client_secret)
                    for name, c in principals.items()
                }
            )
        ),
    )
