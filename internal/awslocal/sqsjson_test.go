package awslocal

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// The JSON protocol on the wire, as the SQS Developer Guide shows it
// ("Interpreting Amazon SQS JSON API responses"): answers in
// application/x-amz-json-1.0; an error's shape in __type and its query code
// and fault in x-amzn-query-error.
func TestJSONWire(t *testing.T) {
	ctx := context.Background()
	queue, err := SQSClient(goaws.Endpoint).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("wire-test")})
	if err != nil {
		t.Fatal(err)
	}
	url := aws.ToString(queue.QueueUrl)
	send := func(body string) string { return `{"QueueUrl":"` + url + `","MessageBody":"` + body + `"}` }
	tests := []struct {
		name, action, body string
		status             int
		queryError, typ    string // of an error
		check              func(t *testing.T, answer map[string]any)
	}{
		{name: "the Developer Guide's example: a queue that does not exist", action: "GetQueueUrl", body: `{"QueueName":"no-such-queue"}`,
			status: 400, queryError: "AWS.SimpleQueueService.NonExistentQueue;Sender", typ: "com.amazonaws.sqs#QueueDoesNotExist"},
		{name: "a body that is not UTF-8", action: "SendMessage", body: send("c\xff"),
			status: 400, queryError: "InvalidMessageContents;Sender", typ: "com.amazonaws.sqs#InvalidMessageContents"},
		{name: "an escaped lone high surrogate", action: "SendMessage", body: send(`c\ud800`),
			status: 400, queryError: "InvalidMessageContents;Sender", typ: "com.amazonaws.sqs#InvalidMessageContents"},
		{name: "an escaped lone low surrogate", action: "SendMessage", body: send(`c\uDC00 \ud800`),
			status: 400, queryError: "InvalidMessageContents;Sender", typ: "com.amazonaws.sqs#InvalidMessageContents"},
		{name: "an escaped NUL", action: "SendMessage", body: send(`c\u0000`),
			status: 400, queryError: "InvalidMessageContents;Sender", typ: "com.amazonaws.sqs#InvalidMessageContents"},
		{name: "over 256 KiB", action: "SendMessage", body: send(strings.Repeat("x", MaxMessageBytes+1)),
			status: 400, queryError: "InvalidParameterValue;Sender", typ: "com.amazonaws.sqs#InvalidParameterValue"},
		{name: "an escaped surrogate pair and escaped quotes", action: "SendMessage", body: send(`\"\\\ud83d\ude00`),
			status: 200, check: func(t *testing.T, a map[string]any) {
				if want := md5Hex("\"\\😀"); a["MD5OfMessageBody"] != want {
					t.Errorf("MD5OfMessageBody %v, want %s", a["MD5OfMessageBody"], want)
				}
			}},
		{name: "an action goaws does not have", action: "StartMessageMoveTask", body: `{"SourceArn":"arn:aws:sqs:us-east-1:000000000000:wire-test"}`,
			status: 400, queryError: "AWS.SimpleQueueService.UnsupportedOperation;Sender", typ: "com.amazonaws.sqs#UnsupportedOperation"},
		{name: "a body that is not the input", action: "ReceiveMessage", body: `{"QueueUrl":"` + url + `","MaxNumberOfMessages":"ten"}`,
			status: 400, queryError: "SerializationException;Sender", typ: "com.amazon.coral.service#SerializationException"},
		{name: "a missing required member", action: "SendMessage", body: `{"QueueUrl":"` + url + `"}`,
			status: 400, queryError: "MissingParameter;Sender", typ: "com.amazonaws.sqs#MissingParameter"},
		{name: "an empty answer", action: "PurgeQueue", body: `{"QueueUrl":"` + url + `"}`,
			status: 200, check: func(t *testing.T, a map[string]any) {
				if len(a) != 0 {
					t.Errorf("answer %v, want {}", a)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, goaws.Endpoint+"/", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/x-amz-json-1.0")
			req.Header.Set("X-Amz-Target", "AmazonSQS."+tt.action)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			var answer map[string]any
			if err := json.Unmarshal(raw, &answer); err != nil {
				t.Fatalf("the answer is not JSON: %v\n%s", err, raw)
			}
			if resp.StatusCode != tt.status || resp.Header.Get("Content-Type") != "application/x-amz-json-1.0" {
				t.Errorf("%d %s, want %d application/x-amz-json-1.0: %s", resp.StatusCode, resp.Header.Get("Content-Type"), tt.status, raw)
			}
			if got := resp.Header.Get("X-Amzn-Query-Error"); got != tt.queryError {
				t.Errorf("x-amzn-query-error %q, want %q", got, tt.queryError)
			}
			if tt.typ != "" && (answer["__type"] != tt.typ || answer["message"] == "") {
				t.Errorf("answer %s, want __type %s and a message", raw, tt.typ)
			}
			if tt.check != nil {
				tt.check(t, answer)
			}
		})
	}
	// A request without X-Amz-Target is the query protocol's.
	resp, err := http.Post(goaws.Endpoint+"/", "application/x-www-form-urlencoded", strings.NewReader("Action=GetQueueUrl&QueueName=wire-test"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if raw, _ := io.ReadAll(resp.Body); resp.StatusCode != 200 || !bytes.Contains(raw, []byte("<QueueUrl>"+url+"</QueueUrl>")) {
		t.Errorf("query GetQueueUrl: %d %s", resp.StatusCode, raw)
	}
}

// Every SQS action that the operator commands (ops/, cmd/orderpipe) and the
// local run (local/) use, in both protocols.
func TestOperatorActionsInBothProtocols(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			ctx := context.Background()
			c := p.client(goaws.Endpoint)
			var s struct {
				dlqURL, dlqArn, queueURL, receipt string
				received                          sqstypes.Message
			}
			body := "tab\t nl\n cr\r é € 😀 <&>\"' \uFFFD"
			attrs := map[string]sqstypes.MessageAttributeValue{
				"reason":            {DataType: aws.String("String"), StringValue: aws.String("total: must be > 0")},
				"originalMessageId": {DataType: aws.String("String"), StringValue: aws.String("m-1")},
			}
			steps := []struct {
				action string
				run    func(t *testing.T) error
			}{
				{"CreateQueue", func(t *testing.T) error {
					out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("ops-dlq-" + p.name),
						Attributes: map[string]string{"MessageRetentionPeriod": "1209600"}})
					if err == nil {
						s.dlqURL = aws.ToString(out.QueueUrl)
					}
					return err
				}},
				{"GetQueueAttributes", func(t *testing.T) error {
					out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &s.dlqURL,
						AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
					if err == nil {
						s.dlqArn = out.Attributes["QueueArn"]
						if want := "arn:aws:sqs:us-east-1:000000000000:ops-dlq-" + p.name; s.dlqArn != want {
							t.Errorf("QueueArn %q, want %q", s.dlqArn, want)
						}
					}
					return err
				}},
				{"CreateQueue with a redrive policy", func(t *testing.T) error {
					out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("ops-queue-" + p.name),
						Attributes: map[string]string{"VisibilityTimeout": "6",
							"RedrivePolicy": `{"deadLetterTargetArn":"` + s.dlqArn + `","maxReceiveCount":"3"}`}})
					if err == nil {
						s.queueURL = aws.ToString(out.QueueUrl)
					}
					return err
				}},
				{"GetQueueUrl", func(t *testing.T) error {
					out, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("ops-queue-" + p.name)})
					if err == nil && aws.ToString(out.QueueUrl) != s.queueURL {
						t.Errorf("QueueUrl %q, want %q", aws.ToString(out.QueueUrl), s.queueURL)
					}
					return err
				}},
				{"GetQueueUrl of a queue that does not exist", func(t *testing.T) error {
					_, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("no-such-queue")})
					var missing *sqstypes.QueueDoesNotExist
					if !errors.As(err, &missing) {
						t.Errorf("%v, want QueueDoesNotExist", err)
					}
					return nil
				}},
				{"SendMessage with message attributes", func(t *testing.T) error {
					out, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &s.dlqURL, MessageBody: &body, MessageAttributes: attrs})
					if err == nil && aws.ToString(out.MD5OfMessageAttributes) != attributesMD5(attrs) {
						t.Errorf("MD5OfMessageAttributes %s, want %s", aws.ToString(out.MD5OfMessageAttributes), attributesMD5(attrs))
					}
					return err
				}},
				{"GetQueueAttributes: depth", func(t *testing.T) error {
					out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &s.dlqURL,
						AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
					if err == nil && out.Attributes["ApproximateNumberOfMessages"] != "1" {
						t.Errorf("ApproximateNumberOfMessages %q, want 1", out.Attributes["ApproximateNumberOfMessages"])
					}
					return err
				}},
				{"ReceiveMessage", func(t *testing.T) error {
					out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &s.dlqURL, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
						MessageAttributeNames:       []string{"All"},
						MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount}})
					if err != nil {
						return err
					}
					if len(out.Messages) != 1 {
						t.Fatalf("received %d messages, want 1", len(out.Messages))
					}
					m := out.Messages[0]
					s.received, s.receipt = m, aws.ToString(m.ReceiptHandle)
					if aws.ToString(m.Body) != body || aws.ToString(m.MD5OfBody) != md5Hex(body) {
						t.Errorf("body %q (MD5 %s), want %q (%s)", aws.ToString(m.Body), aws.ToString(m.MD5OfBody), body, md5Hex(body))
					}
					if !sameAttributes(m.MessageAttributes, attrs) || aws.ToString(m.MD5OfMessageAttributes) != attributesMD5(attrs) {
						t.Errorf("attributes %v (MD5 %s), want %v (%s)", m.MessageAttributes, aws.ToString(m.MD5OfMessageAttributes), attrs, attributesMD5(attrs))
					}
					if m.Attributes["ApproximateReceiveCount"] == "" {
						t.Errorf("no ApproximateReceiveCount in %v", m.Attributes)
					}
					return nil
				}},
				{"ChangeMessageVisibility", func(t *testing.T) error {
					_, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &s.dlqURL, ReceiptHandle: &s.receipt, VisibilityTimeout: 0})
					return err
				}},
				{"ReceiveMessage again, then DeleteMessage", func(t *testing.T) error {
					out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &s.dlqURL, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
					if err != nil {
						return err
					}
					if len(out.Messages) != 1 || aws.ToString(out.Messages[0].MessageId) != aws.ToString(s.received.MessageId) {
						t.Fatalf("after its visibility was reset: %d messages", len(out.Messages))
					}
					_, err = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &s.dlqURL, ReceiptHandle: out.Messages[0].ReceiptHandle})
					return err
				}},
				{"SendMessageBatch, ReceiveMessage and DeleteMessageBatch", func(t *testing.T) error {
					var entries []sqstypes.SendMessageBatchRequestEntry
					for _, id := range []string{"a", "b", "c"} {
						entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(id), MessageBody: aws.String("order " + id)})
					}
					sent, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &s.queueURL, Entries: entries})
					if err != nil {
						return err
					}
					if len(sent.Successful) != 3 || len(sent.Failed) != 0 {
						t.Fatalf("sent %d, failed %d", len(sent.Successful), len(sent.Failed))
					}
					var del []sqstypes.DeleteMessageBatchRequestEntry
					for len(del) < 3 {
						out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &s.queueURL, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
						if err != nil {
							return err
						}
						if len(out.Messages) == 0 {
							t.Fatalf("received %d of 3", len(del))
						}
						for _, m := range out.Messages {
							del = append(del, sqstypes.DeleteMessageBatchRequestEntry{Id: m.MessageId, ReceiptHandle: m.ReceiptHandle})
						}
					}
					out, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &s.queueURL, Entries: del})
					if err == nil && (len(out.Successful) != 3 || len(out.Failed) != 0) {
						t.Errorf("deleted %d, failed %d", len(out.Successful), len(out.Failed))
					}
					return err
				}},
				{"StartMessageMoveTask and ListMessageMoveTasks fail, so redrive falls back", func(t *testing.T) error {
					_, startErr := c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: &s.dlqArn})
					_, listErr := c.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: &s.dlqArn})
					for _, err := range []error{startErr, listErr} {
						var unsupported *sqstypes.UnsupportedOperation
						if err == nil || p.name == "json" && !errors.As(err, &unsupported) {
							t.Errorf("%v, want UnsupportedOperation", err)
						}
					}
					return nil
				}},
			}
			for _, step := range steps {
				start := time.Now()
				if err := step.run(t); err != nil {
					t.Fatalf("%s: %v", step.action, err)
				}
				if t.Failed() {
					t.Fatalf("%s failed (%v)", step.action, time.Since(start))
				}
			}
		})
	}
}

// MD5OfMessageAttributes matches the SQS Developer Guide's algorithm
// ("Calculating the MD5 message digest for message attributes") for each
// transport type, sent and received, in both protocols. The string and
// binary vectors are those the npm package aws-md5-of-message-attributes
// publishes.
func TestMessageAttributeDigests(t *testing.T) {
	tests := []struct {
		name  string
		attrs map[string]sqstypes.MessageAttributeValue
		want  string // "" to compare with attributesMD5 only
	}{
		{"String", map[string]sqstypes.MessageAttributeValue{"attribName1": {DataType: aws.String("String"), StringValue: aws.String("attribValue 1")}}, "19e27d4e946b072f3f58da80d94fd778"},
		{"Binary", map[string]sqstypes.MessageAttributeValue{"binaryAttribute": {DataType: aws.String("Binary"), BinaryValue: []byte("Hello binary world!")}}, "31a92b15d92f8db860eda32aceb656c3"},
		{"Number", map[string]sqstypes.MessageAttributeValue{"n": {DataType: aws.String("Number"), StringValue: aws.String("-12.5e3")}}, ""},
		{"several, in name order", map[string]sqstypes.MessageAttributeValue{
			"b": {DataType: aws.String("String"), StringValue: aws.String("é😀")},
			"a": {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 0xff}},
			"c": {DataType: aws.String("Number"), StringValue: aws.String("1")},
		}, ""},
	}
	for _, p := range protocols {
		c := p.client(goaws.Endpoint)
		ctx := context.Background()
		q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("digest-" + p.name)})
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range tests {
			t.Run(p.name+"/"+tt.name, func(t *testing.T) {
				want := attributesMD5(tt.attrs)
				if tt.want != "" && want != tt.want {
					t.Fatalf("the test's digest %s, want the published %s", want, tt.want)
				}
				sent, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("x"), MessageAttributes: tt.attrs})
				if err != nil {
					t.Fatal(err)
				}
				if got := aws.ToString(sent.MD5OfMessageAttributes); got != want {
					t.Errorf("sent: MD5OfMessageAttributes %s, want %s", got, want)
				}
				out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 1, MessageAttributeNames: []string{"All"}})
				if err != nil || len(out.Messages) != 1 {
					t.Fatalf("receive: %v %v", out, err)
				}
				m := out.Messages[0]
				if got := aws.ToString(m.MD5OfMessageAttributes); got != want || attributesMD5(m.MessageAttributes) != want {
					t.Errorf("received: MD5OfMessageAttributes %s, of the attributes %s, want %s", got, attributesMD5(m.MessageAttributes), want)
				}
				if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: m.ReceiptHandle}); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// attributesMD5 is the SQS Developer Guide's digest of message attributes:
// for each attribute in name order, its name, data type, transport type
// (1 string, 2 binary) and value, each but the transport type prefixed
// with its length in 4 big-endian bytes.
func attributesMD5(attrs map[string]sqstypes.MessageAttributeValue) string {
	h := md5.New()
	put := func(b []byte) {
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(b))))
		h.Write(b)
	}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		a := attrs[n]
		put([]byte(n))
		put([]byte(aws.ToString(a.DataType)))
		if a.StringValue != nil {
			h.Write([]byte{1})
			put([]byte(*a.StringValue))
		} else {
			h.Write([]byte{2})
			put(a.BinaryValue)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func sameAttributes(a, b map[string]sqstypes.MessageAttributeValue) bool {
	if len(a) != len(b) {
		return false
	}
	for n, v := range a {
		w, ok := b[n]
		if !ok || aws.ToString(v.DataType) != aws.ToString(w.DataType) || aws.ToString(v.StringValue) != aws.ToString(w.StringValue) || !bytes.Equal(v.BinaryValue, w.BinaryValue) {
			return false
		}
	}
	return true
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}
