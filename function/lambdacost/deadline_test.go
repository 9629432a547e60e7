package lambdacost

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
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

	for _, timeout := range []time.Duration{3 * time.Second, 5 * time.Second} {
		t.Run(timeout.String(), func(t *testing.T) {
			release := make(chan struct{})
			defer close(release)
			h := &function.Handler{Store: hungStore{release}, DeadLetters: rejectNothing{},
				Log:     slog.New(slog.NewJSONHandler(devnull, nil)),
				Metrics: &function.EMF{W: devnull, Namespace: function.MetricsNamespace, FunctionName: "fn"}}
			var ev events.SQSEvent
			for i := range 10000 {
				ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprintf("%08d-0000-4000-8000-000000000000", i), Body: order(i)})
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
