package function

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// sizeLimitedSQS refuses a message over MaxMessageBytes, counting the body
// and each attribute's name, type and value, as SQS does.
type sizeLimitedSQS struct{ sent []*sqs.SendMessageInput }

func (q *sizeLimitedSQS) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	size := len(aws.ToString(in.MessageBody))
	for name, v := range in.MessageAttributes {
		size += len(name) + len(aws.ToString(v.DataType)) + len(aws.ToString(v.StringValue))
	}
	if size > MaxMessageBytes {
		return nil, fmt.Errorf("InvalidParameterValue: message must be shorter than %d bytes, is %d", MaxMessageBytes, size)
	}
	q.sent = append(q.sent, in)
	return &sqs.SendMessageOutput{}, nil
}

func TestRejectNearTheSizeLimit(t *testing.T) {
	long := strings.Repeat("x ", 3000) // a reason longer than maxReasonBytes
	tests := []struct {
		name     string
		bodySize int
		sent     bool // else it stays on the queue with a TooLargeError
	}{
		{"small", 100, true},
		{"reason cut to fit", MaxMessageBytes - 1000, true},
		{"room for a short reason only", MaxMessageBytes - 400, true},
		{"room for a field name", MaxMessageBytes - 300, true},
		{"room for part of a field name", MaxMessageBytes - 160, false},
		{"no room for a reason", MaxMessageBytes - 100, false},
		{"at the limit", MaxMessageBytes, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &sizeLimitedSQS{}
			body := strings.Repeat("b", tt.bodySize)
			err := SQSDeadLetters{Client: q, QueueURL: "https://sqs/dlq"}.Reject(context.Background(),
				events.SQSMessage{MessageId: "0f3c2d1e-aaaa-bbbb-cccc-000000000000", Body: body}, long, time.Now())
			var tooLarge *TooLargeError
			switch {
			case tt.sent && err != nil:
				t.Fatalf("not sent: %v", err)
			case tt.sent:
				in := q.sent[0]
				if aws.ToString(in.MessageBody) != body {
					t.Fatal("the body was changed")
				}
				if r := aws.ToString(in.MessageAttributes[AttrReason].StringValue); !strings.HasPrefix(r, "x x") {
					t.Fatalf("reason %.20q…", r)
				}
			case !errors.As(err, &tooLarge) || len(q.sent) > 0:
				t.Fatalf("err %v, %d sent; want a TooLargeError and nothing sent", err, len(q.sent))
			case !strings.Contains(err.Error(), tooLarge.SHA256) || len(tooLarge.SHA256) != 64:
				t.Fatalf("error %q does not name the body's SHA-256", err)
			}
		})
	}
}

// A poison message too large to forward with its reason is not
// acknowledged: SQS keeps it and moves it after maxReceiveCount, and the log
// line says why under its message id.
func TestTooLargeToForwardStays(t *testing.T) {
	var logs bytes.Buffer
	h := &Handler{Store: newMemStore(), DeadLetters: SQSDeadLetters{Client: &sizeLimitedSQS{}, QueueURL: "https://sqs/dlq"},
		Log: slog.New(slog.NewJSONHandler(&logs, nil))}
	big := (`{"orderId":"` + strings.Repeat("a", MaxBodyBytes))[:MaxMessageBytes]
	resp, err := h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "big", Body: big}, {MessageId: "ok", Body: validOrder},
	}})
	if err != nil || failures(resp) != "big" {
		t.Fatalf("failures %v, %v; want only big", resp, err)
	}
	for _, want := range []string{`"messageId":"big"`, `"reason":"body: the order must be at most 65536 bytes"`, "too large to send to the dead-letter queue", "sha256"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, logs.String())
		}
	}
}
