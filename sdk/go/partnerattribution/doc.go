// Microsoft Partner Admin Link (PAL) as part of every Azure deployment: delivery service principals with their Azure roles and PAL links, and Azure Lighthouse delegations.
package partnerattribution
