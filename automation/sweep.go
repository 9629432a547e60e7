package automation

import (
	"context"
	"fmt"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
)

// Sweep destroys and removes the ephemeral stacks of the backend in opts
// whose expiry has passed, or, when maxAge is set, that were last updated
// longer ago than that. Stacks without the ephemeral tag are never touched.
// It returns the names of the stacks it removed.
func Sweep(ctx context.Context, opts Options, maxAge time.Duration) ([]string, error) {
	ws, err := opts.workspace(ctx)
	if err != nil {
		return nil, err
	}
	stacks, err := ephemeralStacks(ctx, ws)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	now := opts.now()
	var removed []string
	for _, s := range stacks {
		if !expired(s.Tags[TagExpires], s.LastUpdate, maxAge, now) {
			continue
		}
		st, err := auto.SelectStack(ctx, s.Name, ws)
		if err != nil {
			return removed, fmt.Errorf("sweep: select %s: %w", s.Name, err)
		}
		if _, err := st.Destroy(ctx, optdestroy.ContinueOnError()); err != nil {
			return removed, fmt.Errorf("sweep: destroy %s: %w", s.Name, err)
		}
		if err := ws.RemoveStack(ctx, s.Name); err != nil {
			return removed, fmt.Errorf("sweep: remove %s: %w", s.Name, err)
		}
		removed = append(removed, s.Name)
	}
	return removed, nil
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
