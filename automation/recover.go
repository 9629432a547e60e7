package automation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

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

// resourceTags are the tags an environment puts on every resource that takes
// tags (besides the program's project and stack), so that the janitor can
// tell them from everything else in the account.
func (o Options) resourceTags() map[string]string {
	tags := map[string]string{TagEphemeral: "true"}
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
// is older than StaleLockAge.
func (o Options) stale(l lockHolder, now time.Time) (bool, string) {
	if host, _ := os.Hostname(); l.Host == host && l.PID > 0 {
		if running(l.PID) {
			return false, fmt.Sprintf("its process %d is running", l.PID)
		}
		return true, fmt.Sprintf("its process %d is gone", l.PID)
	}
	limit := o.StaleLockAge
	if limit == 0 {
		limit = DefaultStaleLockAge
	}
	age := now.Sub(l.Since).Round(time.Second)
	if l.Since.IsZero() {
		return false, "its holder is not named"
	}
	if limit < 0 || age >= limit {
		return true, fmt.Sprintf("it was taken on another machine %v ago, and locks older than %v count as stale", age, max(limit, 0))
	}
	return false, fmt.Sprintf("it was taken on another machine %v ago (stale after %v)", age, limit)
}

// unlocked runs op, which takes the stack's lock. When the stack is locked
// by runs that are gone (a killed CLI leaves its lock), it removes their
// locks and runs op again; when a lock may still be held, it waits for it,
// up to LockWait, saying what it waits for.
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
		left := time.Until(deadline)
		if left <= 0 {
			// The CLI's own message names the same locks: not repeated.
			return fmt.Errorf("%s is still locked after %v: %s; if that run is gone, remove the lock with `pulumi cancel --stack %s` (or pass --stale-lock-age 0 when runs of one environment never overlap)",
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

// pending is an operation a killed run left in the stack's state.
type pending struct {
	URN, Type, Op string
	Name          string // the physical name of its inputs; "" for a type without one
}

// state is what recovery reads of a stack's state: its pending operations
// and the ARNs and ids of the resources it knows.
type state struct {
	pending []pending
	known   map[string]bool
}

// knows reports whether the state holds the resource with the ARN.
func (s state) knows(arn string) bool {
	return s.known[strings.TrimSuffix(arn, ":*")] || s.known[account.Name(arn)]
}

func (e *Env) readState(ctx context.Context) (state, error) {
	raw, err := e.stack.Export(ctx)
	if err != nil {
		return state{}, fmt.Errorf("export the state of %s: %w", e.Name, err)
	}
	s := state{known: map[string]bool{}}
	if len(raw.Deployment) == 0 {
		return s, nil
	}
	var d apitype.DeploymentV3
	if err := json.Unmarshal(raw.Deployment, &d); err != nil {
		return state{}, fmt.Errorf("read the state of %s: %w", e.Name, err)
	}
	for _, r := range d.Resources {
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

// recoverState resolves what a killed run left in the state: the resource of
// each pending create is found in the account (by its deterministic physical
// name, else by the stack's tags) and deleted, and the pending operations
// are cleared, so that the next operation starts from what exists.
func (e *Env) recoverState(ctx context.Context) error {
	s, err := e.readState(ctx)
	if err != nil {
		return err
	}
	return e.recoverFrom(ctx, s)
}

// recoverFrom is recoverState of the state s.
func (e *Env) recoverFrom(ctx context.Context, s state) error {
	if len(s.pending) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	var ops []string
	for _, p := range s.pending {
		ops = append(ops, fmt.Sprintf("%s %s", p.Op, p.URN[strings.LastIndex(p.URN, "::")+2:]))
	}
	e.say("%s has %d operations a killed run left pending: %s", e.Name, len(s.pending), strings.Join(ops, ", "))
	if e.opts.Account == nil {
		return fmt.Errorf("%s has operations a killed run left pending (%s), whose resources may exist in AWS; without access to the account (Options.Account) they cannot be found, so nothing was changed",
			e.Name, strings.Join(ops, ", "))
	}
	for _, p := range s.pending {
		if p.Op != "creating" && p.Op != "importing" || p.Name == "" {
			continue // in the state already, or found by its tags below
		}
		e.say("looking for %s %s in the account", p.Type, p.Name)
		r, found, err := e.opts.Account.Find(ctx, p.Type, p.Name)
		if err != nil && !errors.Is(err, account.ErrNoName) {
			return fmt.Errorf("recover %s: %w", e.Name, err)
		}
		if found && !s.knows(r.ARN) {
			e.say("deleting %s, whose create was cut short", account.Describe(r.ARN))
			if err := e.opts.Account.Delete(ctx, r); err != nil {
				return fmt.Errorf("recover %s: %w", e.Name, err)
			}
		}
	}
	if err := e.deleteLeaks(ctx, s); err != nil {
		return err
	}
	if err := e.unlocked(ctx, e.clearPending); err != nil {
		return fmt.Errorf("clear the pending operations of %s: %w", e.Name, err)
	}
	e.say("cleared the pending operations of %s", e.Name)
	return nil
}

// clearPending removes the pending operations from the stack's state and
// keeps everything else as it is.
func (e *Env) clearPending(ctx context.Context) error {
	raw, err := e.stack.Export(ctx)
	if err != nil {
		return err
	}
	var d map[string]json.RawMessage
	if err := json.Unmarshal(raw.Deployment, &d); err != nil {
		return err
	}
	delete(d, "pending_operations")
	if raw.Deployment, err = json.Marshal(d); err != nil {
		return err
	}
	return e.stack.Import(ctx, raw)
}

// leaks are the resources of stack in the account that s does not know.
func leaks(ctx context.Context, acct Account, region, stack string, s state) ([]account.Resource, error) {
	tagged, err := listTagged(ctx, acct, stackFilter(stack))
	if err != nil {
		return nil, err
	}
	named, err := findNamed(ctx, acct, region, stack)
	if err != nil {
		return nil, err
	}
	var out []account.Resource
	for _, r := range append(tagged, named...) {
		if !s.knows(r.ARN) {
			out = append(out, r)
		}
	}
	return out, nil
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
// by their deterministic names: its IAM role and its dashboard. Without a
// region their names are not known.
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

// deleteLeaks deletes the resources of the stack that its state s does not
// know.
func (e *Env) deleteLeaks(ctx context.Context, s state) error {
	if e.opts.Account == nil {
		return nil
	}
	found, err := leaks(ctx, e.opts.Account, e.opts.Region, e.Name, s)
	if err != nil {
		return fmt.Errorf("look for resources of %s that no state knows: %w", e.Name, err)
	}
	for _, r := range found {
		e.say("deleting %s, which no state knows", account.Describe(r.ARN))
		if err := e.opts.Account.Delete(ctx, r); err != nil {
			return fmt.Errorf("delete a resource of %s that no state knows: %w", e.Name, err)
		}
	}
	return nil
}
