package function

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Message attributes of a message the handler sends to the dead-letter
// queue. A message that SQS moved there after maxReceiveCount has none.
const (
	AttrReason            = "orderpipe.reason"
	AttrOriginalMessageID = "orderpipe.originalMessageId"
	AttrRejectedAt        = "orderpipe.rejectedAt"
)

// maxReasonBytes keeps the reason well inside SQS's message size limit.
const maxReasonBytes = 4096

// SQSAPI is the part of the SQS client the dead-letter sender uses.
type SQSAPI interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// SQSDeadLetters sends poison messages to the dead-letter queue.
type SQSDeadLetters struct {
	Client   SQSAPI
	QueueURL string
}

// Reject sends the record's body, unchanged, to the dead-letter queue with
// the reason and the original message id as message attributes.
func (d SQSDeadLetters) Reject(ctx context.Context, rec events.SQSMessage, reason string, at time.Time) error {
	str := func(v string) types.MessageAttributeValue {
		return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	_, err := d.Client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:    aws.String(d.QueueURL),
		MessageBody: aws.String(rec.Body),
		MessageAttributes: map[string]types.MessageAttributeValue{
			AttrReason:            str(sqsText(reason, maxReasonBytes)),
			AttrOriginalMessageID: str(rec.MessageId),
			AttrRejectedAt:        str(at.UTC().Format(time.RFC3339Nano)),
		},
	})
	if err != nil {
		return fmt.Errorf("send message %s to the dead-letter queue: %w", rec.MessageId, err)
	}
	return nil
}

// sqsText makes s acceptable as an SQS attribute value: characters SQS
// refuses (a field name in a reason comes from the sender) become U+FFFD,
// and it is cut to at most max bytes.
func sqsText(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF {
			return r
		}
		return utf8.RuneError
	}, s)
	if len(s) <= max {
		return s
	}
	cut := max - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
