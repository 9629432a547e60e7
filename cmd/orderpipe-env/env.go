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

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/middleware"
	"github.com/spf13/cobra"

	"github.com/orderpipe/orderpipe/automation"
	"github.com/orderpipe/orderpipe/internal/account"
	"github.com/orderpipe/orderpipe/internal/cmdutil"
	"github.com/orderpipe/orderpipe/internal/sdkbody"
	"github.com/orderpipe/orderpipe/spec"
)

func main() {
	cmdutil.Main(func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
		return run(ctx, args, stdout, stderr, awsAccount)
	})
}

// connect returns the AWS account of a region ("" for the configuration's)
// and the region it resolved to.
type connect func(ctx context.Context, region string) (automation.Account, string, error)

// awsAccount is the account of the AWS SDK's default configuration.
func awsAccount(ctx context.Context, region string) (automation.Account, string, error) {
	opts := []func(*config.LoadOptions) error{config.WithAPIOptions([]func(*middleware.Stack) error{sdkbody.ReadOnly})}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, "", fmt.Errorf("the AWS configuration: %w", err)
	}
	return account.NewAWS(cfg), cfg.Region, nil
}

// run runs the command line args (without the program name) and returns the
// exit code: 0, 1, or 2 when a mandatory policy failed.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, conn connect) int {
	root := &cobra.Command{Use: "orderpipe-env", Short: "Ephemeral environments of the orderpipe stack: preview, up, destroy, sweep"}
	root.AddCommand(previewCommand(stdout, stderr, conn), upCommand(stdout, stderr, conn), destroyCommand(stdout, stderr, conn), sweepCommand(stdout, stderr, conn))
	return cmdutil.Run(ctx, root, args, stdout, stderr)
}

// envFlags are the flags every env subcommand shares.
type envFlags struct {
	pr           int
	prefix       string
	backend      string
	stateDir     string
	owner        string
	region       string
	config       []string
	policyPacks  []string
	policyConfig string
	pulumiRoot   string
	projectDir   string
	cancelGrace  time.Duration
	lockWait     time.Duration
	ttl          time.Duration
	json         bool
	connect      connect
	cmd          *cobra.Command // whose flags these are: which were given
}

func (f *envFlags) register(c *cobra.Command) {
	f.cmd = c
	fl := c.Flags()
	fl.IntVar(&f.pr, "pr", 0, "pull request number: names and tags the stack")
	fl.StringVar(&f.prefix, "name", "", "stack name prefix when there is no pull request")
	fl.StringVar(&f.backend, "backend", "", "Pulumi state backend URL (default: a file backend in --state-dir when given, else $PULUMI_BACKEND_URL, else --state-dir's default)")
	fl.StringVar(&f.stateDir, "state-dir", ".orderpipe/state", "directory of the local file backend")
	fl.StringVar(&f.owner, "owner", "", "owner tag of the environments (orderpipe:owner); only resources carrying it are deleted (default: an id of the backend URL)")
	fl.StringVar(&f.region, "region", "", "AWS region (aws:region)")
	fl.StringArrayVar(&f.config, "config", nil, "orderpipe configuration as key=value; repeatable")
	fl.StringArrayVar(&f.policyPacks, "policy-pack", nil, "policy pack directory or built pack executable; repeatable")
	fl.StringVar(&f.policyConfig, "policy-config", "", "policy pack configuration file (--policy-pack-config)")
	fl.StringVar(&f.pulumiRoot, "pulumi-root", "", "directory whose bin/pulumi is the CLI to use (default: pulumi on PATH)")
	fl.StringVar(&f.projectDir, "project-dir", "", "the orderpipe checkout, which holds Pulumi.yaml (default: found above the working directory)")
	fl.DurationVar(&f.ttl, "ttl", automation.DefaultTTL, "how long the stack lives before sweep removes it")
	fl.DurationVar(&f.cancelGrace, "cancel-grace", automation.DefaultCancelGrace, "after Ctrl-C or SIGTERM, how long operations in flight may take to finish before the Pulumi CLI is killed (a second signal ends it within seconds)")
	fl.DurationVar(&f.lockWait, "lock-wait", automation.DefaultLockWait, "how long to wait for a stack locked by a run that may still be going (a lock is broken only when it was taken on this machine by a process that has ended; any other is waited for, never broken)")
	fl.BoolVar(&f.json, "json", false, "engine events as JSON lines instead of readable progress, and preview's result as JSON")
}

func (f *envFlags) options(ctx context.Context, stderr io.Writer) (automation.Options, error) {
	settings, err := spec.ParseAssignments(f.config)
	if err != nil {
		return automation.Options{}, err
	}
	backend, err := cmdutil.Backend(f.cmd, f.backend, os.Getenv("PULUMI_BACKEND_URL"))
	if err != nil {
		return automation.Options{}, err
	}
	opts := automation.Options{
		PR: f.pr, Prefix: f.prefix, Backend: backend, Owner: f.owner, Region: f.region, Config: settings,
		TTL: f.ttl, PolicyPacks: f.policyPacks, PolicyConfig: f.policyConfig,
		Progress: stderr, JSON: f.json, CancelGrace: f.cancelGrace, LockWait: f.lockWait,
		Hurry: cmdutil.Hurried(ctx),
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
	// The account finds what a killed run left and what no state knows;
	// the stack deploys to its region.
	if opts.Account, opts.Region, err = f.connect(ctx, f.region); err != nil {
		return opts, err
	}
	// A stack deployed to another region is looked after in its own.
	opts.AccountIn = func(ctx context.Context, region string) (automation.Account, error) {
		acct, _, err := f.connect(ctx, region)
		return acct, err
	}
	return opts, nil
}

// open opens the pull request's environment, or a new one.
func (f *envFlags) open(ctx context.Context, stderr io.Writer) (*automation.Env, error) {
	opts, err := f.options(ctx, stderr)
	if err != nil {
		return nil, err
	}
	return automation.Open(ctx, opts)
}

func previewCommand(stdout, stderr io.Writer, conn connect) *cobra.Command {
	f := envFlags{connect: conn}
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

func upCommand(stdout, stderr io.Writer, conn connect) *cobra.Command {
	f := envFlags{connect: conn}
	c := &cobra.Command{
		Use:   "up",
		Short: "Create or update the pull request's environment and print its outputs as JSON",
		Long: "A new stack that fails to come up, or whose run is interrupted (Ctrl-C, SIGTERM), is destroyed and removed.\n" +
			"The stack of an existing pull request is kept: destroy it with `env destroy --pr N`.\n" +
			"A stack a killed run left locked or half-created is recovered first (see --lock-wait).",
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

func destroyCommand(stdout, stderr io.Writer, conn connect) *cobra.Command {
	f := envFlags{connect: conn}
	var name string
	c := &cobra.Command{
		Use:   "destroy",
		Short: "Destroy and remove the environment of --pr, or the stack --stack",
		RunE: func(c *cobra.Command, _ []string) error {
			if name == "" && f.pr == 0 {
				return errors.New("destroy needs --pr or --stack")
			}
			opts, err := f.options(c.Context(), stderr)
			if err != nil {
				return err
			}
			ctx := c.Context()
			names := []string{name}
			if name == "" {
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

func sweepCommand(stdout, stderr io.Writer, conn connect) *cobra.Command {
	f := envFlags{connect: conn}
	var so automation.SweepOptions
	c := &cobra.Command{
		Use:   "sweep",
		Short: "Find expired ephemeral stacks and resources no stack knows; remove them with --yes",
		Long: "Lists the ephemeral stacks past their expiry (or older than --max-age) and, through the Resource Groups Tagging API,\n" +
			"the resources tagged orderpipe:ephemeral=true with this owner (--owner, default an id of the backend) whose stack the\n" +
			"backend does not have and whose own orderpipe:expires has passed (plus those stacks' IAM roles and dashboards, found by\n" +
			"name and proven theirs). Stacks locked or updated within the last hour are skipped. Without --yes it only reports;\n" +
			"with --yes (which needs --backend or --state-dir) it destroys and removes the stacks and deletes the resources.",
		RunE: func(c *cobra.Command, _ []string) error {
			backend, err := cmdutil.Backend(c, f.backend, os.Getenv("PULUMI_BACKEND_URL"))
			if err != nil {
				return err
			}
			if so.Act && backend == "" && !c.Flags().Changed("state-dir") {
				return errors.New("sweep --yes needs the backend whose environments it sweeps: pass --backend URL (or set PULUMI_BACKEND_URL) for a shared backend, or --state-dir DIR for a local one; without them it would take this checkout's default, .orderpipe/state")
			}
			opts, err := f.options(c.Context(), stderr)
			if err != nil {
				return err
			}
			report, err := automation.Sweep(c.Context(), opts, so)
			printSweep(stdout, report)
			return err
		},
	}
	f.register(c)
	c.Flags().DurationVar(&so.MaxAge, "max-age", 0, "also remove ephemeral stacks last updated longer ago than this")
	c.Flags().BoolVar(&so.Act, "yes", false, "remove what the sweep finds (without it: a dry run)")
	c.Flags().DurationVar(&so.RecentUpdate, "recent-update", automation.DefaultRecentUpdate, "leave stacks updated more recently than this, whatever their expiry (a run may be bringing them up)")
	return c
}

// printSweep writes a line for each stack and resource a sweep removed (or
// would remove) and a last line that counts them.
func printSweep(w io.Writer, r automation.SweepReport) {
	verb := "would remove"
	if r.Act {
		verb = "removed"
	}
	for _, s := range r.Stacks {
		fmt.Fprintf(w, "%s stack %s (expired)\n", verb, s)
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(w, "skipped stack %s: %s\n", s.Stack, s.Why)
	}
	for _, o := range r.Orphans {
		fmt.Fprintf(w, "%s %s (%s): stack %s is not in the backend\n", verb, account.Describe(o.ARN), o.ARN, o.Stack)
	}
	for _, o := range r.Left {
		fmt.Fprintf(w, "left %s (%s, tags %v): %s\n", account.Describe(o.ARN), o.ARN, o.Tags, o.Why)
	}
	fmt.Fprintf(w, "%s %d stacks and %d resources no stack knows", verb, len(r.Stacks), len(r.Orphans))
	if !r.Act && len(r.Stacks)+len(r.Orphans) > 0 {
		fmt.Fprint(w, "; run again with --yes to remove them")
	}
	fmt.Fprintln(w)
}
