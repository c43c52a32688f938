"""A partner's own Pulumi program using partner-attribution as a library: a resource group for the application and
two delivery principals, one scoped to that group (an Output scope) and one to the subscription, each linked to the
partner ID with Partner Admin Link in the same ``pulumi up``.

The ``attribution`` and ``linkCredentials`` outputs are what the bundled program exports, so the command line works
on this stack as on the bundled one::

    pulumi stack output --json | partner-attribution report --format html > attribution.html
    pulumi stack output --json --show-secrets | partner-attribution verify
"""

import pulumi
from pulumi_azure_native import resources

from partner_attribution import (
    DeliveryPrincipal,
    DeliveryPrincipalArgs,
    RoleAssignmentArgs,
    attribution_output,
    link_credentials_output,
)
from partner_attribution.args import LinkFederationArgs

config = pulumi.Config()
partner_id = config.require("partnerId")
subscription = f"/subscriptions/{config.require('subscriptionId')}"
pipeline = LinkFederationArgs.github_actions(config.require("githubRepository"), branch="main")

group = resources.ResourceGroup("rg-app")

app_delivery = DeliveryPrincipal(
    "app-delivery",
    DeliveryPrincipalArgs(
        partner_id=partner_id,
        display_name="Contoso Partner - application delivery",
        link_credential="federated",
        link_federation=pipeline,
        role_assignments=[RoleAssignmentArgs(role="Contributor", scope=group.id, key="app-rg")],
    ),
)
cost_reporting = DeliveryPrincipal(
    "cost-reporting",
    DeliveryPrincipalArgs(
        partner_id=partner_id,
        link_credential="federated",
        link_federation=pipeline,
        role_assignments=[RoleAssignmentArgs(role="Cost Management Reader", scope=subscription)],
    ),
)

principals = [app_delivery, cost_reporting]
pulumi.export("resourceGroup", group.name)
pulumi.export("attribution", attribution_output(principals))
pulumi.export("linkCredentials", link_credentials_output(principals))
