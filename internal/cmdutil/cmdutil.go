// Package cmdutil is what the orderpipe commands share: running a cobra
// command tree with exit codes CI can act on, and JSON output.
package cmdutil

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes CI can act on.
const (
	ExitOK              = 0
	ExitError           = 1
	ExitPolicyViolation = 2
)

// CodeError carries an exit code out of a command.
type CodeError struct {
	Code int
	Err  error
}

func (e CodeError) Error() string { return e.Err.Error() }
func (e CodeError) Unwrap() error { return e.Err }

// Main runs a command's run function with the process's arguments and
// standard streams, under a context that SIGINT and SIGTERM cancel (the
// commands then clean up what they made), and exits with its code.
func Main(run func(ctx context.Context, args []string, stdout, stderr io.Writer) int) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal cancels; a second one has its default effect
		// and ends the process at once.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Run runs root with args (without the program name), prints a failure once
// to stderr, prefixed with the root's name, and returns the exit code.
func Run(ctx context.Context, root *cobra.Command, args []string, stdout, stderr io.Writer) int {
	root.SilenceUsage, root.SilenceErrors = true, true
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(stderr, root.Name()+":", err)
	var ee CodeError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitError
}

// PrintJSON writes v as indented JSON.
func PrintJSON(w io.Writer, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err == nil {
		fmt.Fprintf(w, "%s\n", b)
	}
}
