package ops

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// envelope is what SNS delivers to SQS without raw message delivery (SNS
// developer guide, "Amazon SNS message and JSON formats").
type envelope struct {
	Type              *string                      `json:"Type"`
	TopicArn          *string                      `json:"TopicArn"`
	Message           *string                      `json:"Message"`
	MessageAttributes map[string]envelopeAttribute `json:"MessageAttributes"`
}

type envelopeAttribute struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

// notification reads body as an SNS envelope: a JSON object with a Type
// and a TopicArn at its top level, the handler's test too.
func notification(body string) (envelope, bool) {
	var e envelope
	if json.Unmarshal([]byte(body), &e) != nil || e.Type == nil || e.TopicArn == nil {
		return envelope{}, false
	}
	return e, true
}

// Delivered is the message SNS would have delivered to the order queue for
// a message of the subscription's dead-letter queue (body and its message
// attributes): with raw delivery, the published message with its message
// attributes as SQS message attributes; else the envelope. SNS puts a
// message in the dead-letter queue in either form; an envelope cannot be
// made from a raw message (SNS signs it), so a raw one goes as it is,
// which the handler reads as well.
func Delivered(body string, attrs map[string]types.MessageAttributeValue, raw bool) (*sqs.SendMessageInput, error) {
	e, isEnvelope := notification(body)
	switch {
	case !isEnvelope:
		return &sqs.SendMessageInput{MessageBody: aws.String(body), MessageAttributes: attrs}, nil
	case !raw:
		return &sqs.SendMessageInput{MessageBody: aws.String(body)}, nil
	case e.Message == nil || *e.Type != "Notification":
		return nil, errors.New("it is an SNS envelope without a notification's Message")
	}
	out := map[string]types.MessageAttributeValue{}
	for name, a := range e.MessageAttributes {
		v, err := sqsAttribute(a)
		if err != nil {
			return nil, fmt.Errorf("message attribute %s: %w", name, err)
		}
		out[name] = v
	}
	if len(out) == 0 {
		out = nil
	}
	return &sqs.SendMessageInput{MessageBody: e.Message, MessageAttributes: out}, nil
}

// sqsAttribute is an SNS message attribute as raw delivery gives it to SQS:
// Binary values are base64 in the envelope; String.Array keeps its JSON
// text as a String.
func sqsAttribute(a envelopeAttribute) (types.MessageAttributeValue, error) {
	switch {
	case a.Type == "Binary":
		b, err := base64.StdEncoding.DecodeString(a.Value)
		if err != nil {
			return types.MessageAttributeValue{}, fmt.Errorf("Binary value is not base64: %w", err)
		}
		return types.MessageAttributeValue{DataType: aws.String("Binary"), BinaryValue: b}, nil
	case a.Type == "String.Array":
		return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(a.Value)}, nil
	case a.Type == "String" || a.Type == "Number" || strings.HasPrefix(a.Type, "String.") || strings.HasPrefix(a.Type, "Number."):
		return types.MessageAttributeValue{DataType: aws.String(a.Type), StringValue: aws.String(a.Value)}, nil
	}
	return types.MessageAttributeValue{}, fmt.Errorf("type %q is not an SNS message attribute type", a.Type)
}

// Subscriptions is the part of the SNS client that reads subscriptions.
type Subscriptions interface {
	ListSubscriptionsByTopic(ctx context.Context, in *sns.ListSubscriptionsByTopicInput, opts ...func(*sns.Options)) (*sns.ListSubscriptionsByTopicOutput, error)
	GetSubscriptionAttributes(ctx context.Context, in *sns.GetSubscriptionAttributesInput, opts ...func(*sns.Options)) (*sns.GetSubscriptionAttributesOutput, error)
}

// RawDelivery reports whether the topic's SQS subscription of the queue
// delivers raw messages, as SNS has it now.
func RawDelivery(ctx context.Context, s Subscriptions, topicArn, queueArn string) (bool, error) {
	var next *string
	for {
		out, err := s.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topicArn), NextToken: next})
		if err != nil {
			return false, fmt.Errorf("subscriptions of %s: %w", topicArn, err)
		}
		for _, sub := range out.Subscriptions {
			if aws.ToString(sub.Protocol) != "sqs" || aws.ToString(sub.Endpoint) != queueArn {
				continue
			}
			attrs, err := s.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: sub.SubscriptionArn})
			if err != nil {
				return false, fmt.Errorf("subscription %s: %w", aws.ToString(sub.SubscriptionArn), err)
			}
			raw, _ := strconv.ParseBool(attrs.Attributes["RawMessageDelivery"])
			return raw, nil
		}
		if next = out.NextToken; next == nil {
			return false, fmt.Errorf("%s has no SQS subscription of %s", topicArn, queueArn)
		}
	}
}
