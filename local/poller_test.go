package local

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
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
	for _, e := range in.Entries {
		q.deleted = append(q.deleted, aws.ToString(e.ReceiptHandle))
	}
	return &sqs.DeleteMessageBatchOutput{}, nil
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
