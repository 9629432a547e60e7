package automation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
)

// ErrPolicyViolation reports a preview that a mandatory policy failed.
var ErrPolicyViolation = errors.New("a mandatory policy failed")

// PreviewResult is what a preview would change and what the policy packs
// said about it.
type PreviewResult struct {
	Stack    string         `json:"stack"`
	Counts   map[string]int `json:"counts"` // operation → resources
	Changes  []Change       `json:"changes"`
	Policies []PolicyResult `json:"policies"`
	Passed   bool           `json:"passed"` // no mandatory violation and no error
	// Deferred are the checks the pack could not make on this preview
	// because a value is only known after apply (its preview-unknowns
	// policy), one a line. The PR workflow makes them on the update.
	Deferred []string `json:"deferred,omitempty"`
}

// deferredPolicy is the policy of the orderpipe pack that lists the checks
// a preview could not make.
const deferredPolicy = "preview-unknowns"

// Preview previews the stack with the policy packs. A mandatory violation
// returns the full result and an error wrapping ErrPolicyViolation: the
// Automation API itself returns no summary then, so the result is built from
// the engine's event stream.
func (e *Env) Preview(ctx context.Context) (*PreviewResult, error) {
	p := e.progress()
	opts := []optpreview.Option{optpreview.EventStreams(p.events)}
	if len(e.opts.PolicyPacks) > 0 {
		opts = append(opts, optpreview.PolicyPacks(e.opts.PolicyPacks...))
	}
	if e.opts.PolicyConfig != "" {
		opts = append(opts, optpreview.PolicyPackConfigs(e.opts.PolicyConfig))
	}
	_, err := e.stack.Preview(ctx, opts...)
	p.wait()

	r := &PreviewResult{Stack: e.Name, Counts: map[string]int{}, Changes: p.changes}
	for _, pr := range p.policies {
		if pr.Policy != deferredPolicy {
			r.Policies = append(r.Policies, pr)
			continue
		}
		// policyx puts the policy's description first.
		lines := strings.Split(pr.Message, "\n")
		for _, l := range lines[1:] {
			if l = strings.TrimSpace(l); l != "" {
				r.Deferred = append(r.Deferred, l)
			}
		}
	}
	for _, c := range p.changes {
		r.Counts[c.Op]++
	}
	mandatory := slices.ContainsFunc(r.Policies, func(p PolicyResult) bool { return p.Level == "mandatory" })
	r.Passed = err == nil && !mandatory
	switch {
	case mandatory:
		return r, fmt.Errorf("preview of %s: %w", e.Name, ErrPolicyViolation)
	case err != nil:
		return r, p.fail("preview", e.Name, err)
	}
	return r, nil
}

// Markdown renders the result for a pull-request comment.
func (r *PreviewResult) Markdown() string {
	var b strings.Builder
	verdict := "✅ passed"
	if !r.Passed {
		verdict = "❌ failed"
	}
	fmt.Fprintf(&b, "### orderpipe preview of `%s`: %s\n\n", r.Stack, verdict)
	ops := make([]string, 0, len(r.Counts))
	for op := range r.Counts {
		ops = append(ops, op)
	}
	slices.Sort(ops)
	if len(ops) == 0 {
		b.WriteString("No changes.\n")
	} else {
		b.WriteString("| operation | resources |\n| --- | --- |\n")
		for _, op := range ops {
			fmt.Fprintf(&b, "| %s | %d |\n", op, r.Counts[op])
		}
	}
	if len(r.Policies) == 0 {
		b.WriteString("\nNo policy violations.\n")
	} else {
		b.WriteString("\n| level | policy | resource | message |\n| --- | --- | --- | --- |\n")
		for _, p := range r.Policies {
			name := p.URN
			if i := strings.LastIndex(name, "::"); i >= 0 {
				name = name[i+2:]
			}
			fmt.Fprintf(&b, "| %s | `%s/%s` | %s | %s |\n", p.Level, p.Pack, p.Policy, name, mdCell(p.Message))
		}
	}
	if len(r.Deferred) > 0 {
		fmt.Fprintf(&b, "\n%d checks deferred until the values are known; the update of this environment makes them:\n\n", len(r.Deferred))
		for _, d := range r.Deferred {
			fmt.Fprintf(&b, "- %s\n", d)
		}
	}
	return b.String()
}

// mdCell keeps a message inside one table cell.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\r\n", "<br>", "\n", "<br>").Replace(s)
}
