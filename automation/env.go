// Package automation runs ephemeral stacks of the orderpipe program through
// Pulumi's Automation API: for tests, for pull-request previews with the
// policy pack, and for an environment per pull request. Stacks are tagged
// with an expiry, cleaned up also after a failure or a signal, and swept
// when they outlive it.
package automation

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orderpipe/orderpipe/internal/backendurl"
	"github.com/orderpipe/orderpipe/spec"
	"github.com/orderpipe/orderpipe/stack"
)

// Project is the Pulumi project of every ephemeral stack.
const Project = "orderpipe"

// Tags of an ephemeral stack, on the stack and on each of its resources
// (written in every create call, next to spec.TagProject and spec.TagStack):
// what recovery and the janitor read before they delete anything.
const (
	TagEphemeral = "orderpipe:ephemeral"
	TagExpires   = "orderpipe:expires" // RFC 3339, UTC
	TagPR        = "orderpipe:pr"
	// TagOwner says whose environment it is: by default a stable id of the
	// backend that holds its stack (Options.Owner overrides it), so that the
	// janitor of one backend never takes another's environments for orphans.
	TagOwner = "orderpipe:owner"
)

// DefaultTTL is how long an ephemeral stack lives before Sweep removes it.
const DefaultTTL = 24 * time.Hour

// Options describe an ephemeral environment.
type Options struct {
	PR     int    // pull request number: the stack is PRStackName's
	Prefix string // without a PR: the stack is <Prefix>-<random>; "eph" when empty

	// Backend is the Pulumi state backend URL. Empty: a local file backend
	// in StateDir. A relative file path is under this process's working
	// directory; file://~ is the account's home directory, as for the CLI.
	Backend  string
	StateDir string
	// Owner is written to every resource and stack as TagOwner; only
	// resources carrying it are ever deleted. Empty: BackendOwner of the
	// backend.
	Owner string

	Region       string            // aws:region
	Config       map[string]string // orderpipe keys, with or without the "orderpipe:" namespace
	TTL          time.Duration     // DefaultTTL when 0
	PolicyPacks  []string          // pack directories, or built pack executables
	PolicyConfig string            // a --policy-pack-config file

	PulumiRoot string // the CLI's directory, which holds bin/pulumi; empty: the pulumi on PATH
	PulumiHome string // empty: Pulumi's default
	// CancelGrace bounds how long a cancelled operation may take to stop
	// before the CLI is killed; zero: DefaultCancelGrace.
	CancelGrace time.Duration
	// Hurry, once closed, ends the CLI in flight within seconds, the
	// clean-up of a cancelled operation included (a second interrupt, then
	// a kill): a CI runner's SIGTERM, which its kill of the job follows.
	Hurry <-chan struct{}
	// Account is the AWS account the stacks deploy to, in Region. With it,
	// the resources of a killed run's pending creates that are proven ours
	// are resolved (see recoverState), and Close and Sweep delete what no
	// state knows and is proven ours; without it, a stack with pending
	// creates is left alone with an error.
	Account Account
	// AccountIn returns the account in another region: a stack is recovered
	// and cleaned up in its own region (its aws:region), whatever Region
	// says. Nil: only stacks of Region are looked after in the account.
	AccountIn func(ctx context.Context, region string) (Account, error)
	// LockWait bounds the wait for a lock that may be held by a running
	// operation, and for another run's create of a pull request's stack;
	// zero: DefaultLockWait. A lock is broken only when it was taken on
	// this machine by a process that has ended; any other is waited for.
	LockWait  time.Duration
	EnvVars   map[string]string // for the Pulumi CLI and its plugins
	ModuleDir string            // the orderpipe module, to build the function; empty: found from the working directory
	Program   pulumi.RunFunc    // nil: the orderpipe program

	Progress io.Writer // engine events, one line a step; nil: none
	JSON     bool      // Progress gets the events as JSON lines
	Now      func() time.Time

	// noLockWait: a stack locked by a run that may be going is skipped at
	// once (Sweep), not waited for.
	noLockWait bool
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// Env is one ephemeral stack of the orderpipe program.
type Env struct {
	Name     string
	Existing bool // Open found it rather than created it

	opts  Options
	stack auto.Stack
	tags  map[string]string // the program's resource tags; Select sets the stack's expiry

	mu     sync.Mutex
	closed bool
}

// errStackTaken reports a stack that exists already, or that another run is
// creating (the backend creates a stack under its lock).
var errStackTaken = errors.New("the stack exists or is being created by another run")

// New creates the ephemeral stack with its configuration and tags. With a
// PR, the stack is the PR's (PRStackName); when it exists already, or
// another run is creating it, the error wraps errStackTaken.
func New(ctx context.Context, opts Options) (*Env, error) {
	owner, err := opts.owner()
	if err != nil {
		return nil, err
	}
	tags := opts.resourceTags(owner, opts.expiry())
	name := PRStackName(opts.PR, owner, tags[TagBackend])
	if opts.PR <= 0 {
		if name, err = StackName(opts.Prefix); err != nil {
			return nil, err
		}
	}
	ws, err := opts.workspace(ctx, tags)
	if err != nil {
		return nil, err
	}
	st, err := auto.NewStack(ctx, name, ws)
	if auto.IsCreateStack409Error(err) || auto.IsConcurrentUpdateError(err) {
		return nil, fmt.Errorf("create stack %s: %w: %w", name, errStackTaken, err)
	}
	if err != nil {
		return nil, fmt.Errorf("create stack %s: %w", name, err)
	}
	e := &Env{Name: name, opts: opts, stack: st, tags: tags}
	if err := midWrite(ctx, func() error { return e.configure(ctx) }); err != nil {
		if opts.PR > 0 {
			// A PR's stack has one name for every run of the PR: another
			// run may be deploying into it (CI saw `stack rm` succeed
			// while a first run beside this one was mid-update, leaving
			// its resources in no stack). An empty stack left is harmless;
			// the PR's destroy removes it.
			return nil, err
		}
		// A random name is this run's alone: leave nothing behind, but
		// never by force.
		return nil, errors.Join(err, ws.RemoveStack(context.WithoutCancel(ctx), name))
	}
	return e, nil
}

// backendURL is the URL of the backend the stacks are kept in, resolved as
// the CLI resolves it (backendurl.Resolve): the CLI runs in a temporary
// directory of the automation API's, where a relative file backend would
// be another one than the one locked, tagged and named here.
func (o Options) backendURL() (string, error) {
	if o.Backend != "" {
		u, err := backendurl.Resolve(o.Backend)
		if err != nil {
			return "", fmt.Errorf("automation: backend: %w", err)
		}
		return u, nil
	}
	if o.StateDir == "" {
		return "", errors.New("automation: set a Backend URL or a StateDir for the local file backend")
	}
	dir, err := filepath.Abs(o.StateDir)
	if err != nil {
		return "", fmt.Errorf("automation: state directory: %w", err)
	}
	return "file://" + filepath.ToSlash(dir), nil
}

// owner is the owner tag of the environments: Options.Owner, else the
// backend's.
func (o Options) owner() (string, error) {
	if o.Owner != "" {
		return o.Owner, nil
	}
	u, err := o.backendURL()
	if err != nil {
		return "", err
	}
	return BackendOwner(u), nil
}

// BackendOwner is the default owner of the environments kept in a backend:
// "backend-" and 12 hex digits of a SHA-256 of its URL, normalised (scheme
// and host in lower case, no query, no trailing slash, a file path cleaned),
// so that one backend is one owner wherever the URL is written from.
func BackendOwner(backend string) string {
	norm := strings.TrimSpace(backend)
	if u, err := url.Parse(norm); err == nil && u.Scheme != "" {
		u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
		u.RawQuery, u.Fragment = "", ""
		if u.Scheme == "file" {
			u.Path = filepath.ToSlash(filepath.Clean(u.Path))
		}
		norm = u.String()
	}
	sum := sha256.Sum256([]byte(strings.TrimRight(norm, "/")))
	return "backend-" + hex.EncodeToString(sum[:])[:12]
}

// expiry is when a stack created or pushed now expires.
func (o Options) expiry() time.Time {
	ttl := o.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	return o.now().Add(ttl).UTC().Truncate(time.Second)
}

// workspace is the local workspace of the program, its project and backend;
// the program tags every resource with tags.
func (o Options) workspace(ctx context.Context, tags map[string]string) (auto.Workspace, error) {
	program, moduleDir := o.Program, o.ModuleDir
	if program == nil {
		if moduleDir == "" {
			var err error
			if moduleDir, err = moduleRoot(); err != nil {
				return nil, err
			}
		}
		program = stack.Program(stack.Options{
			Builder:    stack.GoBuild{ModuleDir: moduleDir, OutDir: filepath.Join(moduleDir, ".build")},
			ConfigKeys: slices.Sorted(maps.Keys(o.config())),
			Tags:       tags,
		})
	}
	backend, err := o.backendURL()
	if err != nil {
		return nil, err
	}
	if o.Backend == "" {
		if err := os.MkdirAll(o.StateDir, 0o755); err != nil {
			return nil, fmt.Errorf("automation: state directory: %w", err)
		}
	}
	env := map[string]string{"PULUMI_SKIP_UPDATE_CHECK": "true"}
	_, phrase := os.LookupEnv("PULUMI_CONFIG_PASSPHRASE")
	_, phraseFile := os.LookupEnv("PULUMI_CONFIG_PASSPHRASE_FILE")
	if !phrase && !phraseFile {
		// Ephemeral stacks hold no secrets; a self-managed backend still
		// wants a passphrase to be set.
		env["PULUMI_CONFIG_PASSPHRASE"] = ""
	}
	maps.Copy(env, o.EnvVars)
	// The CLI prefers PULUMI_BACKEND_URL to the project's backend: set, it
	// must name the backend whose lock recovery takes and whose name the
	// tags carry, not one a CI secret or a shell left beside --state-dir.
	backend = backendurl.NoSidecars(backend)
	env["PULUMI_BACKEND_URL"] = backend
	wsOpts := []auto.LocalWorkspaceOption{
		auto.Program(program),
		auto.Project(workspace.Project{
			Name:    Project,
			Runtime: workspace.NewProjectRuntimeInfo("go", nil),
			Backend: &workspace.ProjectBackend{URL: backend},
		}),
		auto.EnvVars(env),
	}
	cli, err := newGracefulCLI(o.PulumiRoot, o.CancelGrace, o.Hurry)
	if err != nil {
		return nil, err
	}
	wsOpts = append(wsOpts, auto.Pulumi(cli))
	if o.PulumiHome != "" {
		wsOpts = append(wsOpts, auto.PulumiHome(o.PulumiHome))
	}
	ws, err := auto.NewLocalWorkspace(ctx, wsOpts...)
	if err != nil {
		return nil, fmt.Errorf("automation: workspace: %w", err)
	}
	if err := checkAWSPlugin(ctx, ws, env, moduleDir); err != nil {
		return nil, err
	}
	return ws, nil
}

// config is the stack configuration the environment sets, keys with their
// namespace. An ephemeral stack must be destroyable whatever its name says
// (prefix "prod" would make it production-like), so its table has no
// deletion protection unless the caller asks for it by name.
func (o Options) config() map[string]string {
	cfg := map[string]string{spec.Namespace + ":deletionProtection": "false"}
	if o.Region != "" {
		cfg["aws:region"] = o.Region
	}
	for k, v := range o.Config {
		if !strings.Contains(k, ":") {
			k = spec.Namespace + ":" + k
		}
		cfg[k] = v
	}
	return cfg
}

func (e *Env) configure(ctx context.Context) error {
	cfg := auto.ConfigMap{}
	for k, v := range e.opts.config() {
		cfg[k] = auto.ConfigValue{Value: v}
	}
	if len(cfg) > 0 {
		if err := e.stack.SetAllConfig(ctx, cfg); err != nil {
			return fmt.Errorf("configure %s: %w", e.Name, err)
		}
	}
	// The stack carries what its resources carry.
	tags := map[string]string{TagEphemeral: "true", TagExpires: e.tags[TagExpires], TagOwner: e.tags[TagOwner]}
	if e.opts.PR > 0 {
		tags[TagPR] = strconv.Itoa(e.opts.PR)
	}
	// orderpipe:ephemeral last: a sweep takes a stack for an environment by
	// it, and one that listed the stack between the two would find no
	// expiry and take it for expired.
	keys := slices.DeleteFunc(slices.Sorted(maps.Keys(tags)), func(k string) bool { return k == TagEphemeral })
	for _, k := range append(keys, TagEphemeral) {
		v := tags[k]
		if err := e.stack.Workspace().SetTag(ctx, e.Name, k, v); err != nil {
			return fmt.Errorf("tag %s: %w", e.Name, err)
		}
	}
	return nil
}

var nonName = regexp.MustCompile(`[^a-z0-9-]+`)

// PRStackName is the stack of pull request pr's environment among the
// environments of owner in backend (its id, BackendOwner):
// pr-<pr>-<8 hex digits of a SHA-256 of both>. Every
// run of the PR names the same stack, so that two first runs at once create
// one (the backend creates a stack under its lock and refuses a second);
// two owners (backends, repositories) sharing an account name different
// stacks, and so different physical names.
func PRStackName(pr int, owner, backend string) string {
	// Both: one owner may span backends (the same --owner on a laptop and
	// in CI), and every physical name derives from the stack's, so two
	// backends' stacks of one PR must not share a name in one account.
	sum := sha256.Sum256([]byte(owner + "\x00" + backend))
	return fmt.Sprintf("pr-%d-%s", pr, hex.EncodeToString(sum[:4]))
}

// StackName is a new, unique stack name for an environment without a pull
// request: <prefix>-<random>. It is short and lower case, so that the
// stack's physical names stay readable; spec.Namer keeps them within AWS's
// limits in any case.
func StackName(prefix string) (string, error) {
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("automation: random stack suffix: %w", err)
	}
	suffix := fmt.Sprintf("%x", b)[:8]
	prefix = strings.Trim(nonName.ReplaceAllString(strings.ToLower(prefix), "-"), "-")
	if prefix == "" {
		prefix = "eph"
	}
	if len(prefix) > 20 {
		prefix = strings.TrimRight(prefix[:20], "-")
	}
	return prefix + "-" + suffix, nil
}

// Up deploys the stack and returns its outputs. What a killed run left (a
// lock, pending creates) is recovered first.
func (e *Env) Up(ctx context.Context) (map[string]any, error) {
	var res auto.UpResult
	err := e.run(ctx, func(ctx context.Context) error {
		p := e.progress()
		opts := []optup.Option{optup.EventStreams(p.events)}
		if len(e.opts.PolicyPacks) > 0 {
			opts = append(opts, optup.PolicyPacks(e.opts.PolicyPacks...))
		}
		if e.opts.PolicyConfig != "" {
			opts = append(opts, optup.PolicyPackConfigs(e.opts.PolicyConfig))
		}
		var err error
		res, err = e.stack.Up(ctx, opts...)
		p.wait()
		if err != nil {
			return p.fail("update", e.Name, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for k, v := range res.Outputs {
		out[k] = v.Value
	}
	return out, nil
}

// Outputs are the stack's current outputs.
func (e *Env) Outputs(ctx context.Context) (map[string]any, error) {
	res, err := e.stack.Outputs(ctx)
	if err != nil {
		return nil, fmt.Errorf("outputs of %s: %w", e.Name, err)
	}
	out := map[string]any{}
	for k, v := range res {
		out[k] = v.Value
	}
	return out, nil
}

// Destroy deletes the stack's resources and keeps the stack. What a killed
// run left (a lock, pending creates) is recovered first; a resource that
// fails to delete does not keep the others.
func (e *Env) Destroy(ctx context.Context) error {
	return e.run(ctx, e.destroy)
}

func (e *Env) destroy(ctx context.Context) error {
	p := e.progress()
	_, err := e.stack.Destroy(ctx, optdestroy.EventStreams(p.events), optdestroy.ContinueOnError())
	p.wait()
	if err != nil {
		return p.fail("destroy", e.Name, err)
	}
	return nil
}

// closeTimeout bounds the cleanup that runs after the caller gave up.
const closeTimeout = 10 * time.Minute

// Close destroys the stack's resources, deletes any resource of the stack
// left in the account that no state knows (with Options.Account), and
// removes the stack. It runs to the end even when ctx is already cancelled
// (after a failure or a signal), and a second call does nothing.
func (e *Env) Close(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
	defer cancel()
	// A stack that never deployed anything (a preview's) cannot have left
	// anything in the account: the engine records a create as pending
	// before it starts it.
	var before state
	err := e.run(ctx, func(ctx context.Context) error {
		var err error
		if before, err = e.readState(ctx); err != nil {
			return err
		}
		return e.destroy(ctx)
	})
	if err != nil {
		return err
	}
	// What the state knew the destroy has deleted, even while the Tagging
	// API still lists it; anything else proven this stack's leaked. The
	// stack stays in the backend until that is gone too, so that a failure
	// here leaves it for Sweep.
	if before.resources > 0 {
		if err := e.deleteLeaks(ctx, before); err != nil {
			return err
		}
	}
	err = e.run(ctx, func(ctx context.Context) error { return e.stack.Workspace().RemoveStack(ctx, e.Name) })
	if err != nil {
		return fmt.Errorf("remove %s: %w", e.Name, err)
	}
	e.closed = true
	return nil
}

// moduleRoot finds the orderpipe module above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/orderpipe/orderpipe\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			wd, _ := os.Getwd()
			return "", fmt.Errorf("%s is not inside the orderpipe project: run it from the orderpipe checkout (the directory that holds Pulumi.yaml and go.mod), or give its directory (--project-dir, Options.ModuleDir)", wd)
		}
		dir = parent
	}
}

// Open returns the environment of opts.PR when the backend has one, so that
// each push to a pull request updates the same stack; otherwise, or without
// a PR, it creates a new one. Existing tells which. When another run is
// creating the PR's stack, Open waits (up to LockWait) until that run has
// tagged it, and returns it.
func Open(ctx context.Context, opts Options) (*Env, error) {
	if opts.PR <= 0 {
		return New(ctx, opts)
	}
	deadline := time.Now().Add(opts.lockWait())
	for {
		names, err := FindPR(ctx, opts)
		if err != nil {
			return nil, err
		}
		if len(names) > 0 {
			e, err := Select(ctx, opts, names[0])
			if err != nil {
				return nil, err
			}
			// Refresh the configuration and push the expiry back, on the
			// stack and, with the update, on its resources.
			e.tags[TagExpires] = opts.expiry().Format(time.RFC3339)
			if err := e.configure(ctx); err != nil {
				return nil, err
			}
			return e, nil
		}
		e, err := New(ctx, opts)
		if !errors.Is(err, errStackTaken) {
			return e, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w; after %v it is still not tagged as the environment of PR %d", err, opts.lockWait(), opts.PR)
		}
		if opts.Progress != nil && !opts.JSON {
			fmt.Fprintf(opts.Progress, "open     the stack of PR %d is being created by another run: waiting for it\n", opts.PR)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// FindPR lists the stacks of the backend tagged with opts.PR.
func FindPR(ctx context.Context, opts Options) ([]string, error) {
	ws, err := opts.workspace(ctx, nil)
	if err != nil {
		return nil, err
	}
	stacks, err := ephemeralStacks(ctx, ws)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, s := range stacks {
		if s.Tags[TagPR] == strconv.Itoa(opts.PR) {
			names = append(names, s.Name)
		}
	}
	return names, nil
}

// ErrNotEphemeral reports a stack that is not an ephemeral environment:
// one without the TagEphemeral tag, which nothing here destroys.
var ErrNotEphemeral = errors.New("not an ephemeral environment")

// Select returns the environment of an existing ephemeral stack. A stack
// without the TagEphemeral tag (staging, production) is refused with
// ErrNotEphemeral: an environment's Close destroys and removes it. The
// environment keeps the stack's owner and expiry.
func Select(ctx context.Context, opts Options, name string) (*Env, error) {
	name, err := plainStackName(name)
	if err != nil {
		return nil, err
	}
	tags := map[string]string{}
	ws, err := opts.workspace(ctx, tags)
	if err != nil {
		return nil, err
	}
	st, err := selectStack(ctx, name, ws)
	if err != nil {
		return nil, fmt.Errorf("select %s: %w", name, err)
	}
	stackTags, err := listTags(ctx, ws, name)
	if err != nil {
		return nil, err
	}
	if stackTags[TagEphemeral] != "true" {
		return nil, fmt.Errorf("%s: %w (it has no %s=true tag): orderpipe-env destroys only the stacks it created; use `pulumi destroy --stack %s` for it",
			name, ErrNotEphemeral, TagEphemeral, name)
	}
	owner := stackTags[TagOwner]
	if owner == "" { // a stack created before owners were recorded
		if owner, err = opts.owner(); err != nil {
			return nil, err
		}
	}
	expires := opts.expiry()
	if t, err := time.Parse(time.RFC3339, stackTags[TagExpires]); err == nil {
		expires = t
	}
	maps.Copy(tags, opts.resourceTags(owner, expires))
	return &Env{Name: name, opts: opts, stack: st, tags: tags, Existing: true}, nil
}

// selectStack selects the stack, again when its checkpoint was read mid-write
// (midWrite).
func selectStack(ctx context.Context, name string, ws auto.Workspace) (st auto.Stack, err error) {
	err = midWrite(ctx, func() error {
		st, err = auto.SelectStack(ctx, name, ws)
		return err
	})
	return st, err
}

// listTags are the stack's tags, read again when its checkpoint was read
// mid-write (midWrite).
func listTags(ctx context.Context, ws auto.Workspace, name string) (tags map[string]string, err error) {
	err = midWrite(ctx, func() error {
		tags, err = ws.ListTags(ctx, name)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("tags of %s: %w", name, err)
	}
	return tags, nil
}

// midWrite runs f, which reads the stack's checkpoint, again while it fails
// reading what another CLI is writing (readMidWrite), for up to 30 s, at
// jittered intervals so as not to keep meeting the writer's rhythm. Runs of
// this package write no sidecars (backendurl.NoSidecars), whose in-place
// rewrite a checkpoint read met; a CLI run by hand on the same file backend
// still writes them, and any run's temporary files are still listed.
func midWrite(ctx context.Context, f func() error) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) || !readMidWrite(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(200*time.Millisecond + mrand.N(500*time.Millisecond)):
		}
	}
}

// readMidWrite says whether err is the CLI's failure to read a file
// backend while another run writes it: a checkpoint read as it was
// rewritten, or a listing of a directory in which a temporary file was
// renamed between the listing and its stat (the Go CDK's file store lists
// the CLI's temporary files, which it writes beside the final ones).
// An OpError says the CLI's error in short: each error of the chain is
// read.
func readMidWrite(err error) bool {
	for ; err != nil; err = errors.Unwrap(err) {
		msg := err.Error()
		if strings.Contains(msg, "failed to load checkpoint") ||
			strings.Contains(msg, "could not list bucket") && strings.Contains(msg, "code=NotFound") && strings.Contains(msg, ".tmp") {
			return true
		}
	}
	return false
}

// plainStackName is name without the organization and project a user may
// write before it (organization/orderpipe/x, organization/x, as the CLI
// takes them): every name the environment derives (its lock, its
// resources' names and tags) is the plain one.
func plainStackName(name string) (string, error) {
	parts := strings.Split(name, "/")
	switch {
	case len(parts) == 1 && name != "":
		return name, nil
	case len(parts) == 2 && parts[0] == "organization" && parts[1] != "":
		return parts[1], nil
	case len(parts) == 3 && parts[0] == "organization" && parts[1] == Project && parts[2] != "":
		return parts[2], nil
	}
	return "", fmt.Errorf("stack %q: give its name (organization/%s/<name> or <name>): a self-managed backend's stacks are the organization's, of project %s", name, Project, Project)
}
