package local

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
)

// The recorder keeps counts, the first duplicates and the messages still on
// a queue: a message that leaves the queue is forgotten, so its memory does
// not grow with the orders of a run.
func TestRecorderKeepsABoundedReport(t *testing.T) {
	r := NewRecorder(slog.NewTextHandler(io.Discard, nil))
	log := slog.New(r)
	for i := range 1000 {
		log.Info("order duplicate", "messageId", fmt.Sprint("d", i), "orderId", "o", "outcome", "duplicate")
		log.Info("order stored", "messageId", fmt.Sprint("s", i), "orderId", "o", "outcome", "stored")
		r.Acknowledged(context.Background(), nil, fmt.Sprint("d", i), fmt.Sprint("s", i))
	}
	// A failure that is later stored, and a conflict that stays.
	log.Error("order failed", "messageId", "f", "outcome", "failed", "error", "throttled")
	log.Info("order stored", "messageId", "f", "outcome", "stored")
	r.Acknowledged(context.Background(), nil, "f")
	for range 4 {
		log.Error("order conflict", "messageId", "c", "outcome", "conflict", "error", "another payload")
	}
	d := r.Duplicates()
	if d.N != 1000 || len(d.First) != ReportLines {
		t.Errorf("duplicates: %d counted, %d kept; want 1000 and %d", d.N, len(d.First), ReportLines)
	}
	if _, ok := r.Pending("f"); ok {
		t.Error("a message stored after a failure is still pending")
	}
	if p, ok := r.Pending("c"); !ok || p.Deliveries != 4 || p.Last.Error != "another payload" {
		t.Errorf("conflict: %+v, %v", p, ok)
	}
	if n := len(r.st.pending); n != 1 {
		t.Errorf("%d messages remembered, want the one still on the queue", n)
	}
	// A write that landed though the handler logged a failure (its answer
	// was lost): delivered again, the message is a "duplicate" of the
	// order it stored itself, which the table says.
	log.Error("order failed", "messageId", "w", "orderId", "ow", "outcome", "failed", "error", "context deadline exceeded")
	log.Info("order duplicate", "messageId", "w", "orderId", "ow", "outcome", "duplicate")
	storedBy := func(_ context.Context, orderID string) (string, error) {
		if orderID == "ow" {
			return "w", nil
		}
		return "another", nil
	}
	r.Acknowledged(context.Background(), storedBy, "w")
	if d := r.Duplicates(); d.N != 1000 {
		t.Errorf("a message that stored its own order counted as a duplicate: %d", d.N)
	}
	r.KeepAll()
	log.Info("order duplicate", "messageId", "dx", "outcome", "duplicate")
	r.Acknowledged(context.Background(), nil, "dx")
	if d := r.Duplicates(); d.N != 1001 || len(d.First) != ReportLines+1 {
		t.Errorf("after KeepAll: %d counted, %d kept", d.N, len(d.First))
	}
}

// A message SQS moved after its deliveries says why they failed: a last
// delivery cut short by the deadline does not hide the conflicts before it.
func TestMovedSaysTheLastDecidedOutcome(t *testing.T) {
	r := NewRecorder(slog.NewTextHandler(io.Discard, nil))
	log := slog.New(r)
	for range 3 {
		log.Error("order conflict", "messageId", "c", "orderId", "o", "outcome", "conflict", "error", "another payload")
	}
	log.Error("order failed", "messageId", "c", "orderId", "o", "outcome", "failed", "error", "not finished before the deadline")
	log.Error("order failed", "messageId", "f", "orderId", "o", "outcome", "failed", "error", "throttled")
	for _, c := range []struct{ id, want string }{
		{"c", "moved by SQS after 4 failed deliveries (maxReceiveCount 3); last outcome failed: not finished before the deadline; before it conflict: another payload"},
		{"f", "moved by SQS after 1 failed deliveries (maxReceiveCount 3); last outcome failed: throttled"},
	} {
		p, _ := r.Pending(c.id)
		if got := movedWhy(p, 3); got != c.want {
			t.Errorf("%s: %q, want %q", c.id, got, c.want)
		}
	}
}
