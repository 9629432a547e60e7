package automation

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"

	"github.com/orderpipe/orderpipe/internal/account"
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
}

// SweepReport is what a sweep removed, or in a dry run would remove.
type SweepReport struct {
	Act bool
	// Stacks are the expired ephemeral stacks of the backend.
	Stacks []string
	// Orphans are resources of the account tagged as ephemeral (or named
	// as an orphaned stack's role and dashboard) whose stack the backend
	// does not have.
	Orphans []Orphan
}

// Orphan is a resource of an ephemeral stack that no state knows.
type Orphan struct {
	ARN   string
	Stack string // from its stack tag; "" when it has none
	PR    string // from its PR tag
}

// Sweep finds the ephemeral stacks of the backend in opts that are past
// their expiry (or older than MaxAge), and, with opts.Account, the
// resources in the account tagged as ephemeral whose stack the backend no
// longer has (a stack removed by hand, a state lost, a create cut short). With
// Act it destroys and removes those stacks (recovering what killed runs left
// in them) and deletes those resources. Stacks and resources without the
// ephemeral tag are never touched.
func Sweep(ctx context.Context, opts Options, so SweepOptions) (SweepReport, error) {
	report := SweepReport{Act: so.Act}
	ws, err := opts.workspace(ctx)
	if err != nil {
		return report, err
	}
	stacks, err := ephemeralStacks(ctx, ws)
	if err != nil {
		return report, fmt.Errorf("sweep: %w", err)
	}
	now := opts.now()
	inBackend := map[string]bool{}
	var errs []error
	for _, s := range stacks {
		if !expired(s.Tags[TagExpires], s.LastUpdate, so.MaxAge, now) {
			inBackend[s.Name] = true
			continue
		}
		if !so.Act {
			report.Stacks = append(report.Stacks, s.Name)
			inBackend[s.Name] = true
			continue
		}
		st, err := auto.SelectStack(ctx, s.Name, ws)
		if err != nil {
			errs = append(errs, fmt.Errorf("sweep: select %s: %w", s.Name, err))
			continue
		}
		e := &Env{Name: s.Name, opts: opts, stack: st, Existing: true}
		if err := e.Close(ctx); err != nil {
			// The next stack may still go; this one stays for the next sweep.
			errs = append(errs, fmt.Errorf("sweep: %w", err))
			inBackend[s.Name] = true
			continue
		}
		report.Stacks = append(report.Stacks, s.Name)
	}
	if opts.Account == nil {
		return report, errors.Join(errs...)
	}
	orphans, err := orphans(ctx, opts, inBackend)
	if err != nil {
		return report, errors.Join(append(errs, err)...)
	}
	for _, o := range orphans {
		if so.Act {
			if err := opts.Account.Delete(ctx, account.Resource{ARN: o.ARN}); err != nil {
				errs = append(errs, fmt.Errorf("sweep: %w", err))
				continue
			}
		}
		report.Orphans = append(report.Orphans, o)
	}
	return report, errors.Join(errs...)
}

// orphans are the resources of the account tagged as ephemeral orderpipe
// resources whose stack is not among the backend's, and the IAM roles and
// dashboards (which the Tagging API does not list) of those stacks.
func orphans(ctx context.Context, opts Options, inBackend map[string]bool) ([]Orphan, error) {
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	var out []Orphan
	stacks := map[string]string{} // orphaned stack → its PR
	tagged, err := listTagged(ctx, opts.Account, map[string]string{TagEphemeral: "true", spec.TagProject: Project})
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	for _, r := range tagged {
		stack := r.Tags[spec.TagStack]
		if inBackend[stack] {
			continue
		}
		out = append(out, Orphan{ARN: r.ARN, Stack: stack, PR: r.Tags[TagPR]})
		if stack != "" {
			stacks[stack] = r.Tags[TagPR]
		}
	}
	for _, stack := range slices.Sorted(maps.Keys(stacks)) {
		named, err := findNamed(ctx, opts.Account, opts.Region, stack)
		if err != nil {
			return nil, fmt.Errorf("sweep: %w", err)
		}
		for _, r := range named {
			out = append(out, Orphan{ARN: r.ARN, Stack: stack, PR: stacks[stack]})
		}
	}
	return out, nil
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
// ephemeral tag.
func ephemeralStacks(ctx context.Context, ws auto.Workspace) ([]ephemeralStack, error) {
	stacks, err := ws.ListStacks(ctx)
	if err != nil {
		return nil, fmt.Errorf("list stacks: %w", err)
	}
	var out []ephemeralStack
	for _, s := range stacks {
		tags, err := ws.ListTags(ctx, s.Name)
		if err != nil {
			return nil, fmt.Errorf("tags of %s: %w", s.Name, err)
		}
		if tags[TagEphemeral] == "true" {
			out = append(out, ephemeralStack{Name: s.Name, LastUpdate: s.LastUpdate, Tags: tags})
		}
	}
	return out, nil
}
