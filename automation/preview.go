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
}

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

	r := &PreviewResult{Stack: e.Name, Counts: map[string]int{}, Changes: p.changes, Policies: p.policies}
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
		return b.String()
	}
	b.WriteString("\n| level | policy | resource | message |\n| --- | --- | --- | --- |\n")
	for _, p := range r.Policies {
		name := p.URN
		if i := strings.LastIndex(name, "::"); i >= 0 {
			name = name[i+2:]
		}
		fmt.Fprintf(&b, "| %s | `%s/%s` | %s | %s |\n", p.Level, p.Pack, p.Policy, name, mdCell(p.Message))
	}
	return b.String()
}

// mdCell keeps a message inside one table cell.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\r\n", "<br>", "\n", "<br>").Replace(s)
}
