package function

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Outcome is what handling one message came to.
type Outcome string

// The outcomes. Stored, Duplicate and Rejected are done: the message leaves
// the queue. Conflict and Failed are retried by SQS and, after the queue's
// maxReceiveCount, moved to the dead-letter queue.
const (
	Stored    Outcome = "stored"    // the order is in the table now
	Duplicate Outcome = "duplicate" // the same order was in the table already
	Rejected  Outcome = "rejected"  // a poison message, now in the dead-letter queue
	Conflict  Outcome = "conflict"  // another order is stored under its id
	Failed    Outcome = "failed"    // a transient error; SQS delivers it again
)

// Outcomes lists every outcome, in the order metrics report them.
func Outcomes() []Outcome { return []Outcome{Stored, Duplicate, Rejected, Conflict, Failed} }

// MetricName is the outcome's CloudWatch metric name, e.g. "OrdersStored".
func (o Outcome) MetricName() string {
	return "Orders" + strings.ToUpper(string(o[:1])) + string(o[1:])
}

// done reports whether the message may leave the queue.
func (o Outcome) done() bool { return o == Stored || o == Duplicate || o == Rejected }

// Counts are the outcomes of one batch.
type Counts map[Outcome]int

// Store keeps orders, each at most once.
type Store interface {
	Put(ctx context.Context, o Order, messageID string, received time.Time) (Outcome, error)
}

// DeadLetters takes the messages that can never be stored.
type DeadLetters interface {
	Reject(ctx context.Context, rec events.SQSMessage, reason string, at time.Time) error
}

// Metrics records the outcomes of each batch.
type Metrics interface {
	Record(at time.Time, counts Counts) error
}

// Handler processes batches from the order queue.
type Handler struct {
	Store       Store
	DeadLetters DeadLetters
	Metrics     Metrics // optional
	Log         *slog.Logger
	Concurrency int              // records handled at once; DefaultConcurrency when 0
	Now         func() time.Time // time.Now when nil
}

// Handle handles the records of a batch concurrently and reports the ones
// SQS must deliver again. A record is left out of the failures only when its
// order is stored (now or before) or the message is in the dead-letter queue:
// nothing is acknowledged and lost. An error in or a panic of one record never
// fails another. Handle returns an error, failing the whole batch, only when
// the handler cannot work at all.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	if h.Store == nil || h.DeadLetters == nil || h.Log == nil {
		return events.SQSEventResponse{}, errors.New("handler misconfigured: it needs a store, a dead-letter queue and a logger")
	}
	log := h.Log
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		log = log.With("requestId", lc.AwsRequestID)
	}
	limit := h.Concurrency
	if limit <= 0 {
		limit = DefaultConcurrency
	}

	// Parsing is CPU work and runs here; only the calls to DynamoDB and SQS
	// run concurrently, in goroutines that stay small. How long it took
	// tells how fast this CPU share gets through the batch.
	began := time.Now()
	recs := make([]record, len(ev.Records))
	for i := range ev.Records {
		recs[i] = h.parse(&ev.Records[i])
	}
	parsed := time.Since(began)

	// The records work under a context that ends a margin before Lambda's
	// deadline, so that Handle answers in time even when a call hangs: a
	// record not finished by then stays on the queue.
	work, cancel := context.WithCancel(ctx)
	margin := time.Duration(0)
	if d, ok := ctx.Deadline(); ok {
		margin = deadlineMargin(d.Sub(began), logShare(parsed, ev.Records))
		work, cancel = context.WithDeadline(ctx, d.Add(-margin))
	}
	defer cancel()

	// Each goroutine works on its own copy and hands it back; one still
	// running when the context ends is left behind and its record failed.
	done := make(chan record, len(recs))
	sem := make(chan struct{}, limit)
	started := 0
start:
	for _, i := range workOrder(recs) {
		if work.Err() != nil {
			break // with a slot free too, a select would pick either at random
		}
		select {
		case sem <- struct{}{}:
		case <-work.Done():
			break start
		}
		started++
		go func(r record) {
			defer func() { <-sem; done <- r }()
			h.handleRecord(work, &r, i)
		}(recs[i])
	}
	finished := make([]bool, len(recs))
	for n := 0; n < started; n++ {
		var r record
		select {
		case r = <-done:
		case <-work.Done():
			// Take what finished meanwhile; the rest is left behind.
			select {
			case r = <-done:
			default:
				n = started
				continue
			}
		}
		recs[r.index], finished[r.index] = r, true
	}
	for i := range recs {
		if !finished[i] {
			recs[i].outcome, recs[i].end = Failed, h.now()
			recs[i].err = fmt.Errorf("not finished %v before the function's deadline, so it stays on the queue", margin)
		}
	}

	// Logging is CPU work too: it runs here, one line per record.
	var resp events.SQSEventResponse
	counts := Counts{}
	for i := range recs {
		r := &recs[i]
		logRecord(ctx, log, r)
		counts[r.outcome]++
		if !r.outcome.done() {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.msg.MessageId})
		}
	}
	if h.Metrics != nil {
		if err := h.Metrics.Record(h.now(), counts); err != nil {
			// Metrics are not worth redelivering a batch for.
			log.WarnContext(ctx, "metrics not recorded", "error", err.Error())
		}
	}
	return resp, nil
}

// The margin kept before Lambda's deadline for what follows the records'
// work: the records' goroutines return once their calls see the context end
// (the SDK's HTTP requests and retry waits honour it), then Handle writes one
// log line per record and the metrics line, and the runtime marshals and
// posts the response. Its fixed part is a tenth of the time left, at least
// 100 ms and at most 1 s (1 s of the default 30 s timeout, 100 ms of the
// local run's 1 s): it covers a batch of 10 at any memory size and the
// scheduler's delays. Its other part grows with the batch: a log line costs
// about as much CPU as parsing a small order, or more now that parsing
// stops building problems past the first ones (BenchmarkParseAgainstLogLine,
// one run, a loaded machine: parse 4.3-6.4, log 4.2-4.7 µs a record), and
// at 128 MB, a fourteenth of a vCPU, 10,000 records take some 0.6 s to
// parse and as long again to log. So the time parsing the batch took,
// measured under the function's own CPU share, is added twice: its part
// that measures log lines (logShare).
const (
	minDeadlineMargin = 100 * time.Millisecond
	maxDeadlineMargin = time.Second
)

// deadlineMargin is the margin for a batch whose parsing took parsed, with
// left until the deadline when the handler began.
func deadlineMargin(left, parsed time.Duration) time.Duration {
	return min(max(left/10, minDeadlineMargin), maxDeadlineMargin) + parsed*2
}

// maxLogLineBytes bounds a record's log line: a reason of at most
// maxProblems problems, each cut, an error cut to maxLogErrorBytes, and
// ids (TestReasonsAreBoundedForEveryShape).
const maxLogLineBytes = 16 << 10

// logShare is the part of the time parsing the batch took that measures
// its log lines. Per byte, parsing a body costs about as much as logging a
// line (BenchmarkParseAgainstLogLine: a 206-byte order parses in 3.1-3.4
// µs, its 284-byte line logs in 3.5-3.6 µs), and a small order's line is
// about its size; but a line is bounded and a body is not: a 60 KB poison
// body of 20,000 items, milliseconds to parse at a small memory size, logs
// a line of 531 bytes. So each body counts with at most maxLogLineBytes of
// its bytes. The share is taken of the elapsed time, not per record, so
// that what slowed the whole batch (the CPU quota's throttling, a
// collection) counts in full.
func logShare(parsed time.Duration, msgs []events.SQSMessage) time.Duration {
	var body, line int64
	for i := range msgs {
		n := int64(len(msgs[i].Body))
		body += n
		line += min(n, maxLogLineBytes)
	}
	if body == 0 {
		return parsed
	}
	return time.Duration(float64(parsed) * float64(line) / float64(body))
}

// workOrder is the order the records start their calls in: those with an
// order to store first, then the poison messages to send to the DLQ. When
// the concurrency limit queues them and the deadline comes first, what is
// left is poison, which is never stored anyway and reaches the DLQ on a
// later delivery, rather than an order that could have been stored.
func workOrder(recs []record) []int {
	order := make([]int, 0, len(recs))
	for i := range recs {
		if recs[i].parseErr == nil && recs[i].panicked == nil {
			order = append(order, i)
		}
	}
	for i := range recs {
		if recs[i].parseErr != nil || recs[i].panicked != nil {
			order = append(order, i)
		}
	}
	return order
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// record is one message on its way through the handler.
type record struct {
	index      int // in the batch
	msg        *events.SQSMessage
	start, end time.Time
	order      Order
	parseErr   error  // a ValidationError: the message is poison
	reason     string // parseErr's text, written once, while parsing
	panicked   any    // what handling it panicked with
	outcome    Outcome
	err        error // why it failed, when it did
}

func (h *Handler) parse(msg *events.SQSMessage) (r record) {
	r = record{msg: msg, start: h.now()}
	defer func() {
		if p := recover(); p != nil {
			r.panicked = p
		}
	}()
	r.order, r.parseErr = ParseOrderAt(msg.Body, r.start)
	if r.parseErr != nil {
		// Written here, where parsing's time is measured (see
		// deadlineMargin), not after the deadline in the log line.
		r.reason = r.parseErr.Error()
	}
	return r
}

// handleRecord stores the record's order or sends the poison message to the
// dead-letter queue, and sets the outcome. It never panics.
func (h *Handler) handleRecord(ctx context.Context, r *record, index int) {
	r.index = index
	defer func() {
		if p := recover(); p != nil {
			r.panicked = p
		}
		if r.panicked != nil {
			r.outcome = Failed
		}
		r.end = h.now()
	}()
	switch {
	case r.panicked != nil:
	case r.parseErr != nil:
		r.outcome = Rejected
		if r.err = h.DeadLetters.Reject(ctx, *r.msg, r.reason, r.start); r.err != nil {
			// Not in the DLQ, so it must stay on the queue.
			r.outcome = Failed
		}
	default:
		r.outcome, r.err = h.Store.Put(ctx, r.order, r.msg.MessageId, r.start)
		if r.err != nil && r.outcome != Conflict {
			r.outcome = Failed
		}
	}
}

// maxLogErrorBytes bounds the error in a record's log line.
const maxLogErrorBytes = 2048

// logRecord writes the record's one log line.
func logRecord(ctx context.Context, log *slog.Logger, r *record) {
	attrs := make([]slog.Attr, 0, 6)
	attrs = append(attrs, slog.String("messageId", r.msg.MessageId))
	if r.parseErr == nil && r.order.OrderID != "" {
		attrs = append(attrs, slog.String("orderId", r.order.OrderID))
	}
	if r.parseErr != nil {
		attrs = append(attrs, slog.String("reason", r.reason))
	}
	// Every value is bounded, so that the line stays far under CloudWatch
	// Logs' 256 KB event limit: a reason lists its first problems only, and
	// an error or a panic value is cut.
	switch {
	case r.panicked != nil:
		attrs = append(attrs, slog.String("error", cut(fmt.Sprint("panic: ", r.panicked), maxLogErrorBytes)))
	case r.err != nil:
		attrs = append(attrs, slog.String("error", cut(r.err.Error(), maxLogErrorBytes)))
	}
	attrs = append(attrs, slog.String("outcome", string(r.outcome)),
		slog.Float64("durationMs", float64(r.end.Sub(r.start).Microseconds())/1000))
	level := slog.LevelInfo
	switch r.outcome {
	case Rejected:
		level = slog.LevelWarn
	case Conflict, Failed:
		level = slog.LevelError
	}
	log.LogAttrs(ctx, level, "order "+string(r.outcome), attrs...)
}
