package local

import (
	"context"
	"log/slog"
	"sync"
)

// Outcome is what the handler logged about one message.
type Outcome struct {
	MessageID, OrderID, Outcome, Reason, Error string
}

// Recorder is a slog.Handler that keeps the handler's per-message outcome
// lines, for the report, and passes every record on.
type Recorder struct {
	next slog.Handler
	mu   *sync.Mutex
	outs *[]Outcome
}

// NewRecorder records and passes records to next.
func NewRecorder(next slog.Handler) *Recorder {
	return &Recorder{next: next, mu: &sync.Mutex{}, outs: &[]Outcome{}}
}

func (r *Recorder) Enabled(ctx context.Context, l slog.Level) bool { return true }

func (r *Recorder) Handle(ctx context.Context, rec slog.Record) error {
	var o Outcome
	rec.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "messageId":
			o.MessageID = a.Value.String()
		case "orderId":
			o.OrderID = a.Value.String()
		case "outcome":
			o.Outcome = a.Value.String()
		case "reason":
			o.Reason = a.Value.String()
		case "error":
			o.Error = a.Value.String()
		}
		return true
	})
	if o.Outcome != "" {
		r.mu.Lock()
		*r.outs = append(*r.outs, o)
		r.mu.Unlock()
	}
	if r.next.Enabled(ctx, rec.Level) {
		return r.next.Handle(ctx, rec)
	}
	return nil
}

func (r *Recorder) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &Recorder{next: r.next.WithAttrs(attrs), mu: r.mu, outs: r.outs}
}

func (r *Recorder) WithGroup(name string) slog.Handler {
	return &Recorder{next: r.next.WithGroup(name), mu: r.mu, outs: r.outs}
}

// Outcomes are the recorded outcomes, in the order they happened.
func (r *Recorder) Outcomes() []Outcome {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Outcome(nil), *r.outs...)
}
