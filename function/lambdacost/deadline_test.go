package lambdacost

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orderpipe/orderpipe/function"
)

// hungStore hangs on every order, ignoring its context, until released.
type hungStore struct{ release chan struct{} }

func (s hungStore) Put(context.Context, function.Order, string, time.Time) (function.Outcome, error) {
	<-s.release
	return function.Failed, fmt.Errorf("released")
}

// hungDLQ hangs on every message, ignoring its context, until released.
type hungDLQ struct{ release chan struct{} }

func (d hungDLQ) Reject(context.Context, events.SQSMessage, string, time.Time) error {
	<-d.release
	return fmt.Errorf("released")
}

// A batch of 10,000 records (the most an SQS event source sends) at 128 MB,
// the smallest memory and so the smallest CPU share Lambda gives, with a
// store that hangs: Handle still answers before the deadline, every record
// a batch item failure. What follows the work (a log line per record, the
// response) is CPU, and at this share it takes about as long as parsing
// the batch did; a margin that ignored the batch's size came too late.
func TestDeadlineOfALargeBatchAt128MB(t *testing.T) {
	// The quota needs root and cgroup v1's cpu controller, as BenchmarkCost's
	// does; GitHub's hosted runners (cgroup v2, not root) have neither.
	// Without it the batch runs at the machine's full CPU: a weaker check,
	// said so in the log.
	quota, err := NewQuota()
	if err == nil {
		if err = quota.Enter(); err != nil {
			quota.Close()
		}
	}
	if err == nil {
		t.Cleanup(func() {
			if err := quota.Close(); err != nil {
				t.Errorf("remove the cgroup: %v", err)
			}
		})
		err = quota.Limit(Share(128))
	}
	if err != nil {
		t.Logf("no CPU quota, so at full CPU: %v", err)
	}
	// Lambda's log lines go to a pipe the runtime reads; /dev/null costs the
	// same write per line.
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { devnull.Close() })

	// Poison records whose reasons are long (a dozen unknown fields with
	// 100-byte names) cost more to log than to parse; 4,000 of them fill
	// Lambda's 6 MB invocation payload as 10,000 small orders do.
	var names []string
	for i := range 12 {
		names = append(names, fmt.Sprintf(`"%s%02d":0`, strings.Repeat("x", 98), i))
	}
	poison := "{" + strings.Join(names, ",") + "}"
	batches := []struct {
		name string
		n    int
		body func(i int) string
	}{
		{"orders", 10000, order},
		{"poison", 4000, func(int) string { return poison }},
	}
	for _, b := range batches {
		// 5 s: at 128 MB a 6 MB batch takes 1-2 s to parse and log alone,
		// and on a shared machine the quota is a ceiling, not a promise.
		for _, timeout := range []time.Duration{5 * time.Second} {
			t.Run(fmt.Sprint(b.name, "/", timeout), func(t *testing.T) {
				release := make(chan struct{})
				defer close(release)
				h := &function.Handler{Store: hungStore{release}, DeadLetters: hungDLQ{release},
					Log:     slog.New(slog.NewJSONHandler(devnull, nil)),
					Metrics: &function.EMF{W: devnull, Namespace: function.MetricsNamespace, FunctionName: "fn"}}
				var ev events.SQSEvent
				for i := range b.n {
					ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprintf("%08d-0000-4000-8000-000000000000", i), Body: b.body(i)})
				}
				time.Sleep(50 * time.Millisecond) // start on a fresh CFS period
				deadline := time.Now().Add(timeout)
				ctx, cancel := context.WithDeadline(context.Background(), deadline)
				defer cancel()
				resp, err := h.Handle(ctx, ev)
				if err != nil {
					t.Fatal(err)
				}
				// The runtime marshals the response before it posts it.
				if _, err := json.Marshal(resp); err != nil {
					t.Fatal(err)
				}
				returned := time.Now()
				if !returned.Before(deadline) {
					t.Errorf("Handle returned %v after the deadline", returned.Sub(deadline))
				} else {
					t.Logf("Handle returned %v before the deadline", deadline.Sub(returned))
				}
				if n := len(resp.BatchItemFailures); n != len(ev.Records) {
					t.Errorf("%d batch item failures, want all %d", n, len(ev.Records))
				}
			})
		}
	}
}
