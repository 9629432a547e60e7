// Command orderpipe is the command line of the order pipeline.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/orderpipe/orderpipe/internal/cli"
)

func main() {
	// A signal cancels the run; the commands then clean up what they made.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
