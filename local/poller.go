package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/orderpipe/orderpipe/ops"
)

// SQSAPI is the part of the SQS client the poller uses.
type SQSAPI interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
}

// Poller does locally what Lambda's event source mapping does: it long-polls
// the queue, gathers a batch (up to BatchSize, within Window), invokes the
// handler, deletes exactly the records the handler did not report as
// failures, and leaves those to reappear after the queue's visibility
// timeout. It relies on nothing goaws gets wrong (receive counts, per-request
// visibility timeouts).
type Poller struct {
	Client      SQSAPI
	QueueURL    string
	QueueArn    string
	Region      string
	BatchSize   int
	Window      time.Duration
	Concurrency int // batches in flight at once
	// Timeout is the function's timeout: as on Lambda, each invocation's
	// context has a deadline this long after it starts (none when 0), and
	// an answer that comes after it is discarded.
	Timeout time.Duration
	Invoke  func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)
	// Acknowledged, if set, is told the ids of the messages deleted.
	Acknowledged func(ctx context.Context, messageIDs ...string)
	Log          *slog.Logger
}

// Run polls until ctx is done, then waits for the batches in flight.
func (p *Poller) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for range max(1, p.Concurrency) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				batch, err := p.gather(ctx)
				if err != nil {
					if ctx.Err() == nil {
						p.Log.Warn("receive failed", "error", err.Error())
						time.Sleep(time.Second)
					}
					continue
				}
				if len(batch) > 0 {
					// A batch in hand is finished even when ctx ends now.
					p.process(context.WithoutCancel(ctx), batch)
				}
			}
		}()
	}
	wg.Wait()
	return nil
}

// gather receives up to BatchSize messages: it returns once the batch is
// full, or the window has passed with at least one message.
func (p *Poller) gather(ctx context.Context) ([]types.Message, error) {
	var batch []types.Message
	deadline := time.Now().Add(p.Window)
	for len(batch) < p.BatchSize {
		wait := int32(1) // short long-polls, so that Ctrl-C is honoured quickly
		out, err := p.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(p.QueueURL),
			MaxNumberOfMessages:         int32(min(10, p.BatchSize-len(batch))),
			WaitTimeSeconds:             wait,
			MessageAttributeNames:       []string{"All"},
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		}, ops.CheckEachMessage)
		if err != nil {
			return batch, err
		}
		for _, m := range out.Messages {
			if !ops.Intact(m) {
				// Neither handled nor deleted: SQS moves it to the
				// dead-letter queue after maxReceiveCount.
				p.Log.Warn("a message came back altered (MD5 differs); it is left for the dead-letter queue", "messageId", aws.ToString(m.MessageId))
				continue
			}
			batch = append(batch, m)
		}
		if len(batch) > 0 && (p.Window == 0 || time.Now().After(deadline)) {
			break
		}
		if ctx.Err() != nil {
			break
		}
	}
	return batch, nil
}

// invoke calls the handler as Lambda does: under a context whose deadline
// is the function's timeout, and with a late answer taken as a timeout.
// Lambda would stop the function at its deadline; here the handler runs
// on until it returns, but what it answers then counts for nothing.
func (p *Poller) invoke(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	if p.Timeout <= 0 {
		return p.Invoke(ctx, ev)
	}
	ictx, cancel := context.WithTimeout(ctx, p.Timeout)
	defer cancel()
	resp, err := p.Invoke(ictx, ev)
	if d, _ := ictx.Deadline(); !time.Now().Before(d) {
		return events.SQSEventResponse{}, fmt.Errorf("the function timed out after %v (Task timed out)", p.Timeout)
	}
	return resp, err
}

func (p *Poller) process(ctx context.Context, batch []types.Message) {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, len(batch))}
	for i, m := range batch {
		ev.Records[i] = events.SQSMessage{
			MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body),
			Md5OfBody: aws.ToString(m.MD5OfBody), Attributes: m.Attributes, EventSource: "aws:sqs",
			EventSourceARN: p.QueueArn, AWSRegion: p.Region,
		}
	}
	resp, err := p.invoke(ctx, ev)
	if err != nil {
		// As Lambda: a failed invocation returns the whole batch.
		p.Log.Error("invocation failed; the batch returns to the queue", "error", err.Error())
		return
	}
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	var done []types.DeleteMessageBatchRequestEntry
	for i, m := range batch {
		if !failed[aws.ToString(m.MessageId)] {
			done = append(done, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
	}
	for len(done) > 0 {
		n := min(10, len(done))
		out, err := p.Client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(p.QueueURL), Entries: done[:n]})
		switch {
		case err != nil:
			p.Log.Error("delete failed; the messages will be delivered again", "error", err.Error())
		case len(out.Failed) > 0:
			p.Log.Error("delete failed for some messages; they will be delivered again", "error", errors.New(aws.ToString(out.Failed[0].Message)).Error())
		}
		if err == nil && p.Acknowledged != nil {
			var ids []string
			for _, e := range out.Successful {
				i, _ := strconv.Atoi(aws.ToString(e.Id))
				ids = append(ids, aws.ToString(batch[i].MessageId))
			}
			p.Acknowledged(ctx, ids...)
		}
		done = done[n:]
	}
}
