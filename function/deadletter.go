package function

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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

// MaxMessageBytes is the largest message the stack's queues take (their
// maximumMessageSize, which is also SNS's limit): the body and every message
// attribute's name, type and value count toward it, as SQS counts them.
const MaxMessageBytes = 256 << 10

// TooLargeError reports a poison message that cannot reach the dead-letter
// queue with its reason: the body fills the queue's size limit. The message
// stays on the order queue, and SQS moves it, unchanged, to the dead-letter
// queue after maxReceiveCount; the reason is in the function's log under the
// message id, which the move keeps.
type TooLargeError struct {
	MessageID string
	Size      int    // body and attributes, in bytes
	SHA256    string // of the body, to match the log line to the message
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("message %s is too large to send to the dead-letter queue with its reason (%d bytes with the attributes; the limit is %d; body sha256 %s): "+
		"it stays on the queue and SQS moves it to the dead-letter queue after maxReceiveCount", e.MessageID, e.Size, MaxMessageBytes, e.SHA256)
}

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
	const typ = "String"
	str := func(v string) types.MessageAttributeValue {
		return types.MessageAttributeValue{DataType: aws.String(typ), StringValue: aws.String(v)}
	}
	attrs := map[string]types.MessageAttributeValue{
		AttrOriginalMessageID: str(rec.MessageId),
		AttrRejectedAt:        str(at.UTC().Format(time.RFC3339Nano)),
	}
	size := len(rec.Body) + len(AttrReason) + len(typ)
	for name, v := range attrs {
		size += len(name) + len(typ) + len(*v.StringValue)
	}
	// The reason is cut to fit: a message in the DLQ at once, with the
	// first field its reason names, is worth more than one SQS moves there
	// after maxReceiveCount with none; with less room than this it would
	// not name even that.
	const minReason = 32
	room := MaxMessageBytes - size
	if room < minReason {
		sum := sha256.Sum256([]byte(rec.Body))
		return &TooLargeError{MessageID: rec.MessageId, Size: size + len(reason), SHA256: hex.EncodeToString(sum[:])}
	}
	attrs[AttrReason] = str(sqsText(reason, min(maxReasonBytes, room)))
	_, err := d.Client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:          aws.String(d.QueueURL),
		MessageBody:       aws.String(rec.Body),
		MessageAttributes: attrs,
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
