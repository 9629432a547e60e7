// Command orderpipe-env runs ephemeral environments of the orderpipe stack
// through Pulumi's Automation API: a stack per pull request (or name),
// previewed with policy packs, brought up, destroyed, and swept when it
// expires.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/orderpipe/orderpipe/automation"
	"github.com/orderpipe/orderpipe/internal/cmdutil"
	"github.com/orderpipe/orderpipe/spec"
)

func main() { cmdutil.Main(run) }

// run runs the command line args (without the program name) and returns the
// exit code: 0, 1, or 2 when a mandatory policy failed.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := &cobra.Command{Use: "orderpipe-env", Short: "Ephemeral environments of the orderpipe stack: preview, up, destroy, sweep"}
	root.AddCommand(previewCommand(stdout, stderr), upCommand(stdout, stderr), destroyCommand(stdout, stderr), sweepCommand(stdout, stderr))
	return cmdutil.Run(ctx, root, args, stdout, stderr)
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
	projectDir   string
	cancelGrace  time.Duration
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
	fl.StringVar(&f.projectDir, "project-dir", "", "the orderpipe checkout, which holds Pulumi.yaml (default: found above the working directory)")
	fl.DurationVar(&f.ttl, "ttl", automation.DefaultTTL, "how long the stack lives before sweep removes it")
	fl.DurationVar(&f.cancelGrace, "cancel-grace", automation.DefaultCancelGrace, "after Ctrl-C or SIGTERM, how long operations in flight may take to finish before the Pulumi CLI is killed (a second Ctrl-C kills it at once)")
	fl.BoolVar(&f.json, "json", false, "engine events as JSON lines instead of readable progress, and preview's result as JSON")
}

func (f *envFlags) options(stderr io.Writer) (automation.Options, error) {
	config, err := spec.ParseAssignments(f.config)
	if err != nil {
		return automation.Options{}, err
	}
	opts := automation.Options{
		PR: f.pr, Prefix: f.prefix, Backend: f.backend, Region: f.region, Config: config,
		TTL: f.ttl, PolicyPacks: f.policyPacks, PolicyConfig: f.policyConfig,
		Progress: stderr, JSON: f.json, CancelGrace: f.cancelGrace,
	}
	if f.projectDir != "" {
		dir, err := filepath.Abs(f.projectDir)
		if err != nil {
			return opts, err
		}
		opts.ModuleDir = dir
	}
	if opts.Backend == "" {
		dir, err := filepath.Abs(f.stateDir)
		if err != nil {
			return opts, err
		}
		opts.StateDir = dir
	}
	if f.pulumiRoot != "" {
		root, err := filepath.Abs(f.pulumiRoot)
		if err != nil {
			return opts, err
		}
		opts.PulumiRoot = root
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

func previewCommand(stdout, stderr io.Writer) *cobra.Command {
	var f envFlags
	var summary string
	c := &cobra.Command{
		Use:   "preview",
		Short: "Preview the pull request's environment (or a new one) with the policy packs",
		Long: "Previews the stack of --pr when the backend has one, else a new ephemeral stack that is removed afterwards.\n" +
			"Prints the verdict in one line, or with --json the whole result (counts, changes, policy events) after the events.\n" +
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
				if f.json {
					cmdutil.PrintJSON(stdout, res)
				} else {
					fmt.Fprintln(stdout, verdict(res))
				}
			}
			if errors.Is(perr, automation.ErrPolicyViolation) {
				return cmdutil.CodeError{Code: cmdutil.ExitPolicyViolation, Err: perr}
			}
			return perr
		},
	}
	f.register(c)
	c.Flags().StringVar(&summary, "summary", "", "write the Markdown summary (for a PR comment) to this file")
	return c
}

// verdict is the preview's result in one line; --json gives all of it.
func verdict(r *automation.PreviewResult) string {
	var counts []string
	for _, op := range slices.Sorted(maps.Keys(r.Counts)) {
		counts = append(counts, fmt.Sprintf("%s %d", op, r.Counts[op]))
	}
	mandatory := 0
	for _, p := range r.Policies {
		if p.Level == "mandatory" {
			mandatory++
		}
	}
	switch {
	case r.Passed:
		return fmt.Sprintf("%s: passed (%s; %d advisory findings)", r.Stack, strings.Join(counts, ", "), len(r.Policies))
	case mandatory > 0:
		return fmt.Sprintf("%s: %d mandatory policy violations (above)", r.Stack, mandatory)
	}
	return fmt.Sprintf("%s: failed", r.Stack)
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
			cmdutil.PrintJSON(stdout, map[string]any{"stack": env.Name, "outputs": out})
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
