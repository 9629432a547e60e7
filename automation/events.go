package automation

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Change is one resource step of a preview or update.
type Change struct {
	Op   string `json:"op"`
	Type string `json:"type"`
	Name string `json:"name"`
	URN  string `json:"urn"`
}

// PolicyResult is one policy event: a violation reported by a pack.
type PolicyResult struct {
	Pack    string `json:"pack"`
	Policy  string `json:"policy"`
	Level   string `json:"level"` // "mandatory", "advisory" (the engine's "warning") or "remediate"
	URN     string `json:"urn,omitempty"`
	Message string `json:"message"`
}

// run reads the engine events of one operation: it writes progress and
// collects the steps and the policy events.
type run struct {
	events chan events.EngineEvent
	stop   chan struct{} // the operation has returned
	done   chan struct{}

	changes  []Change
	policies []PolicyResult
	errors   []string // the engine's error diagnostics
	shown    bool     // progress showed them
}

func (e *Env) progress() *run {
	r := &run{events: make(chan events.EngineEvent), stop: make(chan struct{}), done: make(chan struct{}), shown: e.opts.Progress != nil}
	go func() {
		defer close(r.done)
		for {
			var ev events.EngineEvent
			select {
			case <-r.stop:
				return
			case got, ok := <-r.events:
				if !ok {
					return
				}
				ev = got
			}
			r.collect(ev)
			if w := e.opts.Progress; w != nil {
				if e.opts.JSON {
					writeJSON(w, ev)
				} else if line := describe(ev); line != "" {
					fmt.Fprintln(w, line)
				}
			}
		}
	}()
	return r
}

// wait returns once the events of the operation, which has returned, are
// read. The Automation API hands each event over before the operation
// returns, and closes the channel only if the CLI connected to it: a CLI
// that fails first (a locked stack) never does.
func (r *run) wait() {
	close(r.stop)
	<-r.done
}

func (r *run) collect(ev events.EngineEvent) {
	switch {
	case ev.ResourcePreEvent != nil:
		m := ev.ResourcePreEvent.Metadata
		if m.Op == apitype.OpSame || m.Op == apitype.OpRead {
			return
		}
		r.changes = append(r.changes, Change{Op: string(m.Op), Type: m.Type, Name: resource.URN(m.URN).Name(), URN: m.URN})
	case ev.DiagnosticEvent != nil && ev.DiagnosticEvent.Severity == "error":
		r.errors = append(r.errors, strings.TrimSpace(ev.DiagnosticEvent.Message))
	case ev.PolicyEvent != nil:
		p := ev.PolicyEvent
		level := p.EnforcementLevel
		if level == "warning" {
			level = "advisory"
		}
		r.policies = append(r.policies, PolicyResult{Pack: p.PolicyPackName, Policy: p.PolicyName, Level: level, URN: p.ResourceURN, Message: strings.TrimSpace(p.Message)})
	}
}

// fail is the error of an operation that failed with err: what the engine
// said, once. The Automation API's own error repeats the CLI's whole output;
// when the progress already showed the engine's errors, this one only points
// to them.
func (r *run) fail(op, stack string, err error) error {
	said := ""
	switch {
	case len(r.errors) > 0 && r.shown:
		said = "the errors above"
	case len(r.errors) > 0:
		said = strings.Join(r.errors, "; ")
	default:
		said = cliError(err)
	}
	return &OpError{Op: op, Stack: stack, Said: said, Err: err}
}

// OpError is a failed operation on a stack. Its message says what went wrong
// once; Err is the Automation API's error, with the CLI's whole output.
type OpError struct {
	Op, Stack, Said string
	Err             error
}

func (e *OpError) Error() string { return fmt.Sprintf("%s of %s failed: %s", e.Op, e.Stack, e.Said) }
func (e *OpError) Unwrap() error { return e.Err }

// cliError is the gist of an Automation API error that has no engine
// diagnostic: the last line of what the CLI wrote to stderr, else the
// error's first line.
func cliError(err error) string {
	msg := err.Error()
	if _, stderr, ok := strings.Cut(msg, "\nstderr: "); ok {
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		for i := len(lines) - 1; i >= 0; i-- {
			if l := strings.TrimSpace(lines[i]); l != "" {
				return l
			}
		}
	}
	return firstLine(msg)
}

// describe is the readable line of an event, or "" for one not worth a line.
func describe(ev events.EngineEvent) string {
	switch {
	case ev.PreludeEvent != nil:
		return "starting"
	case ev.ResourcePreEvent != nil:
		m := ev.ResourcePreEvent.Metadata
		if m.Op == apitype.OpSame {
			return ""
		}
		return fmt.Sprintf("%-8s %s %s", m.Op, m.Type, resource.URN(m.URN).Name())
	case ev.ResOpFailedEvent != nil:
		m := ev.ResOpFailedEvent.Metadata
		return fmt.Sprintf("failed   %s %s", m.Type, resource.URN(m.URN).Name())
	case ev.DiagnosticEvent != nil && (ev.DiagnosticEvent.Severity == "error" || ev.DiagnosticEvent.Severity == "warning"):
		return ev.DiagnosticEvent.Severity + ": " + strings.TrimSpace(ev.DiagnosticEvent.Message)
	case ev.PolicyEvent != nil:
		p := ev.PolicyEvent
		// policyx writes the policy's description, then the violation:
		// the line worth showing is the violation.
		return fmt.Sprintf("policy   %s %s/%s: %s", p.EnforcementLevel, p.PolicyPackName, p.PolicyName, lastLine(p.Message))
	case ev.SummaryEvent != nil:
		var parts []string
		for op, n := range ev.SummaryEvent.ResourceChanges {
			parts = append(parts, fmt.Sprintf("%s %d", op, n))
		}
		return "summary  " + strings.Join(parts, ", ")
	}
	return ""
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.TrimSpace(s[strings.LastIndexByte(s, '\n')+1:])
}

func writeJSON(w io.Writer, ev events.EngineEvent) {
	b, err := json.Marshal(ev)
	if err == nil {
		fmt.Fprintf(w, "%s\n", b)
	}
}
