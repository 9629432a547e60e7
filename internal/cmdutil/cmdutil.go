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
	"sync"
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
//
// A second signal closes Hurried(ctx) instead of ending the process: a CI
// runner's cancel sends SIGINT, then SIGTERM 7.5 s later, then kills the
// process tree, and a command that died on the SIGTERM would leave its
// children (the Pulumi CLI) outside that tree, running on with the stack's
// lock. A third signal has its default effect.
func Main(run func(ctx context.Context, args []string, stdout, stderr io.Writer) int) {
	ctx, stop := notify(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type hurryKey struct{}

// Hurried is closed by Main on the second signal: whatever the command still
// waits for (its own clean-up included) should end now.
func Hurried(ctx context.Context) <-chan struct{} {
	c, _ := ctx.Value(hurryKey{}).(chan struct{})
	return c // nil, which never closes, outside Main
}

// notify returns a context the first of sigs cancels and whose Hurried
// channel the second closes; the third is left to its default effect.
func notify(parent context.Context, sigs ...os.Signal) (context.Context, func()) {
	hurry := make(chan struct{})
	ctx, cancel := context.WithCancel(context.WithValue(parent, hurryKey{}, hurry))
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, sigs...)
	done := make(chan struct{})
	go func() {
		for n := 0; ; n++ {
			select {
			case <-done:
				return
			case <-ch:
			}
			switch n {
			case 0:
				cancel()
			case 1:
				close(hurry)
				signal.Reset(sigs...)
				return
			}
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
			cancel()
		})
	}
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

// Backend is the state backend the flags --backend and --state-dir choose:
// --backend, else nothing when --state-dir is given (the caller's file
// backend in it), else fromEnv ($PULUMI_BACKEND_URL), else nothing. A
// --state-dir typed on the command line wins over a variable a CI job or a
// shell set; both flags at once are refused rather than one ignored.
func Backend(c *cobra.Command, backend, fromEnv string) (string, error) {
	fl := c.Flags()
	switch {
	case fl.Changed("backend") && fl.Changed("state-dir"):
		return "", errors.New("--backend and --state-dir both name the state backend: give one")
	case fl.Changed("backend") && backend == "":
		return "", errors.New("--backend: give the backend URL (file://, s3://, https://)")
	case fl.Changed("backend"):
		return backend, nil
	case fl.Changed("state-dir"):
		return "", nil
	}
	return fromEnv, nil
}
