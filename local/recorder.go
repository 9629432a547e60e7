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

// Section is one part of the report: how many entries it has, and the first
// of them (all of them when kept so), so that a run's memory does not grow
// with the number of orders.
type Section[T any] struct {
	N     int
	First []T
}

// add counts v, and keeps it while fewer than keep are kept (keep < 0: all).
func (s *Section[T]) add(v T, keep int) {
	s.N++
	if keep < 0 || len(s.First) < keep {
		s.First = append(s.First, v)
	}
}

// Recorder is a slog.Handler that keeps what the report needs of the
// handler's per-message outcome lines, and passes every record on: the
// last outcome of each message still on a queue, and the duplicates (their
// count and the first of them).
//
// A duplicate is counted when its message is acknowledged (deleted), not
// when the handler logs it: a message is delivered again when its
// invocation timed out or its delete failed, and the handler then logs its
// outcome again — a second "duplicate", or "duplicate" for the order the
// same message stored the first time, which is no second order. A message
// that leaves the queue is forgotten, so memory grows with the messages in
// flight or moved to the DLQ, not with all of them.
type Recorder struct {
	next slog.Handler
	st   *recorded
}

type recorded struct {
	mu         sync.Mutex
	keep       int
	duplicates Section[Outcome]
	pending    map[string]Pending
}

// Pending is a message the handler has seen and that is not acknowledged:
// its last outcome, how many deliveries it has had, and whether one of them
// stored its order.
type Pending struct {
	Last Outcome
	// Decided is the last outcome other than failed: a delivery cut short
	// (the deadline, a throttled call) says nothing of the order, and must
	// not hide the conflict the deliveries before it found.
	Decided    Outcome
	Deliveries int
	Stored     bool
}

// NewRecorder records and passes records to next. It keeps ReportLines
// duplicates unless KeepAll says otherwise.
func NewRecorder(next slog.Handler) *Recorder {
	return &Recorder{next: next, st: &recorded{keep: ReportLines, pending: map[string]Pending{}}}
}

// KeepAll keeps every duplicate, for a report that lists them all.
func (r *Recorder) KeepAll() {
	r.st.mu.Lock()
	r.st.keep = -1
	r.st.mu.Unlock()
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
		st := r.st
		st.mu.Lock()
		p := st.pending[o.MessageID]
		p.Last, p.Deliveries, p.Stored = o, p.Deliveries+1, p.Stored || o.Outcome == "stored"
		if o.Outcome != "failed" {
			p.Decided = o
		}
		st.pending[o.MessageID] = p
		st.mu.Unlock()
	}
	if r.next.Enabled(ctx, rec.Level) {
		return r.next.Handle(ctx, rec)
	}
	return nil
}

func (r *Recorder) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &Recorder{next: r.next.WithAttrs(attrs), st: r.st}
}

func (r *Recorder) WithGroup(name string) slog.Handler {
	return &Recorder{next: r.next.WithGroup(name), st: r.st}
}

// Acknowledged records that the messages left the queue (the event source
// mapping deleted them): a last outcome "duplicate" counts as a duplicate
// unless the same message stored the order, as an earlier delivery's
// outcome says, or else storedBy (the message id the table holds for the
// order) when it is set: a write can land and its answer be lost (a
// timed-out call), so that the handler logged a failure.
func (r *Recorder) Acknowledged(ctx context.Context, storedBy func(ctx context.Context, orderID string) (string, error), messageIDs ...string) {
	st := r.st
	var dups []Outcome
	st.mu.Lock()
	for _, id := range messageIDs {
		if p, ok := st.pending[id]; ok && p.Last.Outcome == "duplicate" && !p.Stored {
			dups = append(dups, p.Last)
		}
		delete(st.pending, id)
	}
	st.mu.Unlock()
	for _, o := range dups {
		if storedBy != nil {
			// An order that cannot be read stays a duplicate: the report
			// then counts one order too many rather than one too few.
			if by, err := storedBy(ctx, o.OrderID); err == nil && by == o.MessageID {
				continue
			}
		}
		st.mu.Lock()
		st.duplicates.add(o, st.keep)
		st.mu.Unlock()
	}
}

// Duplicates are the duplicates acknowledged so far.
func (r *Recorder) Duplicates() Section[Outcome] {
	r.st.mu.Lock()
	defer r.st.mu.Unlock()
	d := r.st.duplicates
	d.First = append([]Outcome(nil), d.First...)
	return d
}

// Pending is what the handler did with a message not acknowledged.
func (r *Recorder) Pending(messageID string) (Pending, bool) {
	r.st.mu.Lock()
	defer r.st.mu.Unlock()
	p, ok := r.st.pending[messageID]
	return p, ok
}

// Forget forgets a message that left the queue otherwise than by an
// acknowledgement: one SQS moved to the dead-letter queue.
func (r *Recorder) Forget(messageID string) {
	r.st.mu.Lock()
	delete(r.st.pending, messageID)
	r.st.mu.Unlock()
}
