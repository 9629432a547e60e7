package automation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/orderpipe/orderpipe/internal/account"
	"github.com/orderpipe/orderpipe/internal/stacklock"
	"github.com/orderpipe/orderpipe/spec"
)

// Defaults of the recovery from a killed run.
const (
	// DefaultLockWait bounds the wait for a stack locked by a run that may
	// still be going.
	DefaultLockWait = 2 * time.Minute
	// stepTimeout bounds each step of a recovery that talks to the account.
	stepTimeout = 5 * time.Minute
)

// Account is what an environment needs of its AWS account to recover from a
// killed run and to find what no state knows: account.AWS, or a stand-in.
type Account interface {
	// Tagged returns one page of the resources carrying every tag of
	// filter, and the next page's token ("" after the last).
	Tagged(ctx context.Context, filter map[string]string, token string) ([]account.Resource, string, error)
	// Find returns the resource of a pulumi-aws type with this physical
	// name, if it exists, tagged or not.
	Find(ctx context.Context, typ, name string) (account.Resource, bool, error)
	// Delete deletes the resource; one already gone is no error.
	Delete(ctx context.Context, r account.Resource) error
}

// TagBackend says which backend holds the stack of a resource: BackendOwner
// of its URL. An owner (--owner, the repository) may be shared by several
// backends (CI's, a laptop's); the janitor of one takes for orphans only
// resources of its own backend, as only its own stacks can tell it which
// environments are gone.
const TagBackend = "orderpipe:backend"

// resourceTags are the tags an environment puts on every resource that takes
// tags (besides the program's project and stack), so that recovery and the
// janitor can prove a resource is theirs before they delete it.
func (o Options) resourceTags(owner string, expires time.Time) map[string]string {
	tags := map[string]string{TagEphemeral: "true", TagOwner: owner, TagExpires: expires.UTC().Format(time.RFC3339)}
	// Without a backend URL there is no workspace, and no resource to tag.
	if u, err := o.backendURL(); err == nil {
		tags[TagBackend] = BackendOwner(u)
	}
	if o.PR > 0 {
		tags[TagPR] = strconv.Itoa(o.PR)
	}
	return tags
}

// stackFilter selects the resources of one ephemeral stack.
func stackFilter(stack string) map[string]string {
	return map[string]string{TagEphemeral: "true", spec.TagProject: Project, spec.TagStack: stack}
}

func (e *Env) say(format string, args ...any) {
	if e.opts.Progress != nil && !e.opts.JSON {
		fmt.Fprintf(e.opts.Progress, "recover  "+format+"\n", args...)
	}
}

// ErrBusy reports a stack locked by a run that may still be going, which
// Sweep leaves for its next run rather than wait for.
var ErrBusy = errors.New("locked by a run that may still be going")

func (o Options) lockWait() time.Duration {
	if o.LockWait > 0 {
		return o.LockWait
	}
	return DefaultLockWait
}

// withLock runs f holding the stack's lock, taken as the Pulumi CLI takes it
// (internal/stacklock), so that no engine operation runs on the stack
// meanwhile and f reads no run's work in flight. A lock whose run is
// certainly gone (taken on this machine by a process that has ended) is
// removed, that lock file alone; any other is waited for, up to LockWait
// (not at all for Sweep: ErrBusy), and never broken. A backend whose lock
// cannot be taken here (Pulumi Cloud) runs f with a nil lock: f must then
// change nothing.
func (e *Env) withLock(ctx context.Context, f func(ctx context.Context, held *stacklock.Held) error) (err error) {
	backend, err := e.opts.backendURL()
	if err != nil {
		return err
	}
	b, err := stacklock.Open(ctx, backend, Project)
	if errors.Is(err, stacklock.ErrUnsupported) {
		return f(ctx, nil)
	}
	if err != nil {
		return fmt.Errorf("take the lock of %s: %w", e.Name, err)
	}
	defer b.Close()
	// A hurried run (the runner's SIGTERM; its kill follows in 2.5 s)
	// stops what it does under the lock, a clean-up's waits included, so
	// that it releases the lock before it is killed with it.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-e.opts.Hurry:
			cancel()
		case <-ctx.Done():
		}
	}()
	held, err := e.lock(ctx, b)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, held.Release(ctx)) }()
	return f(ctx, held)
}

// lock takes the stack's lock in b, removing the locks of runs that are
// gone and waiting for the others.
func (e *Env) lock(ctx context.Context, b *stacklock.Backend) (*stacklock.Held, error) {
	deadline := time.Now().Add(e.opts.lockWait())
	for broken := 0; ; {
		held, err := b.Lock(ctx, e.Name)
		var locked *stacklock.LockedError
		if !errors.As(err, &locked) {
			return held, err
		}
		var live []stacklock.Lock
		var why []string
		for _, l := range locked.Locks {
			// Bounded: a holder judged gone again and again is a bug,
			// not a reason to go on removing files.
			gone, reason := l.Gone(time.Now())
			if !gone || broken >= 10 {
				live = append(live, l)
				why = append(why, fmt.Sprintf("%s: %s", l, reason))
				continue
			}
			e.say("removing the lock %s of %s (%s): %s", l.URL, e.Name, l, reason)
			if err := b.Break(ctx, l); err != nil {
				return nil, err
			}
			broken++
		}
		if len(live) == 0 {
			continue
		}
		if e.opts.noLockWait {
			return nil, fmt.Errorf("%s is %w: %s", e.Name, ErrBusy, strings.Join(why, "; "))
		}
		left := time.Until(deadline)
		if left <= 0 {
			hints := make([]string, len(live))
			for i, l := range live {
				hints[i] = removeHint(l.URL)
			}
			return nil, fmt.Errorf("%s is still locked after %v by %s; a lock that may be held is never broken: once you know that run is gone, remove its lock file (%s) and run again",
				e.Name, e.opts.lockWait(), strings.Join(why, "; "), strings.Join(hints, "; "))
		}
		e.say("%s is locked by %s: waiting for it (%v left)", e.Name, strings.Join(why, "; "), left.Round(time.Second))
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the lock of %s: %w", e.Name, ctx.Err())
		case <-time.After(min(2*time.Second, left)):
		}
	}
}

// removeHint is the command that removes a lock file by hand.
func removeHint(lockURL string) string {
	if p, ok := strings.CutPrefix(lockURL, "file://"); ok {
		return "rm " + p
	}
	if strings.HasPrefix(lockURL, "s3://") {
		return "aws s3 rm " + lockURL
	}
	return lockURL
}

// run runs op, an engine operation that takes the stack's lock, after
// recovering what a killed run left. A run that takes the lock between
// recovery's release and op's (the CLI then refuses op) is met by
// recovering again from the start, which waits for it, up to LockWait.
func (e *Env) run(ctx context.Context, op func(context.Context) error) error {
	deadline := time.Now().Add(e.opts.lockWait())
	for {
		if err := e.recoverState(ctx); err != nil {
			return err
		}
		err := op(ctx)
		// The CLI's lock check lists the stack's lock directory, where
		// another run may be renaming a temporary file: the listing fails,
		// before the CLI writes its lock or after it removed it again
		// (pkg/backend/diy/lock.go), so the operation can run again as
		// after a lock it met.
		midWrite := err != nil && readMidWrite(err)
		if !auto.IsConcurrentUpdateError(err) && !midWrite {
			return err
		}
		if e.opts.noLockWait {
			return fmt.Errorf("%s is %w: %w", e.Name, ErrBusy, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s is still locked after %v: %w", e.Name, e.opts.lockWait(), err)
		}
		if midWrite {
			e.say("%s was read while another run wrote to the backend: recovering again", e.Name)
		} else {
			e.say("%s was locked by another run as the operation began: recovering again", e.Name)
		}
		// Pulumi Cloud's lock cannot be waited for in recovery: a pause.
		select {
		case <-ctx.Done():
			return err
		case <-time.After(2 * time.Second):
		}
	}
}

// pending is an operation a killed run (or a run in flight) left in the
// stack's state.
type pending struct {
	URN, Type, Op string
	Name          string // the physical name of its inputs; "" for a type without one
}

// state is what recovery reads of a stack's state: its pending operations,
// the ARNs and ids of the resources it knows, and the region its AWS
// provider deploys to.
type state struct {
	pending   []pending
	known     map[string]bool
	urns      map[string]bool
	resources int // resources other than the stack and its providers
	region    string
}

// knows reports whether the state holds the resource with the ARN.
func (s state) knows(arn string) bool {
	return s.known[strings.TrimSuffix(arn, ":*")] || s.known[account.Name(arn)]
}

// creates are the pending creates of s.
func (s state) creates() []pending {
	var out []pending
	for _, p := range s.pending {
		if p.Op == string(apitype.OperationTypeCreating) {
			out = append(out, p)
		}
	}
	return out
}

func (e *Env) readState(ctx context.Context) (state, error) {
	raw, err := e.stack.Export(ctx)
	if err != nil {
		return state{}, fmt.Errorf("export the state of %s: %w", e.Name, err)
	}
	s := state{known: map[string]bool{}, urns: map[string]bool{}}
	if len(raw.Deployment) == 0 {
		return s, nil
	}
	var d apitype.DeploymentV3
	if err := json.Unmarshal(raw.Deployment, &d); err != nil {
		return state{}, fmt.Errorf("read the state of %s: %w", e.Name, err)
	}
	for _, r := range d.Resources {
		s.urns[string(r.URN)] = true
		switch {
		case r.Type == "pulumi:providers:aws":
			if v, ok := r.Inputs["region"].(string); ok && s.region == "" {
				s.region = v
			}
		case !strings.HasPrefix(string(r.Type), "pulumi:"):
			s.resources++
		}
		if r.ID != "" {
			s.known[string(r.ID)] = true
		}
		for _, k := range []string{"arn", "dashboardArn"} {
			if v, ok := r.Outputs[k].(string); ok {
				s.known[strings.TrimSuffix(v, ":*")] = true
			}
		}
	}
	for _, op := range d.PendingOperations {
		p := pending{URN: string(op.Resource.URN), Type: string(op.Resource.Type), Op: string(op.Type)}
		for _, k := range []string{"name", "dashboardName"} {
			if v, ok := op.Resource.Inputs[k].(string); ok {
				p.Name = v
			}
		}
		s.pending = append(s.pending, p)
	}
	return s, nil
}

// account is the AWS account of the stack's own region: its provider's in
// the state (where Pulumi's destroy will act), else its aws:region
// configuration, else Options.Region.
func (e *Env) account(ctx context.Context, s state) (Account, string, error) {
	region := s.region
	if region == "" {
		if v, err := e.stack.GetConfig(ctx, "aws:region"); err == nil {
			region = v.Value
		}
	}
	if region == "" || region == e.opts.Region {
		return e.opts.Account, e.opts.Region, nil
	}
	if e.opts.AccountIn == nil {
		return nil, region, fmt.Errorf("%s is deployed to %s, and there is an account only for %s (Options.AccountIn): nothing was looked up or deleted", e.Name, region, e.opts.Region)
	}
	acct, err := e.opts.AccountIn(ctx, region)
	if err != nil {
		return nil, region, fmt.Errorf("the account in %s, where %s is deployed: %w", region, e.Name, err)
	}
	return acct, region, nil
}

// recoverState resolves what a killed run left in the state, holding the
// stack's lock from before it reads the state until it has written it: a
// run in flight holds the lock, so its creates are never taken for a
// killed run's. Each pending create's resource is looked up in the account:
// one proven this stack's and owner's is deleted (waiting until it is gone,
// so that the next update can create it anew under its name); anything
// else is reported and left alone; then the pending creates are dropped
// from the checkpoint, under the same lock. An import a run left pending is
// never deleted.
//
// Why not `pulumi refresh --import-pending-creates --clear-pending-creates`:
// the pinned CLI (3.274.1) edits the checkpoint for those flags with a read
// before it takes the lock and a write under it (TotalStateEdit), so a run
// that finishes in between has its final state overwritten by its own
// snapshot in flight; and its `up` and `destroy` carry pending creates over
// into every new checkpoint (backend/snapshot.go), so they must be dropped.
// On a backend whose lock cannot be taken here (Pulumi Cloud) nothing is
// deleted or dropped: what would be is reported.
func (e *Env) recoverState(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	err := e.withLock(ctx, func(ctx context.Context, held *stacklock.Held) error {
		s, err := e.readState(ctx)
		if err != nil || len(s.creates()) == 0 {
			return err
		}
		proven, acct, err := e.provePending(ctx, s)
		if err != nil {
			return err
		}
		if held == nil {
			for _, p := range proven {
				e.say("not deleting %s, whose create was cut short: the backend's lock cannot be taken here, and a run may hold the stack; resolve it with `pulumi refresh --stack %s` once no run does",
					account.Describe(p.ARN), e.Name)
			}
			return nil
		}
		for _, p := range proven {
			e.say("deleting %s, whose create was cut short; the update creates it anew", account.Describe(p.ARN))
			if err := acct.Delete(ctx, p.Resource); err != nil {
				return err
			}
		}
		urns := make([]string, 0, len(s.pending))
		for _, p := range s.creates() {
			urns = append(urns, p.URN)
		}
		n, err := held.DropPendingCreates(ctx, urns)
		if err != nil {
			return err
		}
		e.say("resolved the pending creates of %s: %d dropped from its state", e.Name, n)
		return nil
	})
	if err != nil {
		return fmt.Errorf("recover %s: %w", e.Name, err)
	}
	return nil
}

// provenCreate is a pending create whose resource is proven ours.
type provenCreate struct {
	URN string
	account.Resource
}

// provePending looks up the resource of each pending create of s in the
// account (the stack's region's, which it returns) and returns those
// proven ours.
func (e *Env) provePending(ctx context.Context, s state) ([]provenCreate, Account, error) {
	creates := s.creates()
	var ops []string
	for _, p := range creates {
		ops = append(ops, p.URN[strings.LastIndex(p.URN, "::")+2:])
	}
	e.say("%s has %d creates pending in its state, which no run holds: %s", e.Name, len(creates), strings.Join(ops, ", "))
	if e.opts.Account == nil {
		return nil, nil, fmt.Errorf("%s has creates a killed run left pending (%s), whose resources may exist in AWS; without access to the account (Options.Account) they cannot be looked for, so nothing was changed",
			e.Name, strings.Join(ops, ", "))
	}
	acct, region, err := e.account(ctx, s)
	if err != nil {
		return nil, nil, err
	}
	var proven []provenCreate
	unnamed := map[string][]pending{} // by the kind of their ARN
	for _, p := range creates {
		if p.Name == "" {
			unnamed[kinds[p.Type]] = append(unnamed[kinds[p.Type]], p)
			continue
		}
		r, found, err := acct.Find(ctx, p.Type, p.Name)
		switch {
		case errors.Is(err, account.ErrNoName):
			unnamed[kinds[p.Type]] = append(unnamed[kinds[p.Type]], p)
			continue
		case err != nil:
			return nil, nil, err
		case !found:
			e.say("%s %s is not in the account in %s: its create never reached AWS", p.Type, p.Name, region)
			continue
		}
		if s.knows(r.ARN) {
			// An update run by hand since carried the pending create over
			// (the engine keeps them) and created the resource: it is the
			// state's, and only the pending create is stale.
			e.say("%s holds the name of a pending create, and the state knows it: kept", account.Describe(r.ARN))
			continue
		}
		if why := e.disowned(r); why != "" {
			e.leave(r, why)
			continue
		}
		proven = append(proven, provenCreate{p.URN, r})
	}
	if len(unnamed) == 0 {
		return proven, acct, nil
	}
	// A resource without a name (a key, a mapping) is found by the tags its
	// create call gave it, and deleted only when it is the one candidate.
	tagged, err := listTagged(ctx, acct, e.ownFilter())
	if err != nil {
		return nil, nil, err
	}
	for kind, ps := range unnamed {
		var candidates []account.Resource
		for _, r := range tagged {
			if account.Kind(r.ARN) == kind && !s.knows(r.ARN) && e.disowned(r) == "" {
				candidates = append(candidates, r)
			}
		}
		if len(ps) != 1 || len(candidates) != 1 {
			e.say("%d pending creates of %s and %d resources of this stack no state knows: none deleted", len(ps), ps[0].Type, len(candidates))
			continue
		}
		proven = append(proven, provenCreate{ps[0].URN, candidates[0]})
	}
	return proven, acct, nil
}

// kinds are the ARN kinds (account.Kind) of the pulumi-aws types whose
// resources have no name.
var kinds = map[string]string{
	"aws:kms/key:Key": "kms:key",
	"aws:lambda/eventSourceMapping:EventSourceMapping": "lambda:event-source-mapping",
}

// ownFilter selects the resources of this stack, owner and backend.
func (e *Env) ownFilter() map[string]string {
	f := stackFilter(e.Name)
	f[TagOwner] = e.tags[TagOwner]
	f[TagBackend] = e.tags[TagBackend]
	return f
}

// disowned says why r, which no state knows, is not proven to be this
// stack's, owner's and backend's ("" when it is): every tag of ownFilter
// must be on it. A dashboard is never proven so: it takes no tags, and
// PutDashboard overwrites a dashboard of the name, so one that only a
// pending create names (or that the state does not know) may be another
// owner's, whose body our create has just replaced with ours. A dashboard
// is deleted by the engine, when the state knows it, or by the sweep (see
// orphans).
func (e *Env) disowned(r account.Resource) string {
	if account.Kind(r.ARN) == "cloudwatch:dashboard" {
		return "a dashboard takes no tags and PutDashboard overwrites one of its name: one that no state knows may be another owner's (delete it by hand once you know it is not)"
	}
	return tagsDisowned(r.Tags, e.ownFilter())
}

// tagsDisowned says which tag of want tags lacks ("" when none).
func tagsDisowned(tags, want map[string]string) string {
	if len(tags) == 0 {
		return "it has no tags"
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if tags[k] != want[k] {
			return fmt.Sprintf("its tag %s is %q, not %q", k, tags[k], want[k])
		}
	}
	return ""
}

// dashboardDisowned says why a dashboard body is not of the stack of names:
// it must name every resource the stack's dashboard shows.
func dashboardDisowned(body string, names spec.Namer) string {
	for _, n := range shown(names) {
		if !strings.Contains(body, strconv.Quote(n.name)) {
			return fmt.Sprintf("its body does not name %s", n.name)
		}
	}
	return ""
}

// namedResource is a resource by its pulumi-aws type and physical name.
type namedResource struct{ typ, name string }

// shown are the resources the dashboard of the stack of names shows: its
// function, table and queue.
func shown(names spec.Namer) []namedResource {
	return []namedResource{
		{"aws:lambda/function:Function", names.Name(spec.Lambda, spec.FunctionName)},
		{"aws:dynamodb/table:Table", names.Name(spec.DynamoDB, spec.TableName)},
		{"aws:sqs/queue:Queue", names.Name(spec.SQS, spec.QueueName)},
	}
}

// leave reports a resource that is not proven ours and is left alone.
func (e *Env) leave(r account.Resource, why string) {
	e.say("leaving %s (%s, tags %v) alone: %s", account.Describe(r.ARN), r.ARN, r.Tags, why)
}

// listTagged lists every resource carrying the tags of filter, page by page.
func listTagged(ctx context.Context, acct Account, filter map[string]string) ([]account.Resource, error) {
	var out []account.Resource
	for token := ""; ; {
		page, next, err := acct.Tagged(ctx, filter, token)
		if err != nil {
			return nil, fmt.Errorf("resources tagged %v: %w", filter, err)
		}
		out = append(out, page...)
		if next == "" {
			return out, nil
		}
		token = next
	}
}

// findNamed finds the stack's resources that the Tagging API cannot list,
// by their deterministic names in region: its IAM role and its dashboard.
func findNamed(ctx context.Context, acct Account, region, stack string) ([]account.Resource, error) {
	if region == "" {
		return nil, nil
	}
	names := spec.Namer{Project: Project, Stack: stack}
	var out []account.Resource
	for _, n := range []struct{ typ, name string }{
		{"aws:iam/role:Role", names.Global(spec.IAMRole, region, spec.RoleName)},
		{"aws:cloudwatch/dashboard:Dashboard", names.Global(spec.CloudWatch, region, spec.DashboardName)},
	} {
		r, found, err := acct.Find(ctx, n.typ, n.name)
		if err != nil {
			return nil, err
		}
		if found {
			out = append(out, r)
		}
	}
	return out, nil
}

// deleteLeaks deletes what is left of the stack in the account after its
// destroy: the resources tagged as this stack's and this owner's, and its
// role and dashboard when proven ours, that the state before the destroy
// (before) did not know. It holds the stack's lock from before it reads the
// state until its last delete, and deletes nothing when the state is no
// longer empty (another run has deployed the stack since) or the lock
// cannot be taken here (Pulumi Cloud: what it would delete is reported).
func (e *Env) deleteLeaks(ctx context.Context, before state) error {
	if e.opts.Account == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	return e.withLock(ctx, func(ctx context.Context, held *stacklock.Held) error {
		now, err := e.readState(ctx)
		if err != nil {
			return err
		}
		if now.resources > 0 || len(now.pending) > 0 {
			return fmt.Errorf("%s was deployed again while it was being destroyed: its resources that no state knew are left, and the stack is kept", e.Name)
		}
		acct, region, err := e.account(ctx, before)
		if err != nil {
			return err
		}
		tagged, err := listTagged(ctx, acct, e.ownFilter())
		if err != nil {
			return fmt.Errorf("look for resources of %s that no state knows: %w", e.Name, err)
		}
		named, err := findNamed(ctx, acct, region, e.Name)
		if err != nil {
			return fmt.Errorf("look for resources of %s that no state knows: %w", e.Name, err)
		}
		for _, r := range append(tagged, named...) {
			if before.knows(r.ARN) {
				continue
			}
			if why := e.disowned(r); why != "" {
				e.leave(r, why)
				continue
			}
			if held == nil {
				e.say("not deleting %s, which no state knows: the backend's lock cannot be taken here, and a run may hold the stack", account.Describe(r.ARN))
				continue
			}
			e.say("deleting %s, which no state knows", account.Describe(r.ARN))
			if err := acct.Delete(ctx, r); err != nil {
				return fmt.Errorf("delete a resource of %s that no state knows: %w", e.Name, err)
			}
		}
		return nil
	})
}
