"""The bundled Pulumi program: one DeliveryPrincipal per configured principal.

``__main__.py`` at the project root calls :func:`main`. Stack outputs (schemas in :mod:`.attribution`):

* ``attribution``: the attribution document (no secret; input of ``partner-attribution report``);
* ``linkCredentials``: per principal, tenant, client ID and secret (a Pulumi secret; input of
  ``partner-attribution verify``).
"""

from __future__ import annotations

import pulumi

from .attribution import attribution_output, link_credentials_output
from .component import DeliveryPrincipal
from .config import StackConfig, load_stack_config, read_pulumi_config


def declare_principals(config: StackConfig) -> dict[str, DeliveryPrincipal]:
    """Declare the stack's resources from a validated configuration."""
    return {spec.name: DeliveryPrincipal(spec.name, spec) for spec in config.principals}


def main() -> None:
    """Entry point of the Pulumi program: configuration → resolved specs → components → outputs."""
    config = load_stack_config(read_pulumi_config())
    principals = declare_principals(config)
    pulumi.export("attribution", attribution_output(config.partner_id, list(principals.values()), config.non_azure_workloads))
    pulumi.export("linkCredentials", link_credentials_output(principals))
