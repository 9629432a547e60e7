package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orderpipe/orderpipe/internal/awslocal"
	"github.com/orderpipe/orderpipe/internal/testenv"
)

// `orderpipe local --serve` with a client nobody here wrote: the AWS SDK for
// JavaScript v3 (tools/jsclient.mjs), SQS in its JSON protocol and SNS in
// query. An order it publishes is stored; a poison one reaches the DLQ with
// the handler's reason; listing the DLQ consumes nothing; receive and delete
// empty it; what SQS refuses is refused with SQS's errors.
func TestJavaScriptSDK(t *testing.T) {
	testenv.Tool(t, "ORDERPIPE_JS_SDK", "tools/node_modules/@aws-sdk/client-sqs/package.json", "tools/install")
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("the AWS SDK for JavaScript needs node: %v", err)
	}
	sqsEndpoint, dbEndpoint := serveLocal(t)
	orderID, poisonID := fmt.Sprintf("js-%d", time.Now().UnixNano()), fmt.Sprintf("js-poison-%d", time.Now().UnixNano())

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	script := exec.CommandContext(ctx, node, filepath.Join(testenv.ModuleRoot(t), "tools", "jsclient.mjs"), sqsEndpoint, orderID, poisonID)
	out, err := script.Output()
	if err != nil {
		t.Fatalf("node tools/jsclient.mjs: %v\n%s\n%s", err, out, stderrOf(err))
	}
	t.Logf("the JavaScript SDK saw: %s", out)
	type failure struct{ Name, Code, Message string }
	type attempt struct {
		Ok    json.RawMessage
		Error *failure
	}
	var r struct {
		Queues                                    []string
		MissingQueue                              attempt
		QueueArn, RedrivePolicy                   string
		Published, PoisonPublished                string
		SentDirect, SentNUL, SentLoneSurrogate    attempt
		DLQ                                       []struct{ MessageID, Body, Reason, OriginalMessageID string }
		DLQDepthAfterListing, DLQDepthAfterDelete int
		Deleted                                   []string
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("the script's report: %v", err)
	}

	if want := []string{"orderpipe-local-OrderQueue", "orderpipe-local-OrderQueueDLQ", "orderpipe-local-OrderQueueSubscriptionDLQ"}; !slices.Equal(r.Queues, want) {
		t.Errorf("ListQueues: %v, want %v", r.Queues, want)
	}
	if e := r.MissingQueue.Error; e == nil || e.Name != "QueueDoesNotExist" || e.Code != "AWS.SimpleQueueService.NonExistentQueue" {
		t.Errorf("GetQueueUrl of a missing queue: %+v, want QueueDoesNotExist (AWS.SimpleQueueService.NonExistentQueue)", r.MissingQueue)
	}
	if r.QueueArn != "arn:aws:sqs:us-east-1:000000000000:orderpipe-local-OrderQueue" || !strings.Contains(r.RedrivePolicy, "maxReceiveCount") {
		t.Errorf("GetQueueAttributes: QueueArn %q, RedrivePolicy %q", r.QueueArn, r.RedrivePolicy)
	}
	if r.Published == "" || r.PoisonPublished == "" {
		t.Errorf("Publish: %q %q", r.Published, r.PoisonPublished)
	}
	if r.SentDirect.Error != nil {
		t.Errorf("SendMessage of a valid body: %+v", r.SentDirect.Error)
	}
	for name, a := range map[string]attempt{"NUL": r.SentNUL, "a lone surrogate": r.SentLoneSurrogate} {
		if a.Error == nil || a.Error.Name != "InvalidMessageContents" || a.Error.Code != "InvalidMessageContents" {
			t.Errorf("SendMessage of a body with %s: %+v, want InvalidMessageContents", name, a)
		}
	}

	// The order is stored exactly as the JavaScript SDK sent it.
	db := awslocal.DynamoDBClient(dbEndpoint)
	var item map[string]dbtypes.AttributeValue
	for deadline := time.Now().Add(30 * time.Second); item == nil && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		got, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("orderpipe-local-Orders"), ConsistentRead: aws.Bool(true),
			Key: map[string]dbtypes.AttributeValue{"orderId": &dbtypes.AttributeValueMemberS{Value: orderID}}})
		if err != nil {
			t.Fatal(err)
		}
		item = got.Item
	}
	if item == nil {
		t.Errorf("order %s is not in the table", orderID)
	} else if c, _ := item["customerId"].(*dbtypes.AttributeValueMemberS); c == nil || c.Value != "c-js" {
		t.Errorf("stored %v", item)
	}

	var poison, direct int
	for _, m := range r.DLQ {
		switch {
		case strings.Contains(m.Body, poisonID):
			poison++
			if !strings.HasPrefix(m.Reason, "customerId: is required") || m.OriginalMessageID == "" {
				t.Errorf("the poison order in the DLQ: reason %q, original message %q", m.Reason, m.OriginalMessageID)
			}
		case m.Body == "direct é😀\r\n":
			direct++
		default:
			t.Errorf("unexpected in the DLQ: %+v", m)
		}
	}
	if poison != 1 || direct != 1 {
		t.Errorf("the DLQ listed the poison order %d times and the direct message %d times, want once each: %+v", poison, direct, r.DLQ)
	}
	if r.DLQDepthAfterListing != 2 || len(r.Deleted) != 2 || r.DLQDepthAfterDelete != 0 {
		t.Errorf("DLQ depth %d after listing (want 2), %d deleted (want 2), depth %d after (want 0)", r.DLQDepthAfterListing, len(r.Deleted), r.DLQDepthAfterDelete)
	}
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
