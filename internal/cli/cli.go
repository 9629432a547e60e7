// Package cli is the orderpipe command line: the local run, ephemeral
// environments (env preview, up, destroy, sweep), and the operator's tools
// (publish, dlq list and redrive, smoke).
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/spf13/cobra"

	"github.com/orderpipe/orderpipe/automation"
)

// Exit codes CI can act on.
const (
	ExitOK              = 0
	ExitError           = 1
	ExitPolicyViolation = 2
)

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

// Run runs the command line args (without the program name) and returns the
// exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(ctx, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(stderr, "orderpipe:", err)
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return ExitError
}

func newRoot(ctx context.Context, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "orderpipe",
		Short:         "Run and operate the orderpipe order pipeline",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(envCommand(stdout, stderr), localCommand(stdout, stderr), publishCommand(stdout, stderr),
		dlqCommand(stdout, stderr), smokeCommand(stdout, stderr))
	return root
}

// envFlags are the flags every env subcommand shares.
type envFlags struct {
	pr           int
	prefix       string
	backend      string
	stateDir     string
	region       string
	config       []string
	policyPacks  []string
	policyConfig string
	pulumiRoot   string
	ttl          time.Duration
	json         bool
}

func (f *envFlags) register(c *cobra.Command) {
	fl := c.Flags()
	fl.IntVar(&f.pr, "pr", 0, "pull request number: names and tags the stack")
	fl.StringVar(&f.prefix, "name", "", "stack name prefix when there is no pull request")
	fl.StringVar(&f.backend, "backend", os.Getenv("PULUMI_BACKEND_URL"), "Pulumi state backend URL (default $PULUMI_BACKEND_URL, else a file backend in --state-dir)")
	fl.StringVar(&f.stateDir, "state-dir", ".orderpipe/state", "directory of the local file backend")
	fl.StringVar(&f.region, "region", "", "AWS region (aws:region)")
	fl.StringArrayVar(&f.config, "config", nil, "orderpipe configuration as key=value; repeatable")
	fl.StringArrayVar(&f.policyPacks, "policy-pack", nil, "policy pack directory or built pack executable; repeatable")
	fl.StringVar(&f.policyConfig, "policy-config", "", "policy pack configuration file (--policy-pack-config)")
	fl.StringVar(&f.pulumiRoot, "pulumi-root", "", "directory whose bin/pulumi is the CLI to use (default: pulumi on PATH)")
	fl.DurationVar(&f.ttl, "ttl", automation.DefaultTTL, "how long the stack lives before sweep removes it")
	fl.BoolVar(&f.json, "json", false, "engine events as JSON lines instead of readable progress")
}

func (f *envFlags) options(stderr io.Writer) (automation.Options, error) {
	config, err := parseConfig(f.config)
	if err != nil {
		return automation.Options{}, err
	}
	opts := automation.Options{
		PR: f.pr, Prefix: f.prefix, Backend: f.backend, Region: f.region, Config: config,
		TTL: f.ttl, PolicyPacks: f.policyPacks, PolicyConfig: f.policyConfig,
		Progress: stderr, JSON: f.json,
	}
	if opts.Backend == "" {
		dir, err := filepath.Abs(f.stateDir)
		if err != nil {
			return opts, err
		}
		opts.StateDir = dir
	}
	if f.pulumiRoot != "" {
		cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: f.pulumiRoot})
		if err != nil {
			return opts, fmt.Errorf("--pulumi-root %s: %w", f.pulumiRoot, err)
		}
		opts.Pulumi = cmd
	}
	return opts, nil
}

// open opens the pull request's environment, or a new one.
func (f *envFlags) open(ctx context.Context, stderr io.Writer) (*automation.Env, error) {
	opts, err := f.options(stderr)
	if err != nil {
		return nil, err
	}
	return automation.Open(ctx, opts)
}

// parseConfig reads --config key=value flags.
func parseConfig(kvs []string) (map[string]string, error) {
	config := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--config %q: want key=value", kv)
		}
		config[k] = v
	}
	return config, nil
}

func envCommand(stdout, stderr io.Writer) *cobra.Command {
	env := &cobra.Command{Use: "env", Short: "Ephemeral environments: preview, up, destroy, sweep"}
	env.AddCommand(previewCommand(stdout, stderr), upCommand(stdout, stderr), destroyCommand(stdout, stderr), sweepCommand(stdout, stderr))
	return env
}

func previewCommand(stdout, stderr io.Writer) *cobra.Command {
	var f envFlags
	var summary string
	c := &cobra.Command{
		Use:   "preview",
		Short: "Preview the pull request's environment (or a new one) with the policy packs",
		Long: "Previews the stack of --pr when the backend has one, else a new ephemeral stack that is removed afterwards.\n" +
			"Exit codes: 0 passed, 2 a mandatory policy failed, 1 any other failure.",
		RunE: func(c *cobra.Command, _ []string) (err error) {
			ctx := c.Context()
			env, err := f.open(ctx, stderr)
			if err != nil {
				return err
			}
			if !env.Existing {
				defer func() { err = errors.Join(err, env.Close(ctx)) }()
			}
			res, perr := env.Preview(ctx)
			if res != nil {
				if summary != "" {
					if err := os.WriteFile(summary, []byte(res.Markdown()), 0o644); err != nil {
						return err
					}
				}
				printJSON(stdout, res)
			}
			if errors.Is(perr, automation.ErrPolicyViolation) {
				return exitError{ExitPolicyViolation, perr}
			}
			return perr
		},
	}
	f.register(c)
	c.Flags().StringVar(&summary, "summary", "", "write the Markdown summary (for a PR comment) to this file")
	return c
}

func upCommand(stdout, stderr io.Writer) *cobra.Command {
	var f envFlags
	c := &cobra.Command{
		Use:   "up",
		Short: "Create or update the pull request's environment and print its outputs as JSON",
		Long: "A new stack that fails to come up, or whose run is interrupted (Ctrl-C, SIGTERM), is destroyed and removed.\n" +
			"The stack of an existing pull request is kept: destroy it with `env destroy --pr N`.",
		RunE: func(c *cobra.Command, _ []string) (err error) {
			ctx := c.Context()
			env, err := f.open(ctx, stderr)
			if err != nil {
				return err
			}
			fmt.Fprintln(stderr, "stack:", env.Name)
			out, err := env.Up(ctx)
			if err != nil {
				if !env.Existing {
					err = errors.Join(err, env.Close(ctx))
				}
				return err
			}
			printJSON(stdout, map[string]any{"stack": env.Name, "outputs": out})
			return nil
		},
	}
	f.register(c)
	return c
}

func destroyCommand(stdout, stderr io.Writer) *cobra.Command {
	var f envFlags
	var name string
	c := &cobra.Command{
		Use:   "destroy",
		Short: "Destroy and remove the environment of --pr, or the stack --stack",
		RunE: func(c *cobra.Command, _ []string) error {
			opts, err := f.options(stderr)
			if err != nil {
				return err
			}
			ctx := c.Context()
			names := []string{name}
			if name == "" {
				if f.pr == 0 {
					return errors.New("destroy needs --pr or --stack")
				}
				if names, err = automation.FindPR(ctx, opts); err != nil {
					return err
				}
			}
			for _, n := range names {
				env, err := automation.Select(ctx, opts, n)
				if err != nil {
					return err
				}
				if err := env.Close(ctx); err != nil {
					return err
				}
				fmt.Fprintln(stdout, "removed", n)
			}
			return nil
		},
	}
	f.register(c)
	c.Flags().StringVar(&name, "stack", "", "the stack to destroy")
	return c
}

func sweepCommand(stdout, stderr io.Writer) *cobra.Command {
	var f envFlags
	var maxAge time.Duration
	c := &cobra.Command{
		Use:   "sweep",
		Short: "Destroy and remove the ephemeral stacks past their expiry (or older than --max-age)",
		RunE: func(c *cobra.Command, _ []string) error {
			opts, err := f.options(stderr)
			if err != nil {
				return err
			}
			removed, err := automation.Sweep(c.Context(), opts, maxAge)
			for _, n := range removed {
				fmt.Fprintln(stdout, "removed", n)
			}
			return err
		},
	}
	f.register(c)
	c.Flags().DurationVar(&maxAge, "max-age", 0, "also remove ephemeral stacks last updated longer ago than this")
	return c
}

func printJSON(w io.Writer, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err == nil {
		fmt.Fprintf(w, "%s\n", b)
	}
}
