// Package landingzone declares the example stack's four delivery principals, their roles and PAL links (the same
// as Pulumi.dev.yaml) with the plugin's DeliveryPrincipal component.
package landingzone

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	pa "github.com/partner-attribution/partner-attribution/sdk/go/partnerattribution"
)

// Program declares the principals and exports `principals` (IDs and link state of each) and
// `reportingLinkPassword` (a secret).
func Program(ctx *pulumi.Context) error {
	partnerID := config.Get(ctx, "partnerId")
	if partnerID == "" {
		partnerID = "1234567"
	}
	github := &pa.LinkFederationArgs{Github: &pa.GitHubFederationArgs{
		Repository: pulumi.String("contoso-partner/landing-zone"), Branch: pulumi.String("main"),
	}}
	const prod = "/subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups/rg-app-prod"
	declared := []struct {
		name string
		args *pa.DeliveryPrincipalArgs
	}{
		{"platform-delivery", &pa.DeliveryPrincipalArgs{
			PartnerId:      pulumi.String(partnerID),
			DisplayName:    pulumi.String("Contoso Partner - platform delivery"),
			LinkCredential: pulumi.String("federated"),
			LinkFederation: github,
			Roles: pa.RoleAssignmentArray{
				&pa.RoleAssignmentArgs{
					Role:        pulumi.String("Management Group Contributor"),
					Scope:       pulumi.String("/providers/Microsoft.Management/managementGroups/contoso-landing-zones"),
					Description: pulumi.String("Manage the landing-zone management group hierarchy"),
				},
				&pa.RoleAssignmentArgs{
					Role:        pulumi.String("Contributor"),
					Scope:       pulumi.String("/subscriptions/11111111-1111-4111-8111-111111111111"),
					Description: pulumi.String("Deploy the connectivity subscription"),
				},
			},
			FederatedCredentials: pa.FederatedCredentialArray{&pa.FederatedCredentialArgs{
				Name:    pulumi.String("github-production"),
				Issuer:  pulumi.String("https://token.actions.githubusercontent.com"),
				Subject: pulumi.String("repo:contoso-partner/landing-zone:environment:production"),
			}},
		}},
		{"workload-delivery", &pa.DeliveryPrincipalArgs{
			PartnerId:      pulumi.String(partnerID),
			DisplayName:    pulumi.String("Contoso Partner - workload delivery"),
			LinkCredential: pulumi.String("federated"),
			LinkFederation: github,
			Roles: pa.RoleAssignmentArray{
				&pa.RoleAssignmentArgs{Role: pulumi.String("Contributor"), Scope: pulumi.String(prod)},
				&pa.RoleAssignmentArgs{
					Role:  pulumi.String("Key Vault Secrets User"),
					Scope: pulumi.String(prod + "/providers/Microsoft.KeyVault/vaults/kv-app-prod"),
				},
			},
			FederatedCredentials: pa.FederatedCredentialArray{&pa.FederatedCredentialArgs{
				Name:    pulumi.String("ado-release"),
				Issuer:  pulumi.String("https://vstoken.dev.azure.com/00000000-0000-4000-8000-00000000a0d0"),
				Subject: pulumi.String("sc://contoso-partner/landing-zone/workload-prod"),
			}},
		}},
		// The customer's own automation principal: its role and link only; destroy leaves it and its link.
		{"customer-automation", &pa.DeliveryPrincipalArgs{
			PartnerId:      pulumi.String(partnerID),
			LinkCredential: pulumi.String("federated"),
			LinkFederation: github,
			ExistingApplication: &pa.ExistingApplicationArgs{
				ClientId: pulumi.String("33333333-3333-4333-8333-333333333333"),
				ObjectId: pulumi.String("44444444-4444-4444-8444-444444444444"),
			},
			Roles: pa.RoleAssignmentArray{&pa.RoleAssignmentArgs{Role: pulumi.String("Contributor"), Scope: pulumi.String(prod)}},
		}},
		// A password link (rotated every year), the other choice: docs/link-credentials.md.
		{"reporting", &pa.DeliveryPrincipalArgs{
			PartnerId:      pulumi.String(partnerID),
			LinkCredential: pulumi.String("password"),
			Roles: pa.RoleAssignmentArray{&pa.RoleAssignmentArgs{
				Role: pulumi.String("Cost Management Reader"), Scope: pulumi.String("/subscriptions/22222222-2222-4222-8222-222222222222"),
			}},
			Credential: &pa.PasswordCredentialArgs{RotatedOn: pulumi.String("2026-11-01"), LifetimeDays: pulumi.Int(365)},
		}},
	}
	principals := pulumi.MapArray{}
	for _, d := range declared {
		p, err := pa.NewDeliveryPrincipal(ctx, d.name, d.args)
		if err != nil {
			return err
		}
		principals = append(principals, pulumi.Map{
			"name":              pulumi.String(d.name),
			"clientId":          p.ClientId,
			"objectId":          p.ObjectId,
			"tenantId":          p.TenantId,
			"partnerId":         p.PartnerId,
			"linkState":         p.LinkState,
			"palEligible":       p.PalEligible,
			"roleAssignmentIds": p.RoleAssignmentIds,
		})
		if d.name == "reporting" {
			ctx.Export("reportingLinkPassword", p.ClientSecret)
		}
	}
	ctx.Export("principals", principals)
	return nil
}
