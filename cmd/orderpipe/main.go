// Command orderpipe runs the order pipeline on this machine (local) and
// operates a running one, deployed or local (publish, dlq, smoke). It holds
// no Pulumi SDK, so that its first run compiles quickly; ephemeral
// environments are cmd/orderpipe-env.
package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/orderpipe/orderpipe/internal/cmdutil"
)

func main() { cmdutil.Main(run) }

// run runs the command line args (without the program name) and returns the
// exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := &cobra.Command{Use: "orderpipe", Short: "Run the orderpipe order pipeline locally and operate a running one"}
	root.AddCommand(localCommand(stdout, stderr), publishCommand(stdout, stderr), dlqCommand(stdout, stderr), smokeCommand(stdout, stderr))
	return cmdutil.Run(ctx, root, args, stdout, stderr)
}
