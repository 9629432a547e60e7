// Package ops holds the operator's tools for a running pipeline, deployed or
// local: publish orders, list and redrive the dead-letter queue, and the
// end-to-end smoke test.
package ops

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/orderpipe/orderpipe/function"
)

// Publisher publishes to SNS.
type Publisher interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Publish publishes each order to the topic. One the topic refuses (SNS
// takes at most 256 KiB of UTF-8) does not stop the others: ids[i] is the
// message id of orders[i], "" where it was refused, and the error names each
// refused order by its position, counted from 1: it is a *PublishError,
// or the context's error.
func Publish(ctx context.Context, p Publisher, topicArn string, orders []string) ([]string, error) {
	ids := make([]string, len(orders))
	var refused PublishError
	for i, o := range orders {
		out, err := p.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topicArn), Message: aws.String(o)})
		if err != nil {
			if ctx.Err() != nil {
				return ids, ctx.Err()
			}
			refused = append(refused, Refusal{Index: i, Err: err})
			continue
		}
		ids[i] = aws.ToString(out.MessageId)
	}
	if len(refused) > 0 {
		return ids, refused
	}
	return ids, nil
}

// Refusal is an order the topic refused: orders[Index], for Err.
type Refusal struct {
	Index int
	Err   error
}

// PublishError lists the orders the topic refused.
type PublishError []Refusal

func (e PublishError) Error() string {
	s := make([]string, len(e))
	for i, r := range e {
		s[i] = fmt.Sprintf("order %d refused: %v", r.Index+1, r.Err)
	}
	return strings.Join(s, "\n")
}

// Queue is the part of the SQS client the DLQ tools use.
type Queue interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, opts ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

// DeadLetter is a message in the dead-letter queue.
type DeadLetter struct {
	MessageID         string `json:"messageId"`
	Body              string `json:"body"`
	Reason            string `json:"reason,omitempty"` // set when the handler rejected it
	OriginalMessageID string `json:"originalMessageId,omitempty"`
	RejectedAt        string `json:"rejectedAt,omitempty"`
	ReceiveCount      int    `json:"receiveCount,omitempty"`
	// Altered: the body did not come back as it was sent (its MD5 differs),
	// so Body is not the message; redrive leaves such a message where it is.
	Altered bool `json:"altered,omitempty"`
	// Queue names the dead-letter queue the message is in (set by the
	// caller, which knows which queue it listed).
	Queue   string `json:"queue,omitempty"`
	receipt string
	attrs   map[string]types.MessageAttributeValue
}

// Moved reports whether SQS moved the message after maxReceiveCount, rather
// than the handler rejecting it.
func (d DeadLetter) Moved() bool { return d.Reason == "" }

// CheckEachMessage turns off the SDK's check of a whole receive, which fails
// every message of it when one body differs from its MD5; Intact checks each
// message on its own, so that one altered message cannot hide the others.
func CheckEachMessage(o *sqs.Options) { o.DisableMessageChecksumValidation = true }

// Intact reports whether the message's body matches its MD5.
func Intact(m types.Message) bool {
	sum := md5.Sum([]byte(aws.ToString(m.Body)))
	return hex.EncodeToString(sum[:]) == aws.ToString(m.MD5OfBody)
}

// receiveAll receives every message of the queue; they stay invisible for
// the queue's visibility timeout.
func receiveAll(ctx context.Context, q Queue, queueURL string) ([]DeadLetter, error) {
	var all []DeadLetter
	err := receiveEach(ctx, q, queueURL, func(d DeadLetter) { all = append(all, d) })
	return all, err
}

// receiveEach receives every message of the queue and hands each to f, one
// batch at a time, so that the caller keeps what it needs of a message and
// not the message; they stay invisible for the queue's visibility timeout.
func receiveEach(ctx context.Context, q Queue, queueURL string, f func(DeadLetter)) error {
	for {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageAttributeNames:       []string{"All"},
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount},
		}, CheckEachMessage)
		if err != nil {
			return fmt.Errorf("receive from the dead-letter queue: %w", err)
		}
		if len(out.Messages) == 0 {
			return nil
		}
		for _, m := range out.Messages {
			attr := func(name string) string { return aws.ToString(m.MessageAttributes[name].StringValue) }
			n, _ := strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
			f(DeadLetter{
				MessageID: aws.ToString(m.MessageId), Body: aws.ToString(m.Body), ReceiveCount: n,
				Reason: attr(function.AttrReason), OriginalMessageID: attr(function.AttrOriginalMessageID), RejectedAt: attr(function.AttrRejectedAt),
				Altered: !Intact(m), receipt: aws.ToString(m.ReceiptHandle), attrs: m.MessageAttributes,
			})
		}
	}
}

// ListDLQ lists the dead-letter queue without consuming it: every message is
// made visible again before ListDLQ returns.
func ListDLQ(ctx context.Context, q Queue, dlqURL string) ([]DeadLetter, error) {
	var all []DeadLetter
	_, err := EachDeadLetter(ctx, q, dlqURL, func(d DeadLetter) { all = append(all, d) })
	return all, err
}

// EachDeadLetter is ListDLQ handing each message to f as it is received
// rather than returning them all: it keeps only their receipt handles, to
// make them visible again, and says how many it listed.
func EachDeadLetter(ctx context.Context, q Queue, dlqURL string, f func(DeadLetter)) (int, error) {
	var received [][2]string // message id, receipt handle
	err := receiveEach(ctx, q, dlqURL, func(d DeadLetter) {
		received = append(received, [2]string{d.MessageID, d.receipt})
		f(d)
	})
	errs := []error{err}
	for _, r := range received {
		if _, err := q.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
			QueueUrl: aws.String(dlqURL), ReceiptHandle: aws.String(r[1]), VisibilityTimeout: 0,
		}); err != nil {
			errs = append(errs, fmt.Errorf("release %s: %w", r[0], err))
		}
	}
	return len(received), errors.Join(errs...)
}

// TakeDeadLetters receives every message of the dead-letter queue and hands
// each to keep, which must put it somewhere lasting; a message is deleted
// from the queue only once keep has returned nil, so that it is always in
// one place or both, never in none. A message kept whose delete failed
// comes again after the visibility timeout: keep must know it. It says how
// many messages it took out of the queue.
func TakeDeadLetters(ctx context.Context, q Queue, dlqURL string, keep func(DeadLetter) error) (int, error) {
	taken := 0
	var errs []error
	err := receiveEach(ctx, q, dlqURL, func(d DeadLetter) {
		if err := keep(d); err != nil {
			errs = append(errs, fmt.Errorf("keep %s: %w", d.MessageID, err))
			return
		}
		if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(dlqURL), ReceiptHandle: aws.String(d.receipt)}); err != nil {
			errs = append(errs, fmt.Errorf("kept %s, but not deleted from the dead-letter queue: %w", d.MessageID, err))
			return
		}
		taken++
	})
	return taken, errors.Join(append(errs, err)...)
}

// Redrive moves every message of the dead-letter queue back to the source
// queue: each is sent, and only then deleted from the DLQ, so a failure
// leaves it in one queue or (after a failed delete) in both, never in none.
// With dryRun it only lists them. The message attributes the handler added
// are dropped: the message goes back as it first came.
func Redrive(ctx context.Context, q Queue, dlqURL, queueURL string, dryRun bool) ([]DeadLetter, error) {
	return redrive(ctx, q, dlqURL, queueURL, dryRun, func(d DeadLetter) (*sqs.SendMessageInput, error) {
		return &sqs.SendMessageInput{MessageBody: aws.String(d.Body)}, nil
	})
}

// RedriveNotifications moves every message of the subscription's
// dead-letter queue, where SNS put what it could not deliver, to the order
// queue, as Redrive does (send, then delete), in the form the subscription
// would have delivered it: raw (the published message, its message
// attributes as SQS message attributes) or the SNS envelope as SNS wrote
// it. SQS's message-move tasks do not take a queue SNS feeds (SQS API
// reference, StartMessageMoveTask), so this is the only way.
func RedriveNotifications(ctx context.Context, q Queue, dlqURL, queueURL string, raw, dryRun bool) ([]DeadLetter, error) {
	return redrive(ctx, q, dlqURL, queueURL, dryRun, func(d DeadLetter) (*sqs.SendMessageInput, error) {
		return Delivered(d.Body, d.attrs, raw)
	})
}

// redrive sends each message of the DLQ to the queue as form makes it,
// then deletes it from the DLQ.
func redrive(ctx context.Context, q Queue, dlqURL, queueURL string, dryRun bool, form func(DeadLetter) (*sqs.SendMessageInput, error)) ([]DeadLetter, error) {
	if dryRun {
		return ListDLQ(ctx, q, dlqURL)
	}
	all, err := receiveAll(ctx, q, dlqURL)
	if err != nil {
		return nil, err
	}
	var moved []DeadLetter
	var left []error
	for _, d := range all {
		if d.Altered {
			// Sending the body as read would send something else.
			left = append(left, fmt.Errorf("redrive %s: its body came back altered (MD5 differs); it stays in the dead-letter queue", d.MessageID))
			continue
		}
		in, err := form(d)
		if err != nil {
			left = append(left, fmt.Errorf("redrive %s: %w; it stays in the dead-letter queue", d.MessageID, err))
			continue
		}
		in.QueueUrl = aws.String(queueURL)
		if _, err := q.SendMessage(ctx, in); err != nil {
			return moved, fmt.Errorf("redrive %s: send: %w (it stays in the dead-letter queue)", d.MessageID, err)
		}
		if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(dlqURL), ReceiptHandle: aws.String(d.receipt)}); err != nil {
			return moved, fmt.Errorf("redrive %s: sent, but not deleted from the dead-letter queue: %w", d.MessageID, err)
		}
		moved = append(moved, d)
	}
	return moved, errors.Join(left...)
}

// Table is the part of the DynamoDB client the smoke test uses.
type Table interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
}

// Target is a running pipeline: its topic, table and queues, and clients.
type Target struct {
	TopicArn, Table, QueueURL, DLQURL string
	// SubscriptionDLQURL is the subscription's dead-letter queue; "" for a
	// stack deployed before it had one.
	SubscriptionDLQURL string
	SNS                Publisher
	Subscriptions      Subscriptions
	SQS                Queue
	DB                 Table
}

// SmokeResult is the timing of each hop of the smoke test.
type SmokeResult struct {
	OrderID   string        `json:"orderId"`
	Published time.Duration `json:"published"` // until SNS accepted it
	Stored    time.Duration `json:"stored"`    // until it was in the table
	DLQGrew   bool          `json:"dlqGrew"`
}

// Smoke publishes a uniquely identified test order, waits up to timeout
// until it is in the table, and checks that the dead-letter queue did not
// grow meanwhile (a DLQ that already held messages is the alarms' business).
func Smoke(ctx context.Context, t Target, timeout time.Duration) (SmokeResult, error) {
	id := fmt.Sprintf("smoke-%d", time.Now().UnixNano())
	order := fmt.Sprintf(`{"orderId":%q,"customerId":"smoke-test","items":[{"sku":"SMOKE","quantity":1,"unitPrice":"0.01"}],"currency":"EUR","total":"0.01","createdAt":%q}`,
		id, time.Now().UTC().Format(time.RFC3339))
	r := SmokeResult{OrderID: id}
	before, err := Depth(ctx, t.SQS, t.DLQURL)
	if err != nil {
		return r, err
	}
	start := time.Now()
	if _, err := Publish(ctx, t.SNS, t.TopicArn, []string{order}); err != nil {
		return r, err
	}
	r.Published = time.Since(start)
	deadline := start.Add(timeout)
	for {
		got, err := t.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(t.Table), ConsistentRead: aws.Bool(true),
			Key: map[string]dbtypes.AttributeValue{"orderId": &dbtypes.AttributeValueMemberS{Value: id}}})
		if err != nil {
			return r, fmt.Errorf("read the table: %w", err)
		}
		if got.Item != nil {
			r.Stored = time.Since(start)
			break
		}
		if time.Now().After(deadline) {
			return r, fmt.Errorf("order %s not in %s after %v", id, t.Table, timeout)
		}
		select {
		case <-ctx.Done():
			return r, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	after, err := Depth(ctx, t.SQS, t.DLQURL)
	if err != nil {
		return r, err
	}
	if r.DLQGrew = after > before; r.DLQGrew {
		return r, fmt.Errorf("the dead-letter queue grew from %d to %d messages during the smoke test", before, after)
	}
	return r, nil
}

// Attributes reads a queue's attributes.
type Attributes interface {
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, opts ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

func attribute(ctx context.Context, q Attributes, queueURL string, name types.QueueAttributeName) (string, error) {
	out, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queueURL), AttributeNames: []types.QueueAttributeName{name}})
	if err != nil {
		return "", fmt.Errorf("%s of %s: %w", name, queueURL, err)
	}
	return out.Attributes[string(name)], nil
}

// Depth is the number of messages in the queue (goaws counts those in flight
// too; AWS counts only the visible ones).
func Depth(ctx context.Context, q Attributes, queueURL string) (int, error) {
	v, err := attribute(ctx, q, queueURL, types.QueueAttributeNameApproximateNumberOfMessages)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(v)
}

// InFlight is the number of the queue's messages received and neither
// deleted nor visible again (ApproximateNumberOfMessagesNotVisible).
func InFlight(ctx context.Context, q Attributes, queueURL string) (int, error) {
	v, err := attribute(ctx, q, queueURL, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(v)
}

// VisibilityTimeout is how long a received message stays in flight: by
// then it is deleted or visible again.
func VisibilityTimeout(ctx context.Context, q Attributes, queueURL string) (time.Duration, error) {
	v, err := attribute(ctx, q, queueURL, types.QueueAttributeNameVisibilityTimeout)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("visibility timeout of %s: %w", queueURL, err)
	}
	return time.Duration(n) * time.Second, nil
}

// QueueArn is the queue's ARN.
func QueueArn(ctx context.Context, q Attributes, queueURL string) (string, error) {
	return attribute(ctx, q, queueURL, types.QueueAttributeNameQueueArn)
}

// Mover is the part of the SQS client that runs message-move tasks.
type Mover interface {
	StartMessageMoveTask(ctx context.Context, in *sqs.StartMessageMoveTaskInput, opts ...func(*sqs.Options)) (*sqs.StartMessageMoveTaskOutput, error)
	ListMessageMoveTasks(ctx context.Context, in *sqs.ListMessageMoveTasksInput, opts ...func(*sqs.Options)) (*sqs.ListMessageMoveTasksOutput, error)
}

// MoveTask has SQS move the dead-letter queue's messages back to the queues
// they came from, with a message-move task, and waits until it ends. SQS
// keeps each message in one queue or the other throughout. An endpoint
// without message-move tasks (goaws) fails at the start, and the caller can
// fall back to Redrive.
func MoveTask(ctx context.Context, m Mover, dlqArn string, timeout time.Duration) (moved int64, err error) {
	start, err := m.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqArn)})
	if err != nil {
		return 0, fmt.Errorf("start a message-move task: %w", err)
	}
	handle := aws.ToString(start.TaskHandle)
	deadline := time.Now().Add(timeout)
	for {
		out, err := m.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(dlqArn), MaxResults: aws.Int32(10)})
		if err != nil {
			return 0, fmt.Errorf("message-move task %s: %w", handle, err)
		}
		// The most recent task comes first: the one just started. (SQS names
		// a task's handle only while it runs.)
		if len(out.Results) > 0 {
			task := out.Results[0]
			switch aws.ToString(task.Status) {
			case "COMPLETED":
				return task.ApproximateNumberOfMessagesMoved, nil
			case "FAILED", "CANCELLED":
				return task.ApproximateNumberOfMessagesMoved, fmt.Errorf("message-move task %s %s: %s",
					handle, strings.ToLower(aws.ToString(task.Status)), aws.ToString(task.FailureReason))
			}
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("message-move task %s still running after %v; it goes on in SQS", handle, timeout)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
