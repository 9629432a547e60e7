package awslocal

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/schemas"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// goaws runs once a process: every test of the package shares it.
var goaws *SQS

func TestMain(m *testing.M) {
	var err error
	if goaws, err = StartSQS(200 * time.Millisecond); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	goaws.Close()
	os.Exit(code)
}

// protocols are SQS's two wire protocols: JSON, which current SDKs and the
// AWS CLI v2 speak (the SDK's default), and query, which older ones speak.
var protocols = []struct {
	name   string
	client func(endpoint string) *sqs.Client
}{
	{"json", SQSClient},
	{"query", func(endpoint string) *sqs.Client {
		return sqs.NewFromConfig(Config(), func(o *sqs.Options) {
			o.BaseEndpoint = aws.String(endpoint)
			o.Protocol = awsquery.New(schemas.AmazonSQS)
		})
	}},
}

// goaws refuses what SQS and SNS refuse, with their error codes, and takes
// everything they take, so that what the local run accepts can come back
// intact; in both of SQS's protocols.
func TestStandInRefusesWhatAWSRefuses(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) { testRefusals(t, p.client(goaws.Endpoint), p.name) })
	}
}

func testRefusals(t *testing.T, q *sqs.Client, name string) {
	ctx := context.Background()
	n := SNSClient(goaws.Endpoint)
	queue, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("guard-test-" + name)})
	if err != nil {
		t.Fatal(err)
	}
	topic, err := n.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("guard-test-" + name)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, body string
		code       string // "" when taken
		// notUTF8: the Go SDK's JSON serializer sends U+FFFD instead, and
		// its MD5 check then fails the send (TestJSONWire sends such bytes
		// raw). SNS speaks only query.
		notUTF8 bool
	}{
		{"order", `{"orderId":"o-1"}`, "", false},
		{"every allowed kind of character", "tab\t nl\n cr\r é € 😀 \uFFFD \uE000", "", false},
		{"invalid UTF-8", "c\xff", "InvalidMessageContents", true},
		{"a lone surrogate encoded as UTF-8", "c\xed\xa0\x80", "InvalidMessageContents", true},
		{"NUL", "c\x00", "InvalidMessageContents", false},
		{"U+FFFE", "c\uFFFE", "InvalidMessageContents", false},
		{"at the size limit", strings.Repeat("x", MaxMessageBytes), "", false},
		{"over the size limit", strings.Repeat("x", MaxMessageBytes+1), "InvalidParameterValue", false},
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
				case tt.notUTF8 && name == "json" && call != "Publish":
					if err == nil || !strings.Contains(err.Error(), "checksum") {
						t.Errorf("%s: %v, want the SDK's checksum error", call, err)
					}
				case tt.code == "" && err != nil:
					t.Errorf("%s refused it: %v", call, err)
				case tt.code != "" && (!errors.As(err, &api) || api.ErrorCode() != tt.code):
					t.Errorf("%s: %v, want %s", call, err, tt.code)
				}
			}
		})
	}
}
