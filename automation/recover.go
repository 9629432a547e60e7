package automation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/orderpipe/orderpipe/internal/account"
	"github.com/orderpipe/orderpipe/spec"
)

// Defaults of the recovery from a killed run.
const (
	// DefaultLockWait bounds the wait for a stack locked by a run that may
	// still be going.
	DefaultLockWait = 2 * time.Minute
	// DefaultStaleLockAge is when a lock taken on another machine, whose
	// process cannot be checked, counts as left by a dead run: longer than
	// an update of the stack and DefaultCancelGrace together.
	DefaultStaleLockAge = 30 * time.Minute
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

// lockHolder is a lock the Pulumi CLI found on the stack.
type lockHolder struct {
	Where string // the lock file's URL
	User  string
	Host  string
	PID   int
	Since time.Time
}

func (l lockHolder) String() string {
	return fmt.Sprintf("%s@%s (pid %d) since %s", l.User, l.Host, l.PID, l.Since.Format(time.RFC3339))
}

// lockLine is how the CLI (a self-managed backend) names each lock of a
// locked stack: "  <url>: created by <user>@<host> (pid <n>) at <RFC 3339>".
var lockLine = regexp.MustCompile(`(?m)^\s*(\S+): created by (.*)@([^@\s]+) \(pid (\d+)\) at (\S+)\s*$`)

// lockHolders returns the locks a failed operation's error reports, and
// whether it failed for a lock at all. The CLI says which locks block it
// only in its message.
func lockHolders(err error) ([]lockHolder, bool) {
	if err == nil {
		return nil, false
	}
	msg := err.Error()
	var op *OpError
	if errors.As(err, &op) && op.Err != nil {
		msg = op.Err.Error()
	}
	cloud := strings.Contains(msg, "Another update is currently in progress")
	if !strings.Contains(msg, "the stack is currently locked by") && !cloud {
		return nil, false
	}
	var holders []lockHolder
	for _, m := range lockLine.FindAllStringSubmatch(msg, -1) {
		pid, _ := strconv.Atoi(m[4])
		since, _ := time.Parse(time.RFC3339, m[5])
		holders = append(holders, lockHolder{Where: m[1], User: m[2], Host: m[3], PID: pid, Since: since})
	}
	return holders, true
}

// stale says whether a lock was left by a run that is gone: on this machine,
// when its process is; from another machine, which cannot be asked, once it
// is older than StaleLockAge. Any other lock may be held by a run that is
// going, and is never broken.
func (o Options) stale(l lockHolder, now time.Time) (bool, string) {
	if host, _ := os.Hostname(); l.Host == host && l.PID > 0 {
		if running(l.PID) {
			return false, fmt.Sprintf("its process %d is running", l.PID)
		}
		return true, fmt.Sprintf("its process %d is gone", l.PID)
	}
	limit := o.StaleLockAge
	if limit <= 0 {
		limit = DefaultStaleLockAge
	}
	age := now.Sub(l.Since).Round(time.Second)
	if l.Since.IsZero() {
		return false, "its holder is not named"
	}
	if age >= limit {
		return true, fmt.Sprintf("it was taken on another machine %v ago, and locks older than %v count as stale", age, limit)
	}
	return false, fmt.Sprintf("it was taken on another machine %v ago (stale after %v)", age, limit)
}

// ErrBusy reports a stack locked by a run that may still be going, which
// Sweep leaves for its next run rather than wait for.
var ErrBusy = errors.New("locked by a run that may still be going")

// unlocked runs op, which takes the stack's lock. When the stack is locked
// by runs that are gone (a killed CLI leaves its lock), it removes their
// locks and runs op again; when a lock may still be held, it waits for it,
// up to LockWait, saying what it waits for, and runs op again (op reads
// what it works on afresh each time).
func (e *Env) unlocked(ctx context.Context, op func(context.Context) error) error {
	wait := e.opts.LockWait
	if wait <= 0 {
		wait = DefaultLockWait
	}
	deadline := time.Now().Add(wait)
	for cleared := 0; ; {
		err := op(ctx)
		holders, locked := lockHolders(err)
		if !locked {
			return err
		}
		staleAll, reasons := len(holders) > 0, make([]string, 0, len(holders))
		for _, l := range holders {
			stale, why := e.opts.stale(l, e.opts.now())
			staleAll = staleAll && stale
			reasons = append(reasons, l.String()+": "+why)
		}
		if len(holders) == 0 {
			reasons = append(reasons, "an update in progress, whose holder the backend does not name")
		}
		if staleAll && cleared < 3 {
			cleared++
			e.say("%s is locked by a run that is gone (%s): removing its lock", e.Name, strings.Join(reasons, "; "))
			if err := e.stack.Cancel(ctx); err != nil {
				return fmt.Errorf("remove the stale lock of %s: %w", e.Name, err)
			}
			continue
		}
		if e.opts.noLockWait {
			return fmt.Errorf("%s is %w: %s", e.Name, ErrBusy, strings.Join(reasons, "; "))
		}
		left := time.Until(deadline)
		if left <= 0 {
			// The CLI's own message names the same locks: not repeated.
			return fmt.Errorf("%s is still locked after %v: %s; if that run is gone, remove the lock with `pulumi cancel --stack %s`",
				e.Name, wait, strings.Join(reasons, "; "), e.Name)
		}
		e.say("%s is locked by %s: waiting for it (%v left)", e.Name, strings.Join(reasons, "; "), left.Round(time.Second))
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the lock of %s: %w", e.Name, ctx.Err())
		case <-time.After(min(5*time.Second, left)):
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

// recoverState resolves what a killed run left in the state, under the
// stack's lock and through the engine (`pulumi refresh
// --import-pending-creates … --clear-pending-creates`): a pending create
// whose resource is in the account and proven ours by its tags is imported
// into the state (see deleteUnimported for what the pinned engine makes of
// that); every other pending create is dropped from the state, and what
// holds its name is left alone and reported. A run that
// still holds the lock is waited for: its pending creates are its creates
// in flight. An import a run left pending is never deleted.
func (e *Env) recoverState(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	recovered := false
	err := e.unlocked(ctx, func(ctx context.Context) error {
		// Read afresh after each wait: the run that held the lock may have
		// finished its creates.
		s, err := e.readState(ctx)
		if err != nil || len(s.creates()) == 0 {
			return err
		}
		proven, acct, err := e.provePending(ctx, s)
		if err != nil {
			return err
		}
		imports := make([]optrefresh.PendingCreate, 0, len(proven))
		for _, p := range proven {
			imports = append(imports, p.PendingCreate)
		}
		p := e.progress()
		_, err = e.stack.Refresh(ctx, optrefresh.ImportPendingCreates(imports), optrefresh.ClearPendingCreates(), optrefresh.EventStreams(p.events))
		p.wait()
		if err != nil {
			return p.fail("refresh", e.Name, err)
		}
		recovered = true
		return e.deleteUnimported(ctx, acct, proven)
	})
	if err != nil {
		return fmt.Errorf("recover %s: %w", e.Name, err)
	}
	if recovered {
		e.say("resolved the pending creates of %s", e.Name)
	}
	return nil
}

// provenCreate is a pending create whose resource is proven ours.
type provenCreate struct {
	optrefresh.PendingCreate
	account.Resource
}

// deleteUnimported deletes the proven resources that the refresh did not
// keep in the state. The pinned engine's refresh refreshes only the state's
// resources and carries only pending creates forward, so an imported
// pending create leaves the state with the refresh; the lock has just shown
// that no run holds the stack, and the resource is proven this stack's and
// owner's, so it is deleted, and the operation that follows creates it anew.
// An engine that keeps the import keeps the resource.
func (e *Env) deleteUnimported(ctx context.Context, acct Account, proven []provenCreate) error {
	if len(proven) == 0 {
		return nil
	}
	s, err := e.readState(ctx)
	if err != nil {
		return err
	}
	for _, p := range proven {
		if s.urns[p.URN] {
			continue
		}
		if slices.ContainsFunc(s.pending, func(o pending) bool { return o.URN == p.URN }) {
			return fmt.Errorf("%s is pending in the state of %s again: another run has taken the stack", p.URN, e.Name)
		}
		e.say("deleting %s, whose create was cut short and which the engine's import did not keep", account.Describe(p.ARN))
		if err := acct.Delete(ctx, p.Resource); err != nil {
			return err
		}
	}
	return nil
}

// provePending looks up the resource of each pending create of s in the
// account (the stack's region's, which it returns) and returns those
// proven ours, to import.
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
	var imports []provenCreate
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
		if why := e.disowned(r); why != "" {
			e.leave(r, why)
			continue
		}
		e.say("importing %s, whose create was cut short, to finish it through the engine", account.Describe(r.ARN))
		imports = append(imports, provenCreate{optrefresh.PendingCreate{URN: p.URN, ID: providerID(p.Type, r.ARN)}, r})
	}
	if len(unnamed) == 0 {
		return imports, acct, nil
	}
	// A resource without a name (a key, a mapping) is found by the tags its
	// create call gave it, and imported only when it is the one candidate.
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
			e.say("%d pending creates of %s and %d resources of this stack no state knows: none imported", len(ps), ps[0].Type, len(candidates))
			continue
		}
		e.say("importing %s, whose create was cut short, to finish it through the engine", account.Describe(candidates[0].ARN))
		imports = append(imports, provenCreate{optrefresh.PendingCreate{URN: ps[0].URN, ID: providerID(ps[0].Type, candidates[0].ARN)}, candidates[0]})
	}
	return imports, acct, nil
}

// kinds are the ARN kinds (account.Kind) of the pulumi-aws types whose
// resources have no name.
var kinds = map[string]string{
	"aws:kms/key:Key": "kms:key",
	"aws:lambda/eventSourceMapping:EventSourceMapping": "lambda:event-source-mapping",
}

// providerID is the id the AWS provider gives a resource of the type: a
// queue's URL, a topic's ARN, else the last part of the ARN (a name, a key
// id, a mapping's UUID).
func providerID(typ, resourceARN string) string {
	switch typ {
	case "aws:sns/topic:Topic":
		return resourceARN
	case "aws:sqs/queue:Queue":
		if a, err := arn.Parse(resourceARN); err == nil {
			return fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", a.Region, a.AccountID, a.Resource)
		}
	}
	return account.Name(resourceARN)
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
// (before) did not know. It stops, deleting nothing, when the stack's state
// is no longer empty: another run has deployed it since.
func (e *Env) deleteLeaks(ctx context.Context, before state) error {
	if e.opts.Account == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
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
	var found []account.Resource
	for _, r := range append(tagged, named...) {
		if before.knows(r.ARN) {
			continue
		}
		if why := e.disowned(r); why != "" {
			e.leave(r, why)
			continue
		}
		found = append(found, r)
	}
	if len(found) == 0 {
		return nil
	}
	now, err := e.readState(ctx)
	if err != nil {
		return err
	}
	if now.resources > 0 || len(now.pending) > 0 {
		return fmt.Errorf("%s was deployed again while it was being destroyed: its resources that no state knew are left, and the stack is kept", e.Name)
	}
	for _, r := range found {
		e.say("deleting %s, which no state knows", account.Describe(r.ARN))
		if err := acct.Delete(ctx, r); err != nil {
			return fmt.Errorf("delete a resource of %s that no state knows: %w", e.Name, err)
		}
	}
	return nil
}
