package awslocal

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// goaws refuses what SQS and SNS refuse, with their error codes, and takes
// everything they take, so that what the local run accepts can come back
// intact.
func TestStandInRefusesWhatAWSRefuses(t *testing.T) {
	srv, err := StartSQS(200 * time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	q, n := SQSClient(srv.Endpoint), SNSClient(srv.Endpoint)
	queue, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("guard-test")})
	if err != nil {
		t.Fatal(err)
	}
	topic, err := n.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("guard-test")})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, body string
		code       string // "" when taken
	}{
		{"order", `{"orderId":"o-1"}`, ""},
		{"every allowed kind of character", "tab\t nl\n cr\r é € 😀 \uFFFD \uE000", ""},
		{"invalid UTF-8", "c\xff", "InvalidMessageContents"},
		{"a lone surrogate encoded as UTF-8", "c\xed\xa0\x80", "InvalidMessageContents"},
		{"NUL", "c\x00", "InvalidMessageContents"},
		{"U+FFFE", "c\uFFFE", "InvalidMessageContents"},
		{"at the size limit", strings.Repeat("x", MaxMessageBytes), ""},
		{"over the size limit", strings.Repeat("x", MaxMessageBytes+1), "InvalidParameterValue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, sendErr := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: queue.QueueUrl, MessageBody: aws.String(tt.body)})
			_, batchErr := q.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: queue.QueueUrl,
				Entries: []sqstypes.SendMessageBatchRequestEntry{{Id: aws.String("1"), MessageBody: aws.String(tt.body)}}})
			_, pubErr := n.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String(tt.body)})
			for call, err := range map[string]error{"SendMessage": sendErr, "SendMessageBatch": batchErr, "Publish": pubErr} {
				var api smithy.APIError
				switch {
				case tt.code == "" && err != nil:
					t.Errorf("%s refused it: %v", call, err)
				case tt.code != "" && (!errors.As(err, &api) || api.ErrorCode() != tt.code):
					t.Errorf("%s: %v, want %s", call, err, tt.code)
				}
			}
		})
	}
}
