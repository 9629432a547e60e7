package ops

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// An SNS notification as SNS writes it (SNS developer guide, "Amazon SNS
// message and JSON formats"), with message attributes of each type SNS
// has (String, String.Array, Number, Binary as base64).
const envelopeBody = `{"Type":"Notification","MessageId":"22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324","TopicArn":"arn:aws:sns:eu-west-1:123456789012:orderpipe-dev-OrderTopic",` +
	`"Message":"{\"orderId\":\"o-1\"}","Timestamp":"2026-11-30T01:00:00.000Z","SignatureVersion":"1","Signature":"EXAMPLE","SigningCertURL":"https://sns.eu-west-1.amazonaws.com/x.pem",` +
	`"UnsubscribeURL":"https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe","MessageAttributes":{"source":{"Type":"String","Value":"web"},` +
	`"tags":{"Type":"String.Array","Value":"[\"a\",\"b\"]"},"priority":{"Type":"Number","Value":"2"},"sig":{"Type":"Binary","Value":"AAEC"}}}`

func TestDelivered(t *testing.T) {
	rawAttrs := map[string]types.MessageAttributeValue{"source": {DataType: aws.String("String"), StringValue: aws.String("web")}}
	tests := []struct {
		name      string
		body      string
		attrs     map[string]types.MessageAttributeValue
		raw       bool
		wantBody  string
		wantAttrs string
		wantErr   string
	}{
		{"envelope, the subscription delivers envelopes", envelopeBody, nil, false, envelopeBody, "", ""},
		{"envelope, the subscription delivers raw", envelopeBody, nil, true, `{"orderId":"o-1"}`,
			`priority=Number:2 sig=Binary:[0 1 2] source=String:web tags=String:["a","b"]`, ""},
		{"raw, the subscription delivers raw", `{"orderId":"o-1"}`, rawAttrs, true, `{"orderId":"o-1"}`, "source=String:web", ""},
		{"raw, the subscription delivers envelopes", `{"orderId":"o-1"}`, nil, false, `{"orderId":"o-1"}`, "", ""},
		{"not JSON at all", `orderId=o-1`, nil, true, `orderId=o-1`, "", ""},
		{"an order with a Type of its own", `{"Type":"gift","orderId":"o-1"}`, nil, true, `{"Type":"gift","orderId":"o-1"}`, "", ""},
		{"an envelope that is no notification", `{"Type":"SubscriptionConfirmation","TopicArn":"arn:aws:sns:eu-west-1:1:t","Token":"x"}`, nil, true, "", "", "without a notification's Message"},
		{"a Binary attribute that is not base64", strings.Replace(envelopeBody, `"AAEC"`, `"%%%"`, 1), nil, true, "", "", "message attribute sig: Binary value is not base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := Delivered(tt.body, tt.attrs, tt.raw)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var attrs []string
			for name, v := range in.MessageAttributes {
				value := aws.ToString(v.StringValue)
				if v.BinaryValue != nil {
					value = fmt.Sprint(v.BinaryValue)
				}
				attrs = append(attrs, name+"="+aws.ToString(v.DataType)+":"+value)
			}
			sort.Strings(attrs)
			if aws.ToString(in.MessageBody) != tt.wantBody || strings.Join(attrs, " ") != tt.wantAttrs {
				t.Errorf("got %s %s\nwant %s %s", aws.ToString(in.MessageBody), attrs, tt.wantBody, tt.wantAttrs)
			}
		})
	}
}

// The subscription's DLQ redriven raw: the order queue gets the published
// message; a message that cannot be made into a delivery stays where it
// is, and the others move.
func TestRedriveNotifications(t *testing.T) {
	m := &memQueues{queues: map[string][]string{"dlq": {envelopeBody, `{"Type":"Notification","TopicArn":"t"}`, `{"orderId":"o-2"}`}}, received: map[string]string{}}
	moved, err := RedriveNotifications(context.Background(), m, "dlq", "queue", true, false)
	if err == nil || !strings.Contains(err.Error(), "redrive m1: it is an SNS envelope without a notification's Message; it stays in the dead-letter queue") {
		t.Errorf("error %v", err)
	}
	if len(moved) != 2 || strings.Join(m.queues["queue"], " ") != `{"orderId":"o-1"} {"orderId":"o-2"}` {
		t.Errorf("moved %d; the order queue holds %q", len(moved), m.queues["queue"])
	}
	if left := m.live("dlq"); len(left) != 1 || left[0] != `{"Type":"Notification","TopicArn":"t"}` {
		t.Errorf("the dead-letter queue holds %q, want only the unreadable envelope", left)
	}
}
