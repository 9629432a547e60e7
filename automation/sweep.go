package automation

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"

	"github.com/orderpipe/orderpipe/internal/account"
	"github.com/orderpipe/orderpipe/internal/stacklock"
	"github.com/orderpipe/orderpipe/spec"
)

// SweepOptions say what Sweep removes.
type SweepOptions struct {
	// MaxAge also removes ephemeral stacks last updated longer ago than
	// this; zero: only those past their expiry.
	MaxAge time.Duration
	// Act removes what the sweep finds; false: a dry run that only reports
	// it.
	Act bool
	// RecentUpdate: a stack updated more recently than this is left alone,
	// whatever its expiry says (a run may be bringing it up); zero:
	// DefaultRecentUpdate.
	RecentUpdate time.Duration
}

// DefaultRecentUpdate is SweepOptions.RecentUpdate's default.
const DefaultRecentUpdate = time.Hour

// SweepReport is what a sweep removed, or in a dry run would remove.
type SweepReport struct {
	Act bool
	// Stacks are the expired ephemeral stacks of the backend.
	Stacks []string
	// Skipped are expired stacks left for a later sweep, with the reason:
	// locked or updated within SweepOptions.RecentUpdate, or its expiry
	// pushed back meanwhile.
	Skipped []Skipped
	// Orphans are resources of the account tagged as ephemeral
	// environments of this owner (or named as an orphaned stack's role and
	// dashboard and proven its) whose stack the backend does not have and
	// whose own expiry has passed.
	Orphans []Orphan
	// Left are resources that look like an orphan's but are not proven
	// this owner's, or have not expired: reported, never deleted.
	Left []Orphan
}

// Skipped is a stack a sweep left alone.
type Skipped struct {
	Stack, Why string
}

// Orphan is a resource of an ephemeral stack that no state knows.
type Orphan struct {
	ARN   string
	Stack string            // from its stack tag; "" when it has none
	PR    string            // from its PR tag
	Tags  map[string]string // as the account lists them
	Why   string            // for a resource left alone: why
}

// Sweep finds the ephemeral stacks of the backend in opts that are past
// their expiry (or older than MaxAge), and, with opts.Account, the
// resources in the account tagged as ephemeral environments of this owner
// whose stack the backend does not have (a stack removed by hand, a state
// lost). With Act it destroys and removes those stacks (recovering what
// killed runs left in them) and deletes those resources. It never touches a
// stack without the ephemeral tag, a stack locked by a run that may be going
// or updated within so.RecentUpdate, nor a resource whose tags do not prove it
// is this owner's and past its own expiry.
func Sweep(ctx context.Context, opts Options, so SweepOptions) (SweepReport, error) {
	report := SweepReport{Act: so.Act}
	owner, err := opts.owner()
	if err != nil {
		return report, err
	}
	ws, err := opts.workspace(ctx, nil)
	if err != nil {
		return report, err
	}
	stacks, err := ephemeralStacks(ctx, ws)
	if err != nil {
		return report, fmt.Errorf("sweep: %w", err)
	}
	now := opts.now()
	recent := so.RecentUpdate
	if recent <= 0 {
		recent = DefaultRecentUpdate
	}
	inBackend := map[string]bool{}
	var errs []error
	for _, s := range stacks {
		inBackend[s.Name] = true
		if !expired(s.Tags[TagExpires], s.LastUpdate, so.MaxAge, now) {
			continue
		}
		if last, err := time.Parse(time.RFC3339, s.LastUpdate); err == nil && now.Sub(last) < recent {
			report.Skipped = append(report.Skipped, Skipped{s.Name, fmt.Sprintf("updated %v ago", now.Sub(last).Round(time.Second))})
			continue
		}
		if !so.Act {
			report.Stacks = append(report.Stacks, s.Name)
			continue
		}
		why, err := closeExpired(ctx, opts, ws, s.Name, s.Tags[TagExpires])
		switch {
		case errors.Is(err, ErrBusy):
			report.Skipped = append(report.Skipped, Skipped{s.Name, err.Error()})
		case err != nil:
			// The next stack may still go; this one stays for the next sweep.
			errs = append(errs, fmt.Errorf("sweep: %w", err))
		case why != "":
			report.Skipped = append(report.Skipped, Skipped{s.Name, why})
		default:
			// Close deleted what it left; the Tagging API may still list
			// what the destroy deleted moments ago.
			report.Stacks = append(report.Stacks, s.Name)
		}
	}
	if opts.Account == nil {
		return report, errors.Join(errs...)
	}
	backend, err := opts.backendURL()
	if err != nil {
		return report, err
	}
	found, left, err := orphans(ctx, opts, ownership{owner, BackendOwner(backend)}, inBackend, ws)
	report.Left = left
	if err != nil {
		return report, errors.Join(append(errs, err)...)
	}
	if !so.Act {
		report.Orphans = found
		return report, errors.Join(errs...)
	}
	deleted, skipped, err := deleteOrphans(ctx, opts, backend, found)
	report.Orphans, report.Skipped = deleted, append(report.Skipped, skipped...)
	return report, errors.Join(append(errs, err)...)
}

// deleteOrphans deletes the orphans of each stack while holding that
// stack's lock, and only while the backend has no such stack: a PR's stack
// name is fixed, so a push may create it again between the listings and
// now, and CreateQueue would hand its update the orphan's queue. The CLI
// creates a stack under the same lock, with a checkpoint. On a backend
// whose lock cannot be taken here (Pulumi Cloud) nothing is deleted: the
// orphans are reported as left.
func deleteOrphans(ctx context.Context, opts Options, backend string, found []Orphan) (deleted []Orphan, skipped []Skipped, err error) {
	byStack := map[string][]Orphan{}
	for _, o := range found {
		byStack[o.Stack] = append(byStack[o.Stack], o)
	}
	stacks := slices.Sorted(maps.Keys(byStack))
	b, err := stacklock.Open(ctx, backend, Project)
	if errors.Is(err, stacklock.ErrUnsupported) {
		for _, stack := range stacks {
			skipped = append(skipped, Skipped{stack, "its orphans are left: " + err.Error() + ", and nothing is deleted without it"})
		}
		return nil, skipped, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("sweep: %w", err)
	}
	defer b.Close()
	var errs []error
	for _, stack := range stacks {
		err := func() (err error) {
			held, err := b.Lock(ctx, stack)
			var locked *stacklock.LockedError
			if errors.As(err, &locked) {
				skipped = append(skipped, Skipped{stack, "its orphans are left: " + locked.Error()})
				return nil
			}
			if err != nil {
				return err
			}
			defer func() { err = errors.Join(err, held.Release(ctx)) }()
			if back, err := held.HasCheckpoint(ctx); err != nil || back {
				if err == nil {
					skipped = append(skipped, Skipped{stack, "its orphans are left: the stack is in the backend again"})
				}
				return err
			}
			for _, o := range byStack[stack] {
				if err := opts.Account.Delete(ctx, account.Resource{ARN: o.ARN, Tags: o.Tags}); err != nil {
					return err
				}
				deleted = append(deleted, o)
			}
			return nil
		}()
		if err != nil {
			errs = append(errs, fmt.Errorf("sweep: orphans of %s: %w", stack, err))
		}
	}
	return deleted, skipped, errors.Join(errs...)
}

// closeExpired closes the expired stack name, unless its expiry, read again
// just before, is no longer listed (a push has moved it; then it says why
// not). A stack locked by a run that may be going is not waited for:
// ErrBusy.
func closeExpired(ctx context.Context, opts Options, ws auto.Workspace, name, listed string) (string, error) {
	opts.noLockWait = true
	e, err := Select(ctx, opts, name)
	if err != nil {
		return "", err
	}
	tags, err := listTags(ctx, ws, name)
	if err != nil {
		return "", err
	}
	if tags[TagExpires] != listed {
		return "its expiry has moved to " + tags[TagExpires], nil
	}
	return "", e.Close(ctx)
}

// ownership is whose the environments of a sweep are: its owner tag and its
// backend's tag.
type ownership struct{ owner, backend string }

// orphans are the resources of the account tagged as ephemeral orderpipe
// resources of this owner and backend whose stack is in neither listing of
// the backend's stacks (inBackend, listed before, and a listing made after
// the Tagging API's, so that a stack created meanwhile is not taken for
// gone) and whose own expiry has passed, and the IAM roles and dashboards
// (which the Tagging API does not list) of those stacks, when proven
// theirs. left are those found and not proven (one without a backend tag
// among them): reported, never deleted. Another backend's resources, of the
// same owner, are its own sweep's: not listed.
func orphans(ctx context.Context, opts Options, own ownership, inBackend map[string]bool, ws auto.Workspace) (found, left []Orphan, err error) {
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	filter := map[string]string{TagEphemeral: "true", spec.TagProject: Project, TagOwner: own.owner}
	tagged, err := listTagged(ctx, opts.Account, filter)
	if err != nil {
		return nil, nil, fmt.Errorf("sweep: %w", err)
	}
	again, err := ephemeralStacks(ctx, ws)
	if err != nil {
		return nil, nil, fmt.Errorf("sweep: %w", err)
	}
	for _, s := range again {
		inBackend[s.Name] = true
	}
	now := opts.now()
	type orphaned struct{ pr, region string }
	stacks := map[string]orphaned{}
	for _, r := range tagged {
		stack := r.Tags[spec.TagStack]
		if stack == "" || inBackend[stack] || r.Tags[TagBackend] != "" && r.Tags[TagBackend] != own.backend {
			continue
		}
		o := Orphan{ARN: r.ARN, Stack: stack, PR: r.Tags[TagPR], Tags: r.Tags}
		if r.Tags[TagBackend] == "" {
			o.Why = fmt.Sprintf("it has no %s tag: which backend's environment it is cannot be told", TagBackend)
			left = append(left, o)
			continue
		}
		if expires, err := time.Parse(time.RFC3339, r.Tags[TagExpires]); err != nil || now.Before(expires) {
			o.Why = fmt.Sprintf("its %s tag %q has not passed", TagExpires, r.Tags[TagExpires])
			left = append(left, o)
			continue
		}
		found = append(found, o)
		if a, err := arn.Parse(r.ARN); err == nil && a.Region != "" {
			stacks[stack] = orphaned{r.Tags[TagPR], a.Region}
		}
	}
	for _, stack := range slices.Sorted(maps.Keys(stacks)) {
		named, err := findNamed(ctx, opts.Account, stacks[stack].region, stack)
		if err != nil {
			return nil, nil, fmt.Errorf("sweep: %w", err)
		}
		want := map[string]string{TagEphemeral: "true", spec.TagProject: Project, TagOwner: own.owner, TagBackend: own.backend, spec.TagStack: stack}
		for _, r := range named {
			o := Orphan{ARN: r.ARN, Stack: stack, PR: stacks[stack].pr, Tags: r.Tags}
			why := tagsDisowned(r.Tags, want)
			if account.Kind(r.ARN) == "cloudwatch:dashboard" {
				why, err = dashboardOrphaned(ctx, opts.Account, r.Body, stack, found)
				if err != nil {
					return nil, nil, fmt.Errorf("sweep: %w", err)
				}
			} else if expires, err := time.Parse(time.RFC3339, r.Tags[TagExpires]); why == "" && (err != nil || now.Before(expires)) {
				why = fmt.Sprintf("its %s tag %q has not passed", TagExpires, r.Tags[TagExpires])
			}
			if why != "" {
				o.Why = why
				left = append(left, o)
				continue
			}
			found = append(found, o)
		}
	}
	return found, left, nil
}

// dashboardOrphaned says why the dashboard named after an orphaned stack,
// with this body, is not to be deleted ("" when it is): a dashboard takes
// no tags, and PutDashboard overwrites, so its name and body cannot prove
// whose it is. It goes only with what it shows: its body must name the
// stack's function, table and queue, and each of those must be gone or an
// orphan of this sweep (found), so that it shows nothing that stays.
func dashboardOrphaned(ctx context.Context, acct Account, body, stack string, found []Orphan) (string, error) {
	names := spec.Namer{Project: Project, Stack: stack}
	if why := dashboardDisowned(body, names); why != "" {
		return why, nil
	}
	for _, n := range shown(names) {
		r, live, err := acct.Find(ctx, n.typ, n.name)
		if err != nil {
			return "", err
		}
		if live && !slices.ContainsFunc(found, func(o Orphan) bool { return o.ARN == r.ARN }) {
			return fmt.Sprintf("it shows %s, which is not an orphan of this sweep", account.Describe(r.ARN)), nil
		}
	}
	return "", nil
}

// expired reports whether an ephemeral stack is past its expiry tag or,
// with maxAge, its last update is older than that. A stack whose expiry
// cannot be read is expired: an ephemeral stack must never live forever.
func expired(expires, lastUpdate string, maxAge time.Duration, now time.Time) bool {
	t, err := time.Parse(time.RFC3339, expires)
	if err != nil || now.After(t) {
		return true
	}
	if maxAge <= 0 || lastUpdate == "" {
		return false
	}
	last, err := time.Parse(time.RFC3339, lastUpdate)
	return err == nil && now.Sub(last) > maxAge
}

// ephemeralStack is a stack of the backend tagged as ephemeral.
type ephemeralStack struct {
	Name       string
	LastUpdate string
	Tags       map[string]string
}

// ephemeralStacks lists the stacks of the workspace's backend that carry the
// ephemeral tag. A file backend read while a run writes a checkpoint can
// fail ("error: EOF"): the listing is tried three times.
func ephemeralStacks(ctx context.Context, ws auto.Workspace) ([]ephemeralStack, error) {
	var out []ephemeralStack
	var err error
	for try := 0; try < 3; try++ {
		if try > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Second):
			}
		}
		if out, err = listEphemeral(ctx, ws); err == nil {
			return out, nil
		}
	}
	return nil, err
}

func listEphemeral(ctx context.Context, ws auto.Workspace) ([]ephemeralStack, error) {
	stacks, err := ws.ListStacks(ctx)
	if err != nil {
		return nil, fmt.Errorf("list stacks: %w", err)
	}
	var out []ephemeralStack
	for _, s := range stacks {
		tags, err := listTags(ctx, ws, s.Name)
		if err != nil {
			return nil, err
		}
		if tags[TagEphemeral] == "true" {
			out = append(out, ephemeralStack{Name: s.Name, LastUpdate: s.LastUpdate, Tags: tags})
		}
	}
	return out, nil
}
