// Command orderpipe is the Pulumi program of the order pipeline.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orderpipe/orderpipe/stack"
)

func main() {
	pulumi.Run(stack.Program(stack.Options{}))
}
