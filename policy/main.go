// Command policy is orderpipe's Pulumi policy pack, served to the engine.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/orderpipe/orderpipe/policy/rules"
)

// engineCheckInterval is how often the pack asks its engine whether it is
// still there. The engine stops the pack when it is done with it; a killed
// engine cannot, and without this check its pack served forever.
const engineCheckInterval = time.Second

func main() {
	os.Exit(run(os.Args[1:]))
}

// run serves the pack until the engine stops it or, when the engine's
// address is the first argument (as the engine starts a pack), until the
// engine stops answering its health check, as the SDK's resource providers
// do (provider.Main, with rpcutil.Healthcheck).
func run(args []string) int {
	ctx, engineGone := context.WithCancel(context.Background())
	defer engineGone()
	if len(args) > 0 {
		if err := rpcutil.Healthcheck(ctx, args[0], engineCheckInterval, engineGone); err != nil {
			fmt.Fprintf(os.Stderr, "orderpipe-policy: watch the engine at %s: %v\n", args[0], err)
			return 1
		}
	}
	served := make(chan error, 1)
	go func() { served <- policyx.Main(rules.NewPack) }()
	select {
	case err := <-served:
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	case <-ctx.Done():
		fmt.Fprintf(os.Stderr, "orderpipe-policy: the engine at %s is gone; exiting\n", args[0])
		return 0
	}
}
