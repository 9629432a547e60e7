package local

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/orderpipe/orderpipe/function"
	"github.com/orderpipe/orderpipe/spec"
)

// fakeQueue returns its messages once and records what is deleted.
type fakeQueue struct {
	mu       sync.Mutex
	messages []types.Message
	deleted  []string
}

func (q *fakeQueue) ReceiveMessage(_ context.Context, _ *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := &sqs.ReceiveMessageOutput{Messages: q.messages}
	q.messages = nil
	return out, nil
}

func (q *fakeQueue) DeleteMessageBatch(_ context.Context, in *sqs.DeleteMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := &sqs.DeleteMessageBatchOutput{}
	for _, e := range in.Entries {
		q.deleted = append(q.deleted, aws.ToString(e.ReceiptHandle))
		out.Successful = append(out.Successful, types.DeleteMessageBatchResultEntry{Id: e.Id})
	}
	return out, nil
}

func message(id, body, md5sum string) types.Message {
	if md5sum == "" {
		sum := md5.Sum([]byte(body))
		md5sum = hex.EncodeToString(sum[:])
	}
	return types.Message{MessageId: aws.String(id), ReceiptHandle: aws.String(id), Body: aws.String(body), MD5OfBody: aws.String(md5sum)}
}

// A message whose body came back altered does not take its neighbours down:
// they are handled and deleted; it is neither, and stays for the DLQ.
func TestPollerIsolatesAnAlteredMessage(t *testing.T) {
	q := &fakeQueue{messages: []types.Message{
		message("a", `{"n":1}`, ""), message("bad", "\uFFFD", "00000000000000000000000000000000"), message("b", `{"n":2}`, ""),
	}}
	var handled []string
	p := &Poller{Client: q, QueueURL: "q", BatchSize: 10, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Invoke: func(_ context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			for _, r := range ev.Records {
				handled = append(handled, r.MessageId)
			}
			return events.SQSEventResponse{}, nil
		}}
	batch, err := p.gather(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p.process(context.Background(), batch)
	if got := fmt.Sprint(handled, q.deleted); got != "[a b] [a b]" {
		t.Errorf("handled and deleted %s, want [a b] [a b]", got)
	}
}

// Lambda gives the handler a context whose deadline is the function's
// timeout from the invocation's start; the local event source mapping does
// the same.
func TestPollerGivesTheFunctionsTimeout(t *testing.T) {
	const timeout = 3 * time.Second
	q := &fakeQueue{messages: []types.Message{message("a", `{"n":1}`, "")}}
	var deadline, called time.Time
	var hasDeadline bool
	p := &Poller{Client: q, QueueURL: "q", BatchSize: 10, Timeout: timeout, Log: discard(),
		Invoke: func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			called = time.Now()
			deadline, hasDeadline = ctx.Deadline()
			return events.SQSEventResponse{}, nil
		}}
	batch, err := p.gather(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	p.process(context.Background(), batch)
	if !hasDeadline {
		t.Fatal("the handler's context has no deadline")
	}
	if deadline.Before(before.Add(timeout)) || deadline.After(called.Add(timeout)) {
		t.Errorf("deadline %v after the invocation started, want %v", deadline.Sub(before), timeout)
	}
	if fmt.Sprint(q.deleted) != "[a]" {
		t.Errorf("deleted %v, want [a]", q.deleted)
	}
}

// An answer that comes after the deadline is a timeout on Lambda: it is
// discarded and the whole batch returns to the queue.
func TestPollerDiscardsALateAnswer(t *testing.T) {
	q := &fakeQueue{messages: []types.Message{message("a", `{"n":1}`, ""), message("b", `{"n":2}`, "")}}
	p := &Poller{Client: q, QueueURL: "q", BatchSize: 10, Timeout: 50 * time.Millisecond, Log: discard(),
		Invoke: func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			select {
			case <-ctx.Done():
			case <-time.After(time.Second): // no deadline: the test fails, not hangs
			}
			time.Sleep(10 * time.Millisecond)
			return events.SQSEventResponse{}, nil // "all done", too late
		}}
	batch, err := p.gather(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p.process(context.Background(), batch)
	if len(q.deleted) != 0 {
		t.Errorf("deleted %v after the function timed out", q.deleted)
	}
}

// hungStore stores every order but one, whose write returns only when the
// test ends (or after 5 s, so that a handler without a deadline fails the
// test rather than hanging it), whatever its context says.
type hungStore struct {
	hang    string
	release chan struct{}
}

func (s hungStore) Put(ctx context.Context, o function.Order, _ string, _ time.Time) (function.Outcome, error) {
	if o.OrderID == s.hang {
		select {
		case <-s.release:
		case <-time.After(5 * time.Second):
		}
		return function.Failed, errors.New("released")
	}
	return function.Stored, nil
}

// The real handler behind the local event source mapping, with the
// function's timeout: its deadline margin is exercised, so a hung write
// costs only its own message, which stays on the queue; the others are
// acknowledged on this delivery. 3 s rather than the local run's 1 s: the
// margin is then 300 ms, which a machine busy with other tests (CI runs
// packages side by side) once overran by more than the 100 ms of 1 s.
func TestPollerRunsTheHandlerToItsDeadline(t *testing.T) {
	if got := (&Pipeline{Config: localConfig(t, nil)}).poller().Timeout; got != time.Second {
		t.Fatalf("timeout %v, want the local lambdaTimeout 1s", got)
	}
	p := (&Pipeline{Config: localConfig(t, map[string]string{"lambdaTimeout": "3"})}).poller()
	store := hungStore{hang: "o-2", release: make(chan struct{})}
	defer close(store.release)
	p.Invoke = (&function.Handler{Store: store, DeadLetters: noDeadLetters{t}, Log: discard()}).Handle
	order := func(id string) string {
		return `{"orderId":"` + id + `","customerId":"c-1","items":[{"sku":"A","quantity":1,"unitPrice":"1.00"}],"currency":"EUR","total":"1.00"}`
	}
	q := &fakeQueue{messages: []types.Message{message("m1", order("o-1"), ""), message("m2", order("o-2"), ""), message("m3", order("o-3"), "")}}
	p.Client, p.Log, p.Acknowledged = q, discard(), nil
	batch, err := p.gather(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	p.process(context.Background(), batch)
	if took := time.Since(start); took >= p.Timeout {
		t.Errorf("the batch took %v, past the function's timeout %v", took, p.Timeout)
	}
	if fmt.Sprint(q.deleted) != "[m1 m3]" {
		t.Errorf("deleted %v, want [m1 m3] (m2's write hangs)", q.deleted)
	}
}

// noDeadLetters fails the test if the handler rejects an order.
type noDeadLetters struct{ t *testing.T }

func (d noDeadLetters) Reject(_ context.Context, rec events.SQSMessage, reason string, _ time.Time) error {
	d.t.Errorf("message %s rejected: %s", rec.MessageId, reason)
	return nil
}

func localConfig(t *testing.T, config map[string]string) spec.Config {
	t.Helper()
	merged := localDefaults()
	maps.Copy(merged, config)
	cfg, err := spec.LoadMap(StackName, merged)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// memStore is DynamoStore's contract in memory: an order is stored once;
// the same order again is a duplicate.
type memStore struct {
	mu     sync.Mutex
	hashes map[string]string
}

func (s *memStore) Put(_ context.Context, o function.Order, _ string, _ time.Time) (function.Outcome, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch h, ok := s.hashes[o.OrderID]; {
	case !ok:
		s.hashes[o.OrderID] = o.IdentityHash()
		return function.Stored, nil
	case h == o.IdentityHash():
		return function.Duplicate, nil
	}
	return function.Conflict, errors.New("conflict")
}

// A batch whose answer comes too late (a timed-out invocation) is
// delivered again, and the handler logs each of its messages again: the
// order a message stored the first time is then "duplicate", and a
// duplicate is a duplicate twice. Each is still one message: stored once
// (in the table), or one duplicate.
func TestRedeliveryIsCountedOnce(t *testing.T) {
	order := `{"orderId":"o-1","customerId":"c-1","items":[{"sku":"A","quantity":1,"unitPrice":"1.00"}],"currency":"EUR","total":"1.00"}`
	store := &memStore{hashes: map[string]string{}}
	rec := NewRecorder(slog.NewTextHandler(io.Discard, nil))
	h := &function.Handler{Store: store, DeadLetters: noDeadLetters{t}, Log: slog.New(rec)}
	late := true
	q := &fakeQueue{}
	p := &Poller{Client: q, QueueURL: "q", BatchSize: 10, Timeout: 200 * time.Millisecond, Log: discard(),
		Acknowledged: func(ctx context.Context, ids ...string) { rec.Acknowledged(ctx, nil, ids...) },
		Invoke: func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			resp, err := h.Handle(ctx, ev)
			if late {
				<-ctx.Done()
			}
			return resp, err
		}}
	// m1 stores o-1 and m2 is its duplicate; the answer is late.
	batch := []types.Message{message("m1", order, ""), message("m2", order, "")}
	p.process(context.Background(), batch[:1])
	p.process(context.Background(), batch[1:])
	if len(q.deleted) != 0 || rec.Duplicates().N != 0 {
		t.Fatalf("after timed-out invocations: deleted %v, %d duplicates", q.deleted, rec.Duplicates().N)
	}
	// Delivered again, in time.
	late = false
	p.process(context.Background(), batch)
	if fmt.Sprint(q.deleted) != "[m1 m2]" {
		t.Fatalf("deleted %v", q.deleted)
	}
	if d := rec.Duplicates(); d.N != 1 || d.First[0].MessageID != "m2" {
		t.Errorf("duplicates %+v, want m2 only (m1 stored the order)", d)
	}
	if n := len(rec.st.pending); n != 0 {
		t.Errorf("%d messages still remembered after both were acknowledged", n)
	}
}
