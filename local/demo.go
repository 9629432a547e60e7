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
// progress to w.
func (p *Pipeline) Publish(ctx context.Context, orders []string, w io.Writer, timeout time.Duration) error {
	if _, err := ops.Publish(ctx, p.SNS, p.TopicArn, orders); err != nil {
		return err
	}
	fmt.Fprintf(w, "published %d orders to %s\n", len(orders), p.TopicArn)
	return p.Drain(ctx, w, timeout)
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
		if d, _ := ops.Depth(ctx, p.SQS, p.DLQURL); [2]int{n, d} != last || time.Since(lastLine) >= 5*time.Second {
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

// Report is where every published message ended.
type Report struct {
	Published   int
	Stored      []StoredOrder
	Duplicates  []Outcome
	DeadLetters []DeadLetter
}

// StoredOrder is one item of the orders table.
type StoredOrder struct {
	OrderID, CustomerID, Currency, Total, MessageID string
}

// DeadLetter is a message in the DLQ, with why it is there.
type DeadLetter struct {
	ops.DeadLetter
	Why string
}

// Lost is the number of messages that are nowhere: it must be 0.
func (r Report) Lost() int {
	return r.Published - len(r.Stored) - len(r.Duplicates) - len(r.DeadLetters)
}

// BuildReport reads the table and the DLQ and matches them with what the
// handler logged.
func (p *Pipeline) BuildReport(ctx context.Context, published int) (Report, error) {
	r := Report{Published: published}
	scan, err := p.DB.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(p.Table)})
	if err != nil {
		return r, fmt.Errorf("scan %s: %w", p.Table, err)
	}
	s := func(item map[string]dbtypes.AttributeValue, k string) string {
		if v, ok := item[k].(*dbtypes.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	for _, it := range scan.Items {
		r.Stored = append(r.Stored, StoredOrder{s(it, "orderId"), s(it, "customerId"), s(it, "currency"), s(it, "total"), s(it, "messageId")})
	}
	sort.Slice(r.Stored, func(i, j int) bool { return r.Stored[i].OrderID < r.Stored[j].OrderID })

	outcomes := p.Outcomes.Outcomes()
	last := map[string]Outcome{}
	deliveries := map[string]int{}
	for _, o := range outcomes {
		last[o.MessageID] = o
		deliveries[o.MessageID]++
		if o.Outcome == "duplicate" {
			r.Duplicates = append(r.Duplicates, o)
		}
	}
	dlq, err := ops.ListDLQ(ctx, p.SQS, p.DLQURL)
	if err != nil {
		return r, err
	}
	for _, d := range dlq {
		why := "rejected by the handler: " + d.Reason
		if d.Moved() {
			o := last[d.MessageID]
			why = fmt.Sprintf("moved by SQS after %d failed deliveries (maxReceiveCount %d); last outcome %s: %s",
				deliveries[d.MessageID], p.Config.MaxReceiveCount, o.Outcome, o.Error)
		}
		r.DeadLetters = append(r.DeadLetters, DeadLetter{d, why})
	}
	return r, nil
}

// Write prints the report.
func (r Report) Write(w io.Writer) {
	fmt.Fprintf(w, "\nStored (%d):\n", len(r.Stored))
	for _, o := range r.Stored {
		fmt.Fprintf(w, "  %-8s customer %-5s %s %s (message %s)\n", o.OrderID, o.CustomerID, o.Total, o.Currency, o.MessageID)
	}
	fmt.Fprintf(w, "Duplicates, acknowledged and not rewritten (%d):\n", len(r.Duplicates))
	for _, o := range r.Duplicates {
		fmt.Fprintf(w, "  %-8s message %s\n", o.OrderID, o.MessageID)
	}
	fmt.Fprintf(w, "In the dead-letter queue (%d):\n", len(r.DeadLetters))
	for _, d := range r.DeadLetters {
		fmt.Fprintf(w, "  message %s: %s\n    body: %s\n", d.MessageID, d.Why, abbreviate(d.Body, 100))
	}
	fmt.Fprintf(w, "Published %d = stored %d + duplicates %d + dead-letter queue %d; lost %d\n",
		r.Published, len(r.Stored), len(r.Duplicates), len(r.DeadLetters), r.Lost())
}

func abbreviate(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// ErrLost reports a run in which a message ended nowhere.
var ErrLost = errors.New("messages were lost")
