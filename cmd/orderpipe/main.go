// Command orderpipe runs the order pipeline on this machine (local) and
// operates a running one, deployed or local (publish, dlq, smoke). It holds
// no Pulumi SDK, so that its first run compiles quickly; ephemeral
// environments are cmd/orderpipe-env.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/orderpipe/orderpipe/internal/cmdutil"
)

func main() {
	// A signal cancels the run; the commands then clean up what they made.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the command line args (without the program name) and returns the
// exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := &cobra.Command{Use: "orderpipe", Short: "Run the orderpipe order pipeline locally and operate a running one"}
	root.AddCommand(localCommand(stdout, stderr), publishCommand(stdout, stderr), dlqCommand(stdout, stderr), smokeCommand(stdout, stderr))
	return cmdutil.Run(ctx, root, args, stdout, stderr)
}
