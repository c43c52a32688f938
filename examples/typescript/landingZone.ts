// The example stack's four delivery principals, their roles and PAL links (the same as Pulumi.dev.yaml).
import * as pulumi from "@pulumi/pulumi";
import * as partner from "@partner-attribution/pulumi";

const github = { repository: "contoso-partner/landing-zone", branch: "main" };

export function landingZone() {
    const config = new pulumi.Config();
    const partnerId = config.get("partnerId") ?? "1234567";
    const principals: Record<string, partner.DeliveryPrincipal> = {
        "platform-delivery": new partner.DeliveryPrincipal("platform-delivery", {
            partnerId,
            displayName: "Contoso Partner - platform delivery",
            linkCredential: "federated",
            linkFederation: { github },
            roles: [
                {
                    role: "Management Group Contributor",
                    scope: "/providers/Microsoft.Management/managementGroups/contoso-landing-zones",
                    description: "Manage the landing-zone management group hierarchy",
                },
                {
                    role: "Contributor",
                    scope: "/subscriptions/11111111-1111-4111-8111-111111111111",
                    description: "Deploy the connectivity subscription",
                },
            ],
            federatedCredentials: [{
                name: "github-production",
                issuer: "https://token.actions.githubusercontent.com",
                subject: "repo:contoso-partner/landing-zone:environment:production",
            }],
        }),
        "workload-delivery": new partner.DeliveryPrincipal("workload-delivery", {
            partnerId,
            displayName: "Contoso Partner - workload delivery",
            linkCredential: "federated",
            linkFederation: { github },
            roles: [
                { role: "Contributor", scope: "/subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups/rg-app-prod" },
                {
                    role: "Key Vault Secrets User",
                    scope: "/subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups/rg-app-prod/providers/Microsoft.KeyVault/vaults/kv-app-prod",
                },
            ],
            federatedCredentials: [{
                name: "ado-release",
                issuer: "https://vstoken.dev.azure.com/00000000-0000-4000-8000-00000000a0d0",
                subject: "sc://contoso-partner/landing-zone/workload-prod",
            }],
        }),
        // The customer's own automation principal: its role and link only; destroy leaves it and its link.
        "customer-automation": new partner.DeliveryPrincipal("customer-automation", {
            partnerId,
            linkCredential: "federated",
            linkFederation: { github },
            existingApplication: {
                clientId: "33333333-3333-4333-8333-333333333333",
                objectId: "44444444-4444-4444-8444-444444444444",
            },
            roles: [{ role: "Contributor", scope: "/subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups/rg-app-prod" }],
        }),
        // A password link (rotated every year), the other choice: docs/link-credentials.md.
        reporting: new partner.DeliveryPrincipal("reporting", {
            partnerId,
            linkCredential: "password",
            roles: [{ role: "Cost Management Reader", scope: "/subscriptions/22222222-2222-4222-8222-222222222222" }],
            credential: { rotatedOn: "2026-11-01", lifetimeDays: 365 },
        }),
    };
    return {
        principals: Object.entries(principals).map(([name, p]) => ({
            name,
            clientId: p.clientId,
            objectId: p.objectId,
            tenantId: p.tenantId,
            partnerId: p.partnerId,
            linkState: p.linkState,
            palEligible: p.palEligible,
            roleAssignmentIds: p.roleAssignmentIds,
        })),
        reportingLinkPassword: principals.reporting.clientSecret,
    };
}
