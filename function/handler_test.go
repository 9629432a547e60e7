package function

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"pgregory.net/rapid"
)

// memStore is an in-memory Store with the DynamoStore's semantics.
type memStore struct {
	mu     sync.Mutex
	orders map[string]string // order id → canonical payload
	puts   map[string]int    // successful writes per order id
	fail   func(o Order) error
	panic  string // an order id whose Put panics
}

func newMemStore() *memStore { return &memStore{orders: map[string]string{}, puts: map[string]int{}} }

func (s *memStore) Put(_ context.Context, o Order, _ string, _ time.Time) (Outcome, error) {
	if o.OrderID == s.panic {
		panic("store exploded")
	}
	if s.fail != nil {
		if err := s.fail(o); err != nil {
			return Failed, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	payload := string(o.identity())
	if stored, ok := s.orders[o.OrderID]; ok {
		if stored == payload {
			return Duplicate, nil
		}
		return Conflict, &ConflictError{OrderID: o.OrderID}
	}
	s.orders[o.OrderID] = payload
	s.puts[o.OrderID]++
	return Stored, nil
}

// memDLQ is an in-memory DeadLetters.
type memDLQ struct {
	mu       sync.Mutex
	messages map[string]string // original message id → reason
	fail     func(rec events.SQSMessage) error
}

func (d *memDLQ) Reject(_ context.Context, rec events.SQSMessage, reason string, _ time.Time) error {
	if d.fail != nil {
		if err := d.fail(rec); err != nil {
			return err
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.messages == nil {
		d.messages = map[string]string{}
	}
	d.messages[rec.MessageId] = reason
	return nil
}

type recordedMetrics struct {
	mu     sync.Mutex
	counts []Counts
}

func (m *recordedMetrics) Record(_ time.Time, c Counts) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.counts = append(m.counts, c)
	return nil
}

func discardLog() *slog.Logger { return slog.New(slog.NewJSONHandler(io.Discard, nil)) }

func failures(resp events.SQSEventResponse) string {
	ids := make([]string, len(resp.BatchItemFailures))
	for i, f := range resp.BatchItemFailures {
		ids[i] = f.ItemIdentifier
	}
	return strings.Join(ids, ",")
}

func withID(id string) string { return order(`orderId="` + id + `"`) }

func TestHandleBatch(t *testing.T) {
	store, dlq, metrics := newMemStore(), &memDLQ{}, &recordedMetrics{}
	store.fail = func(o Order) error {
		if o.OrderID == "throttled" {
			return errors.New("ProvisionedThroughputExceededException")
		}
		return nil
	}
	store.panic = "explodes"
	var logs bytes.Buffer
	h := &Handler{Store: store, DeadLetters: dlq, Metrics: metrics, Log: slog.New(slog.NewJSONHandler(&logs, nil)), Concurrency: 3}

	if _, err := h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m0", Body: validOrder}}}); err != nil {
		t.Fatal(err)
	}
	ev := events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "m1", Body: withID("o-2")},
		{MessageId: "m2", Body: snsWrap(validOrder)},         // duplicate of m0, other form
		{MessageId: "m3", Body: order(`customerId="other"`)}, // conflict with m0
		{MessageId: "m4", Body: `not json`},                  // poison
		{MessageId: "m5", Body: withID("throttled")},
		{MessageId: "m6", Body: withID("explodes")},
		{MessageId: "m7", Body: order(`orderId="o-3"`, `total="1.00"`)}, // poison
		{MessageId: "m8", Body: withID("o-4")},
	}}
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	resp, err := h.Handle(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := failures(resp), "m3,m5,m6"; got != want {
		t.Errorf("batch item failures %s, want %s", got, want)
	}
	if got := fmt.Sprint(store.puts); got != "map[o-1:1 o-2:1 o-4:1]" {
		t.Errorf("writes %s, want one each of o-1, o-2 and o-4", got)
	}
	if got := fmt.Sprint(dlq.messages); got != "map[m4:body: is not JSON: it starts with \"not json\" m7:total: must equal the sum of quantity × unitPrice over the items: 20.00]" {
		t.Errorf("dead letters %s", got)
	}
	if got := fmt.Sprint(metrics.counts[1]); got != "map[conflict:1 duplicate:1 failed:2 rejected:2 stored:2]" {
		t.Errorf("metrics %s", got)
	}

	// One JSON line per record, with the request id, message id, order id,
	// outcome and duration.
	lines := map[string]map[string]any{}
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		lines[fmt.Sprint(m["messageId"])] = m
	}
	for id, want := range map[string]string{"m1": "INFO stored o-2", "m2": "INFO duplicate o-1", "m3": "ERROR conflict o-1", "m4": "WARN rejected <nil>",
		"m5": "ERROR failed throttled", "m6": "ERROR failed explodes", "m8": "INFO stored o-4"} {
		l := lines[id]
		if got := fmt.Sprint(l["level"], " ", l["outcome"], " ", l["orderId"]); got != want {
			t.Errorf("log of %s: %s, want %s", id, got, want)
		}
		if l["requestId"] != "req-1" || l["durationMs"] == nil {
			t.Errorf("log of %s lacks the request id or duration: %v", id, l)
		}
	}
	if !strings.Contains(fmt.Sprint(lines["m6"]["error"]), "panic: store exploded") {
		t.Errorf("the panic is not logged: %v", lines["m6"])
	}
}

// A poison message that cannot reach the DLQ stays on the queue.
func TestRejectFailureKeepsTheMessage(t *testing.T) {
	dlq := &memDLQ{fail: func(events.SQSMessage) error { return errors.New("DLQ unavailable") }}
	h := &Handler{Store: newMemStore(), DeadLetters: dlq, Log: discardLog()}
	resp, err := h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: "{"}}})
	if err != nil || failures(resp) != "m1" {
		t.Errorf("got %v, %v; want m1 reported for a retry", resp, err)
	}
}

func TestHandleMisconfigured(t *testing.T) {
	_, err := (&Handler{Log: discardLog()}).Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: validOrder}}})
	if err == nil || !strings.Contains(err.Error(), "handler misconfigured") {
		t.Errorf("error %v, want the whole batch to fail", err)
	}
}

// blockingStore counts the Puts in flight.
type blockingStore struct {
	inFlight, max atomic.Int32
	release       chan struct{}
}

func (s *blockingStore) Put(context.Context, Order, string, time.Time) (Outcome, error) {
	n := s.inFlight.Add(1)
	for {
		m := s.max.Load()
		if n <= m || s.max.CompareAndSwap(m, n) {
			break
		}
	}
	<-s.release
	s.inFlight.Add(-1)
	return Stored, nil
}

func TestHandleBoundsConcurrency(t *testing.T) {
	store := &blockingStore{release: make(chan struct{})}
	h := &Handler{Store: store, DeadLetters: &memDLQ{}, Log: discardLog(), Concurrency: 4}
	var ev events.SQSEvent
	for i := range 10 {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprint("m", i), Body: withID(fmt.Sprint("o", i))})
	}
	done := make(chan struct{})
	go func() { h.Handle(context.Background(), ev); close(done) }()
	// Four Puts wait; no fifth may start until one of them is released.
	deadline := time.Now().Add(10 * time.Second)
	for store.inFlight.Load() < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d records in flight", store.inFlight.Load())
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // room for a fifth to start, if the bound leaked
	for range 10 {
		store.release <- struct{}{}
	}
	<-done
	if got := store.max.Load(); got != 4 {
		t.Errorf("%d records were stored at once, want the bound of 4", got)
	}
}

func TestEMF(t *testing.T) {
	var b bytes.Buffer
	m := &EMF{W: &b, Namespace: "orderpipe", FunctionName: "fn"}
	if err := m.Record(time.UnixMilli(1764167820000), Counts{Stored: 3, Rejected: 1}); err != nil {
		t.Fatal(err)
	}
	want := `{"FunctionName":"fn","OrdersConflict":0,"OrdersDuplicate":0,"OrdersFailed":0,"OrdersRejected":1,"OrdersStored":3,` +
		`"_aws":{"Timestamp":1764167820000,"CloudWatchMetrics":[{"Namespace":"orderpipe","Dimensions":[["FunctionName"]],"Metrics":[` +
		`{"Name":"OrdersStored","Unit":"Count"},{"Name":"OrdersDuplicate","Unit":"Count"},{"Name":"OrdersRejected","Unit":"Count"},` +
		`{"Name":"OrdersConflict","Unit":"Count"},{"Name":"OrdersFailed","Unit":"Count"}]}]}}` + "\n"
	if b.String() != want {
		t.Errorf("got  %s\nwant %s", b.String(), want)
	}
}

// No loss: whatever fails, every message ends stored exactly once, in the
// dead-letter queue, or reported for redelivery; and redelivering the
// reported ones until they succeed stores every valid order exactly once.
func TestNoLoss(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ids := rapid.SliceOfN(rapid.SampledFrom([]string{"a", "b", "c", "d", "e"}), 1, 30).Draw(t, "ids")
		kinds := rapid.SliceOfN(rapid.SampledFrom([]string{"valid", "poison", "variant"}), len(ids), len(ids)).Draw(t, "kinds")
		storeFails := rapid.Float64Range(0, 0.9).Draw(t, "storeFails")
		dlqFails := rapid.Float64Range(0, 0.9).Draw(t, "dlqFails")
		seed := rapid.Uint64().Draw(t, "seed")

		var rngMu sync.Mutex
		rng := seed
		chance := func(p float64) bool {
			rngMu.Lock()
			defer rngMu.Unlock()
			rng = rng*6364136223846793005 + 1442695040888963407
			return float64(rng>>11)/float64(1<<53) < p
		}
		store, dlq := newMemStore(), &memDLQ{}
		store.fail = func(Order) error {
			if chance(storeFails) {
				return errors.New("injected store failure")
			}
			return nil
		}
		dlq.fail = func(events.SQSMessage) error {
			if chance(dlqFails) {
				return errors.New("injected DLQ failure")
			}
			return nil
		}
		h := &Handler{Store: store, DeadLetters: dlq, Log: discardLog(), Concurrency: 4}

		queue := map[string]events.SQSMessage{} // message id → message
		for i, id := range ids {
			body := withID(id)
			switch kinds[i] {
			case "poison":
				body = order(`orderId="`+id+`"`, `total="0.01"`)
			case "variant": // same id, another order: a conflict once the first is stored
				body = order(`orderId="`+id+`"`, `customerId="variant"`)
			}
			queue[fmt.Sprint("m", i)] = events.SQSMessage{MessageId: fmt.Sprint("m", i), Body: body}
		}
		// A conflict never succeeds: SQS moves it to the DLQ after
		// maxReceiveCount. Everything else is redelivered until it is done.
		pending := func() bool {
			for _, m := range queue {
				if o, err := ParseOrder(m.Body); err != nil || store.orders[o.OrderID] == "" || store.orders[o.OrderID] == string(o.identity()) {
					return true
				}
			}
			return false
		}
		for round := 0; pending(); round++ {
			if round == 5000 {
				t.Fatalf("messages still pending after %d redeliveries", round)
			}
			var ev events.SQSEvent
			for _, m := range queue {
				ev.Records = append(ev.Records, m)
			}
			resp, err := h.Handle(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			retry := map[string]bool{}
			for _, f := range resp.BatchItemFailures {
				retry[f.ItemIdentifier] = true
			}
			for _, m := range ev.Records {
				if retry[m.MessageId] {
					continue
				}
				// Acknowledged: it must be somewhere.
				o, err := ParseOrder(m.Body)
				_, inDLQ := dlq.messages[m.MessageId]
				stored := err == nil && store.orders[o.OrderID] == string(o.identity())
				if !stored && !inDLQ {
					t.Fatalf("message %s acknowledged but neither stored nor in the DLQ", m.MessageId)
				}
				delete(queue, m.MessageId)
			}
		}
		for id, n := range store.puts {
			if n != 1 {
				t.Fatalf("order %s written %d times", id, n)
			}
		}
	})
}

func BenchmarkHandleBatch(b *testing.B) {
	h := &Handler{Store: nopStore{}, DeadLetters: &memDLQ{}, Metrics: &EMF{W: io.Discard, Namespace: "orderpipe", FunctionName: "fn"},
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), Concurrency: DefaultConcurrency}
	var ev events.SQSEvent
	for i := range 10 {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprint("m", i), Body: withID(fmt.Sprint("order-", i))})
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, _ := h.Handle(ctx, ev)
		if len(resp.BatchItemFailures) != 0 {
			b.Fatal(resp)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ev.Records)), "ns/msg")
}

type nopStore struct{}

func (nopStore) Put(context.Context, Order, string, time.Time) (Outcome, error) { return Stored, nil }
