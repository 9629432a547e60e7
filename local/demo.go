package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orderpipe/orderpipe/ops"
)

// DemoOrders are the demo's two rounds of orders: the second round comes
// after the first is stored, so that which order is the original and which
// the duplicate or the conflict is always the same.
func DemoOrders() [][]string {
	return [][]string{{
		`{"orderId":"o-1001","customerId":"c-42","items":[{"sku":"A-1","quantity":2,"unitPrice":"9.99"},{"sku":"B-7","quantity":1,"unitPrice":"0.02"}],"currency":"EUR","total":"20.00","createdAt":"2026-11-26T14:37:00Z"}`,
		`{"orderId":"o-1002","customerId":"c-7","items":[{"sku":"TEA","quantity":3,"unitPrice":"450"}],"currency":"JPY","total":"1350"}`,
		`{"orderId":"o-1003","customerId":"c-9","items":[{"sku":"OIL","quantity":4,"unitPrice":"0.125"}],"currency":"BHD","total":"0.500"}`,
		`{"orderId":"o-1004","customerId":`,
		`{"orderId":"o-1005","customerId":"c-1","items":[{"sku":"A-1","quantity":0,"unitPrice":"9.999"}],"currency":"EURO","total":"1"}`,
	}, {
		// The same order again: a duplicate, not rewritten.
		`{"orderId":"o-1001","customerId":"c-42","items":[{"sku":"A-1","quantity":2,"unitPrice":"9.99"},{"sku":"B-7","quantity":1,"unitPrice":"0.02"}],"currency":"EUR","total":"20.00","createdAt":"2026-11-26T14:37:00Z"}`,
		// Another order under a stored id: a conflict, never overwritten.
		`{"orderId":"o-1002","customerId":"c-8","items":[{"sku":"TEA","quantity":1,"unitPrice":"450"}],"currency":"JPY","total":"450"}`,
		// The total does not add up.
		`{"orderId":"o-1006","customerId":"c-3","items":[{"sku":"C-2","quantity":3,"unitPrice":"1.10"}],"currency":"EUR","total":"3.33"}`,
	}}
}

// Publish publishes one round and waits until the queue is drained, writing
// progress to w. It returns the orders SNS refused (as it refuses invalid
// UTF-8 or a body over 256 KiB): they never entered the pipeline.
func (p *Pipeline) Publish(ctx context.Context, orders []string, w io.Writer, timeout time.Duration) ([]Refused, error) {
	ids, err := ops.Publish(ctx, p.SNS, p.TopicArn, orders)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var refused []Refused
	var perr ops.PublishError
	if errors.As(err, &perr) {
		for _, r := range perr {
			refused = append(refused, Refused{Line: r.Index + 1, Body: orders[r.Index], Reason: r.Err.Error()})
		}
	} else if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "published %d orders to %s", len(ids)-len(refused), p.TopicArn)
	if len(refused) > 0 {
		fmt.Fprintf(w, "; SNS refused %d", len(refused))
	}
	fmt.Fprintln(w)
	return refused, p.Drain(ctx, w, timeout)
}

// Feeding a file of orders publishes feedChunk orders, or feedBytes of
// them, at a time, the next chunk once the queue holds fewer than
// feedBacklog messages, or feedBytes of the orders' recent mean size: the
// stand-ins then hold a bounded backlog, not the whole file, however long
// it is and however large its orders (1,000 messages of 256 KiB would be
// 256 MB in goaws, which holds a queue in this process's memory).
const (
	feedChunk   = 500
	feedBacklog = 1000
	feedBytes   = 8 << 20
)

// backlog is how many messages the queue may hold before the next chunk,
// when they are mean bytes long.
func backlog(mean int) int {
	return max(1, min(feedBacklog, feedBytes/max(mean, 1)))
}

// Feed publishes the orders of r, one JSON order a line (see OrderLines:
// lines of JSON whitespace are skipped, nothing else is taken off), and
// waits until the queue is drained, writing progress to w. It returns how
// many orders it read, and the ones SNS refused: their count and the first
// ReportLines of them, or all with all. A line longer than any message can
// be is refused without being sent.
func (p *Pipeline) Feed(ctx context.Context, r io.Reader, w io.Writer, timeout time.Duration, all bool) (int, Section[Refused], error) {
	keep := ReportLines
	if all {
		keep = -1
	}
	var refused Section[Refused]
	read := 0
	chunk, lines := make([]string, 0, feedChunk), make([]int, 0, feedChunk)
	chunkBytes, lastMean := 0, 0
	publish := func() error {
		if len(chunk) == 0 {
			return nil
		}
		// The queue holds the last chunk's orders, and will hold these.
		mean := chunkBytes / len(chunk)
		if err := p.waitBelow(ctx, backlog(max(mean, lastMean)), timeout); err != nil {
			return err
		}
		lastMean = mean
		_, err := ops.Publish(ctx, p.SNS, p.TopicArn, chunk)
		var perr ops.PublishError
		if errors.As(err, &perr) {
			for _, f := range perr {
				refused.add(Refused{Line: lines[f.Index], Body: abbreviate(chunk[f.Index], 200), Reason: f.Err.Error()}, keep)
			}
		} else if err != nil {
			return err
		}
		clear(chunk) // the strings are goaws's now, or garbage
		chunk, lines, chunkBytes = chunk[:0], lines[:0], 0
		return nil
	}
	err := OrderLines(r, func(l OrderLine) error {
		read++
		if l.Size > len(l.Text) {
			refused.add(Refused{Line: l.Number, Body: abbreviate(l.Text, 200),
				Reason: fmt.Sprintf("%d bytes: over SNS's limit of 256 KiB (262,144 bytes); not sent", l.Size)}, keep)
			return nil
		}
		chunk, lines = append(chunk, l.Text), append(lines, l.Number)
		chunkBytes += len(l.Text)
		if len(chunk) == feedChunk || chunkBytes >= feedBytes {
			return publish()
		}
		return nil
	})
	if err == nil {
		err = publish()
	}
	if err != nil {
		return read, refused, err
	}
	fmt.Fprintf(w, "published %d orders to %s", read-refused.N, p.TopicArn)
	if refused.N > 0 {
		fmt.Fprintf(w, "; SNS refused %d", refused.N)
	}
	fmt.Fprintln(w)
	return read, refused, p.Drain(ctx, w, timeout)
}

// waitBelow waits until the queue holds fewer than n messages.
func (p *Pipeline) waitBelow(ctx context.Context, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		depth, err := ops.Depth(ctx, p.SQS, p.QueueURL)
		if err != nil || depth < n {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the queue still holds %d messages after %v", depth, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Refused is an order the topic did not take.
type Refused struct {
	Line         int // its line in the file, or its position in its round, from 1
	Body, Reason string
}

// Drain waits until the queue holds no message, visible or in flight.
func (p *Pipeline) Drain(ctx context.Context, w io.Writer, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	// goaws delivers from SNS asynchronously: a message published just now
	// may not be in the queue yet.
	time.Sleep(300 * time.Millisecond)
	var last [2]int
	start, lastLine := time.Now(), time.Time{}
	for {
		n, err := ops.Depth(ctx, p.SQS, p.QueueURL)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		// A line when something moved, and every 5 s while retries wait.
		d, _ := ops.Depth(ctx, p.SQS, p.DLQURL)
		d += p.dead.count() // the ones taken out of it into the file
		if [2]int{n, d} != last || time.Since(lastLine) >= 5*time.Second {
			fmt.Fprintf(w, "  %2.0fs: %d in the queue (a failed one reappears after %ds), %d in the dead-letter queue\n",
				time.Since(start).Seconds(), n, p.Config.VisibilityTimeout(), d)
			last, lastLine = [2]int{n, d}, time.Now()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the queue still holds %d messages after %v", n, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Report is where every order given to the run ended: each section's count
// and its first entries (all of them when asked for).
type Report struct {
	Published   int // orders given, refused ones included
	Refused     Section[Refused]
	Stored      Section[StoredOrder]
	Duplicates  Section[Outcome]
	DeadLetters Section[DeadLetter]
	// Copies are the DLQ's further copies of a message the handler
	// rejected on more than one delivery (its invocation timed out after it
	// had sent the message there), the message itself among them when SQS
	// then moved it: one message, counted once.
	Copies int
	// StoredToo are messages SQS moved to the dead-letter queue whose order
	// the table holds as stored by them (a write that landed before its
	// invocation failed): counted under Stored.
	StoredToo int
	// Unread says what could not be read back (a failed receive or scan):
	// the orders it hides are counted as lost.
	Unread []string
	// DeadLetterFile holds every dead letter, with why, when the run
	// was asked to keep them.
	DeadLetterFile string
}

// StoredOrder is one item of the orders table.
type StoredOrder struct {
	OrderID, CustomerID, Currency, Total, MessageID string
}

// DeadLetter is a message in the DLQ, with why it is there.
type DeadLetter struct {
	ops.DeadLetter
	Why string `json:"why"`
}

// Lost is the number of orders that are nowhere to be seen: it must be 0.
func (r Report) Lost() int {
	return r.Published - r.Refused.N - r.Stored.N - r.Duplicates.N - r.DeadLetters.N
}

// BuildReport reads the table and the DLQ and matches them with what the
// handler logged, keeping the first ReportLines entries of each section, or
// all with all. What it cannot read is listed in Unread rather than
// stopping the report.
func (p *Pipeline) BuildReport(ctx context.Context, published int, refused Section[Refused], all bool) Report {
	keep := ReportLines
	if all {
		keep = -1
	}
	r := Report{Published: published, Refused: refused, Duplicates: p.Outcomes.Duplicates()}
	s := func(item map[string]dbtypes.AttributeValue, k string) string {
		if v, ok := item[k].(*dbtypes.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	pages := dynamodb.NewScanPaginator(p.DB, &dynamodb.ScanInput{
		TableName:                aws.String(p.Table),
		ProjectionExpression:     aws.String("#id, #c, #cur, #t, #m"),
		ExpressionAttributeNames: map[string]string{"#id": "orderId", "#c": "customerId", "#cur": "currency", "#t": "total", "#m": "messageId"},
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			r.Unread = append(r.Unread, fmt.Sprintf("scan %s: %v", p.Table, err))
			break
		}
		for _, it := range page.Items {
			r.Stored.add(StoredOrder{s(it, "orderId"), s(it, "customerId"), s(it, "currency"), s(it, "total"), s(it, "messageId")}, keep)
		}
	}
	sort.Slice(r.Stored.First, func(i, j int) bool { return r.Stored.First[i].OrderID < r.Stored.First[j].OrderID })

	if p.dead == nil {
		if err := p.KeepDeadLetters("", all); err != nil {
			r.Unread = append(r.Unread, err.Error())
			return r
		}
	}
	var unread []string
	r.DeadLetters, r.Copies, r.StoredToo, unread = p.dead.finish(ctx)
	r.Unread = append(r.Unread, unread...)
	if !p.dead.remove {
		r.DeadLetterFile = p.dead.f.Name()
	}
	return r
}

// ReportLines is how many entries Write lists per section unless asked for
// all: a run of many orders prints counts, not a line per order.
const ReportLines = 5

// Write prints the report: every section's count, and the entries kept.
func (r Report) Write(w io.Writer) {
	section := func(title string, n, shown int, line func(i int)) {
		fmt.Fprintf(w, "%s (%d):\n", title, n)
		for i := range shown {
			line(i)
		}
		if shown < n {
			fmt.Fprintf(w, "  … and %d more (--verbose lists them all)\n", n-shown)
		}
	}
	fmt.Fprintln(w)
	if r.Refused.N > 0 {
		section("Refused by SNS, never in the pipeline", r.Refused.N, len(r.Refused.First), func(i int) {
			f := r.Refused.First[i]
			fmt.Fprintf(w, "  line %d: %s\n    body: %s\n", f.Line, f.Reason, abbreviate(strings.ToValidUTF8(f.Body, "\uFFFD"), 100))
		})
	}
	section("Stored", r.Stored.N, len(r.Stored.First), func(i int) {
		o := r.Stored.First[i]
		fmt.Fprintf(w, "  %-8s customer %-5s %s %s (message %s)\n", o.OrderID, o.CustomerID, o.Total, o.Currency, o.MessageID)
	})
	section("Duplicates, acknowledged and not rewritten", r.Duplicates.N, len(r.Duplicates.First), func(i int) {
		fmt.Fprintf(w, "  %-8s message %s\n", r.Duplicates.First[i].OrderID, r.Duplicates.First[i].MessageID)
	})
	dlqTitle := "In the dead-letter queue"
	if r.Copies > 0 {
		dlqTitle = fmt.Sprintf("In the dead-letter queue (besides %d further copies of messages rejected on more than one delivery)", r.Copies)
	}
	if r.StoredToo > 0 {
		dlqTitle += fmt.Sprintf(" (besides %d whose order is stored, by that message, and counted as stored)", r.StoredToo)
	}
	section(dlqTitle, r.DeadLetters.N, len(r.DeadLetters.First), func(i int) {
		d := r.DeadLetters.First[i]
		fmt.Fprintf(w, "  message %s: %s\n    body: %s\n", d.MessageID, d.Why, abbreviate(d.Body, 100))
	})
	if r.DeadLetterFile != "" {
		fmt.Fprintf(w, "Every dead letter, with why, one JSON object a line: %s\n", r.DeadLetterFile)
	}
	for _, u := range r.Unread {
		fmt.Fprintf(w, "Could not be read: %s\n", u)
	}
	fmt.Fprintf(w, "Published %d = refused %d + stored %d + duplicates %d + dead-letter queue %d; lost %d\n",
		r.Published, r.Refused.N, r.Stored.N, r.Duplicates.N, r.DeadLetters.N, r.Lost())
}

func abbreviate(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// ErrLost reports a run in which a message ended nowhere.
var ErrLost = errors.New("orders were lost or could not be accounted for")
