// Command partner-attribution-go is the example stack's program in Go: `pulumi up` runs it.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"partnerattribution.local/examples/go/landingzone"
)

func main() {
	pulumi.Run(landingzone.Program)
}
