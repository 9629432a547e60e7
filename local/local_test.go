package local

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/orderpipe/orderpipe/function"
	"github.com/orderpipe/orderpipe/ops"
)

// The demo end to end, on the embedded stand-ins: each valid order stored
// exactly once, the duplicate not rewritten, the conflict never overwriting
// and reaching the DLQ after its retries, every invalid order in the DLQ
// with its reason, nothing lost.
func TestDemo(t *testing.T) {
	ctx := context.Background()
	p, err := Start(ctx, nil, InProcess, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	defer func() { stop(); <-done }()

	if p.Table != "orderpipe-local-Orders" || !strings.HasSuffix(p.QueueArn, ":orderpipe-local-OrderQueue") || p.Config.VisibilityTimeout() != 6 {
		t.Errorf("resources %s %s, visibility %d: not the stack's names and settings", p.Table, p.QueueArn, p.Config.VisibilityTimeout())
	}
	kept := filepath.Join(t.TempDir(), "dead-letters.jsonl")
	if err := p.KeepDeadLetters(kept, false); err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	published := 0
	for _, round := range DemoOrders() {
		if _, err := p.Publish(ctx, round, &progress, time.Minute); err != nil {
			t.Fatalf("%v\n%s", err, progress.String())
		}
		published += len(round)
	}
	r := p.BuildReport(ctx, published, Section[Refused]{}, false)
	var stored []string
	for _, o := range r.Stored.First {
		stored = append(stored, fmt.Sprint(o.OrderID, " ", o.CustomerID, " ", o.Total, " ", o.Currency))
	}
	if got := strings.Join(stored, ", "); got != "o-1001 c-42 20.00 EUR, o-1002 c-7 1350 JPY, o-1003 c-9 0.500 BHD" {
		t.Errorf("stored: %s", got)
	}
	if r.Duplicates.N != 1 || r.Duplicates.First[0].OrderID != "o-1001" {
		t.Errorf("duplicates: %+v", r.Duplicates)
	}
	var why []string
	for _, d := range r.DeadLetters.First {
		why = append(why, d.Why)
	}
	want := []string{
		"rejected by the handler: body: is not JSON: it ends before the value is complete",
		"rejected by the handler: currency: must be an ISO 4217 code: three upper-case letters such as EUR; items[0].quantity: must be > 0",
		"rejected by the handler: total: must equal the sum of quantity × unitPrice over the items: 3.30",
		// goaws delivers once more than maxReceiveCount before it moves a message.
		"moved by SQS after 4 failed deliveries (maxReceiveCount 3); last outcome conflict: order o-1002 is already stored with another payload",
	}
	if len(why) != len(want) {
		t.Fatalf("dead letters:\n%s", strings.Join(why, "\n"))
	}
	for _, w := range want {
		found := false
		for _, g := range why {
			found = found || strings.HasPrefix(g, w)
		}
		if !found {
			t.Errorf("no dead letter %q in:\n%s", w, strings.Join(why, "\n"))
		}
	}
	if r.Lost() != 0 {
		t.Errorf("lost %d", r.Lost())
	}
	var out bytes.Buffer
	r.Write(&out)
	if !strings.Contains(out.String(), "Published 8 = refused 0 + stored 3 + duplicates 1 + dead-letter queue 4; lost 0") {
		t.Errorf("report:\n%s", out.String())
	}

	// A second copy of a rejected message (the handler rejected it again
	// after its invocation timed out) is the same message, counted once.
	var rejected DeadLetter
	for _, d := range r.DeadLetters.First {
		if d.OriginalMessageID != "" {
			rejected = d
		}
	}
	sendCopy := func() {
		t.Helper()
		if _, err := p.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(p.DLQURL), MessageBody: aws.String(rejected.Body),
			MessageAttributes: map[string]sqstypes.MessageAttributeValue{
				function.AttrOriginalMessageID: {DataType: aws.String("String"), StringValue: aws.String(rejected.OriginalMessageID)},
				function.AttrReason:            {DataType: aws.String("String"), StringValue: aws.String(rejected.Reason)},
			}}); err != nil {
			t.Fatal(err)
		}
	}
	sendCopy()
	if r := p.BuildReport(ctx, published, Section[Refused]{}, false); r.DeadLetters.N != 4 || r.Copies != 1 || r.Lost() != 0 || len(r.Unread) != 0 {
		t.Errorf("with a copy: %d dead letters, %d copies, lost %d, unread %q", r.DeadLetters.N, r.Copies, r.Lost(), r.Unread)
	}

	// A message that another receive holds is taken once it is visible
	// again, after the queue's visibility timeout (2 s here)...
	if _, err := p.SQS.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(p.DLQURL),
		Attributes: map[string]string{string(sqstypes.QueueAttributeNameVisibilityTimeout): "2"}}); err != nil {
		t.Fatal(err)
	}
	hold := func(d int32) {
		t.Helper()
		sendCopy()
		out, err := p.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(p.DLQURL), MaxNumberOfMessages: 1})
		if err != nil || len(out.Messages) != 1 {
			t.Fatal(out, err)
		}
		if _, err := p.SQS.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(p.DLQURL),
			ReceiptHandle: out.Messages[0].ReceiptHandle, VisibilityTimeout: d}); err != nil {
			t.Fatal(err)
		}
	}
	hold(2)
	if r := p.BuildReport(ctx, published, Section[Refused]{}, false); r.DeadLetters.N != 4 || r.Copies != 2 || len(r.Unread) != 0 {
		t.Errorf("with a message in flight for 2 s: %d dead letters, %d copies, unread %q", r.DeadLetters.N, r.Copies, r.Unread)
	}

	// ...and one still held after that is said to be missing rather than
	// counted lost in silence.
	hold(60)
	r = p.BuildReport(ctx, published, Section[Refused]{}, false)
	if want := "1 of the dead-letter queue's messages could not be received"; len(r.Unread) != 1 || r.Unread[0] != want {
		t.Errorf("with a message in flight for 60 s: unread %q, want %q", r.Unread, want)
	}

	// Every message that reached the DLQ is in the file, with why, and
	// out of the queue but the one held.
	if r.DeadLetterFile != kept {
		t.Errorf("report names %q, want %q", r.DeadLetterFile, kept)
	}
	data, err := os.ReadFile(kept)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	for _, l := range lines {
		var d DeadLetter
		if err := json.Unmarshal([]byte(l), &d); err != nil || d.MessageID == "" || d.Body == "" || d.Why == "" {
			t.Errorf("kept %s: %+v, %v", l, d, err)
		}
	}
	if len(lines) != 4+2 {
		t.Errorf("kept %d dead letters, want 4 and the 2 copies taken:\n%s", len(lines), data)
	}
	if held, err := ops.Depth(ctx, p.SQS, p.DLQURL); err != nil || held != 1 {
		t.Errorf("the queue holds %d, %v; want the one held", held, err)
	}
}
