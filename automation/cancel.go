package automation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

// DefaultCancelGrace bounds how long a cancelled operation may take to stop.
// A create in flight (a table, a KMS key or an IAM role can take minutes)
// finishes and is recorded within it; only past it is the CLI killed.
const DefaultCancelGrace = 5 * time.Minute

// gracefulCLI runs the Pulumi CLI as the Automation API does, except on
// cancellation: the Automation API interrupts the CLI and kills it 10 s
// later, in the middle of a slow create, which leaves the stack locked with
// a pending create and the resource live but in no state. gracefulCLI
// interrupts it as Ctrl-C does, so that the CLI stops starting operations,
// lets the ones in flight finish and records them, and kills it only after
// grace.
type gracefulCLI struct {
	command string // the pulumi executable
	version semver.Version
	grace   time.Duration
	hurry   <-chan struct{} // Options.Hurry
}

// hurryGrace is how long a hurried CLI has to stop before it is killed: a
// CI runner kills the process tree 2.5 s after its SIGTERM, and a CLI
// killed by us, while we still run, is not left behind outside that tree.
const hurryGrace = 2 * time.Second

// newGracefulCLI finds the CLI in root (root/bin/pulumi), else on PATH, and
// checks its version as the Automation API does.
func newGracefulCLI(root string, grace time.Duration, hurry <-chan struct{}) (gracefulCLI, error) {
	cli, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: root})
	if err != nil {
		return gracefulCLI{}, fmt.Errorf("the Pulumi CLI: %w", err)
	}
	command := "pulumi"
	if root != "" {
		command = filepath.Join(root, "bin", "pulumi")
	} else if command, err = exec.LookPath("pulumi"); err != nil {
		return gracefulCLI{}, fmt.Errorf("the Pulumi CLI: %w", err)
	}
	if grace <= 0 {
		grace = DefaultCancelGrace
	}
	return gracefulCLI{command: command, version: cli.Version(), grace: grace, hurry: hurry}, nil
}

func (c gracefulCLI) Version() semver.Version { return c.version }

func (c gracefulCLI) Run(ctx context.Context, workdir string, stdin io.Reader, moreOut, moreErr []io.Writer,
	env []string, args ...string) (string, string, int, error) {
	flags := args
	if i := slices.Index(args, "--"); i >= 0 {
		flags = args[:i]
	}
	if !slices.Contains(flags, "--non-interactive") {
		args = append([]string{"--non-interactive"}, args...)
	}
	cmd := exec.CommandContext(ctx, c.command, args...)
	cmd.Dir = workdir
	// Plugins installed beside the CLI come first on PATH.
	path := filepath.Dir(c.command) + string(os.PathListSeparator) + os.Getenv("PATH")
	cmd.Env = append(append(os.Environ(), "PATH="+path, "PULUMI_AUTOMATION_API=true"), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = io.MultiWriter(append(moreOut, &stdout)...)
	cmd.Stderr = io.MultiWriter(append(moreErr, &stderr)...)
	cmd.Stdin = stdin
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = c.grace
	err := cmd.Start()
	if err == nil {
		stopped := make(chan struct{})
		go c.hurried(ctx, cmd.Process, stopped)
		err = cmd.Wait()
		close(stopped)
	}
	code := -2 // as the Automation API reports an unknown exit
	var exit *exec.ExitError
	switch {
	case err == nil:
		code = 0
	case errors.As(err, &exit):
		code = exit.ExitCode()
	}
	if err != nil && ctx.Err() != nil && strings.Contains(err.Error(), "killed") {
		err = fmt.Errorf("the Pulumi CLI did not stop within %v of the cancellation and was killed: %w", c.grace, err)
	}
	return stdout.String(), stderr.String(), code, err
}

// hurried ends the CLI soon once the command is hurried (a second signal):
// the Pulumi CLI takes a second interrupt as "terminate now", so it is
// interrupted up to twice (once already when ctx was cancelled), and
// killed if it has not stopped within hurryGrace.
func (c gracefulCLI) hurried(ctx context.Context, p *os.Process, stopped <-chan struct{}) {
	select {
	case <-stopped:
		return
	case <-c.hurry:
	}
	if ctx.Err() == nil {
		// Not cancelled (a clean-up runs without cancellation): the first
		// interrupt, then the second after a moment, as a user's two Ctrl-Cs.
		_ = p.Signal(os.Interrupt)
		select {
		case <-stopped:
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
	_ = p.Signal(os.Interrupt)
	select {
	case <-stopped:
	case <-time.After(hurryGrace):
		_ = p.Kill()
	}
}
