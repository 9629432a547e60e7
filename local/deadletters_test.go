package local

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/orderpipe/orderpipe/function"
	"github.com/orderpipe/orderpipe/ops"
)

// loseDeleteAnswers makes the first n DeleteMessage calls succeed at the
// queue and fail at the caller, as a call does whose answer is lost.
func loseDeleteAnswers(n *atomic.Int32) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Deserialize.Add(middleware.DeserializeMiddlewareFunc("loseDeleteAnswer",
			func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleDeserialize(ctx, in)
				if err == nil && middleware.GetOperationName(ctx) == "DeleteMessage" && n.Add(-1) >= 0 {
					return out, md, errors.New("the answer was lost")
				}
				return out, md, err
			}), middleware.Before)
	}
}

// A dead letter that finish takes and writes, whose DeleteMessage went
// through but whose answer was lost, is in the file and gone from the
// queue: it is counted, and the report does not call it unread (which
// makes the run fail as if orders were lost).
func TestDeadLetterWhoseDeleteAnswerIsLost(t *testing.T) {
	if !inOwnProcess(t) {
		return
	}
	ctx := context.Background()
	p := startAlone(t)
	kept := filepath.Join(t.TempDir(), "dead-letters.jsonl")
	if err := p.KeepDeadLetters(kept, false); err != nil {
		t.Fatal(err)
	}
	// The message arrives after the keeper's last receive in the
	// background, so that finish is the one to take it.
	p.dead.halt()
	sendRejected(t, p, "m-1")
	var lose atomic.Int32
	lose.Store(1)
	p.SQS = sqs.New(p.SQS.Options(), func(o *sqs.Options) {
		o.RetryMaxAttempts = 1
		o.APIOptions = append(o.APIOptions, loseDeleteAnswers(&lose))
	})

	r := p.BuildReport(ctx, 1, Section[Refused]{}, false)
	if lose.Load() > 0 {
		t.Fatal("no DeleteMessage answer was lost: the test tests nothing")
	}
	if r.DeadLetters.N != 1 || r.Lost() != 0 || len(r.Unread) > 0 {
		t.Errorf("dead letters %d, lost %d, unread %q; want 1, 0, none", r.DeadLetters.N, r.Lost(), r.Unread)
	}
	if n, err := ops.Depth(ctx, p.SQS, p.DLQURL); err != nil || n != 0 {
		t.Errorf("the dead-letter queue holds %d (%v), want 0", n, err)
	}
	f, err := os.Open(kept)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		lines++
	}
	if lines != 1 {
		t.Errorf("%d lines in the dead-letter file, want 1", lines)
	}
}

// inOwnProcess runs the test again alone in a child process of the test
// binary, and reports false in the parent: goaws runs at most once a
// process, and TestDemo has it.
func inOwnProcess(t *testing.T) bool {
	const env = "ORDERPIPE_LOCAL_TEST_CHILD"
	if os.Getenv(env) == t.Name() {
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), env+"="+t.Name())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("%s in its own process: %v\n%s", t.Name(), err, out)
	}
	return false
}

// One order whose message the handler rejected (a copy sent to the
// dead-letter queue, the invocation then timing out before the message was
// deleted) and that SQS then moved there itself after maxReceiveCount is
// one dead letter, not two: the report would otherwise say "lost -1".
func TestRejectedThenMovedIsOneDeadLetter(t *testing.T) {
	if !inOwnProcess(t) {
		return
	}
	ctx := context.Background()
	p := startAlone(t)
	sent, err := p.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(p.QueueURL), MessageBody: aws.String(`{"orderId":`)})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(sent.MessageId)
	// The handler's copy, from one of the deliveries.
	sendRejected(t, p, id)
	moveToDLQ(t, p)

	r := p.BuildReport(ctx, 1, Section[Refused]{}, true)
	var ids []string
	for _, d := range r.DeadLetters.First {
		ids = append(ids, d.MessageID+" (of "+d.OriginalMessageID+")")
	}
	if r.DeadLetters.N != 1 || r.Copies != 1 || r.Lost() != 0 || len(r.Unread) > 0 {
		t.Errorf("dead letters %d %v, copies %d, lost %d, unread %q; want 1, 1, 0, none", r.DeadLetters.N, ids, r.Copies, r.Lost(), r.Unread)
	}
}

// startAlone starts a pipeline without its poller: the test plays the
// deliveries.
func startAlone(t *testing.T) *Pipeline {
	t.Helper()
	p, err := Start(context.Background(), nil, InFiles, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// sendRejected puts in the dead-letter queue what the handler sends there
// when it rejects the message original.
func sendRejected(t *testing.T, p *Pipeline, original string) {
	t.Helper()
	if _, err := p.SQS.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(p.DLQURL), MessageBody: aws.String(`{"orderId":`),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{
			function.AttrReason:            {DataType: aws.String("String"), StringValue: aws.String("body: is not JSON")},
			function.AttrOriginalMessageID: {DataType: aws.String("String"), StringValue: aws.String(original)},
		}}); err != nil {
		t.Fatal(err)
	}
}

// moveToDLQ delivers the queue's messages without deleting them until SQS
// moves them to the dead-letter queue.
func moveToDLQ(t *testing.T, p *Pipeline) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(time.Minute)
	for {
		out, err := p.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(p.QueueURL), WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			if _, err := p.SQS.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(p.QueueURL),
				ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := ops.Depth(ctx, p.SQS, p.QueueURL); err != nil || n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("SQS did not move the messages to the dead-letter queue")
		}
	}
}

// A delivery whose write landed and whose invocation then failed (it timed
// out), on every delivery until SQS moved the message: the order is stored,
// by that message, and the message is in the dead-letter queue. It is one
// order, counted as stored: counted in both, the report said "lost -1"
// and the run failed.
func TestMovedMessageWhoseOrderIsStored(t *testing.T) {
	if !inOwnProcess(t) {
		return
	}
	ctx := context.Background()
	p := startAlone(t)
	body := DemoOrders()[0][0]
	o, err := function.ParseOrder(body)
	if err != nil {
		t.Fatal(err)
	}
	sent, err := p.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(p.QueueURL), MessageBody: aws.String(body)})
	if err != nil {
		t.Fatal(err)
	}
	store := function.DynamoStore{Client: p.DB, Table: p.Table}
	if _, err := store.Put(ctx, o, aws.ToString(sent.MessageId), time.Now()); err != nil {
		t.Fatal(err)
	}
	moveToDLQ(t, p)

	kept := filepath.Join(t.TempDir(), "dead-letters.jsonl")
	if err := p.KeepDeadLetters(kept, true); err != nil {
		t.Fatal(err)
	}
	r := p.BuildReport(ctx, 1, Section[Refused]{}, true)
	if r.Stored.N != 1 || r.DeadLetters.N != 0 || r.StoredToo != 1 || r.Lost() != 0 || len(r.Unread) > 0 {
		t.Errorf("stored %d, dead letters %d, stored and in the dead-letter queue %d, lost %d, unread %q; want 1, 0, 1, 0, none",
			r.Stored.N, r.DeadLetters.N, r.StoredToo, r.Lost(), r.Unread)
	}
	b, err := os.ReadFile(kept)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), aws.ToString(sent.MessageId)) || !strings.Contains(string(b), "its order is stored, by this message") {
		t.Errorf("the dead-letter file does not say the message's order is stored:\n%s", b)
	}
}
