package function

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/orderpipe/orderpipe/internal/awslocal"
	"github.com/orderpipe/orderpipe/internal/awslocal/awslocaltest"
	"github.com/orderpipe/orderpipe/internal/filetable"
)

// dynamoServers are the DynamoDB stand-ins the integration tests run
// against: minidyn in this process, dynalite, the more faithful one,
// under node, and orderpipe's file table, which the local run uses.
func dynamoServers(t testing.TB) map[string]string {
	t.Helper()
	mini, err := awslocal.StartDynamoDB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mini.Close() })
	servers := map[string]string{"minidyn": mini.Endpoint}

	servers["dynalite"] = awslocaltest.Dynalite(t)

	ft, err := filetable.Start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ft.Close() })
	servers["filetable"] = ft.Endpoint
	return servers
}

var (
	goawsOnce sync.Once
	goaws     *awslocal.SQS
	goawsErr  error
)

// sqsServer is goaws, shared by the tests of this process: its state is
// global, so every test uses queues of its own.
func sqsServer(t testing.TB) *awslocal.SQS {
	t.Helper()
	goawsOnce.Do(func() { goaws, goawsErr = awslocal.StartSQS(200 * time.Millisecond) })
	if goawsErr != nil {
		t.Fatal(goawsErr)
	}
	return goaws
}

func createTable(t testing.TB, db *dynamodb.Client, name string) {
	t.Helper()
	_, err := db.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: []dbtypes.AttributeDefinition{{AttributeName: aws.String("orderId"), AttributeType: dbtypes.ScalarAttributeTypeS}},
		KeySchema:            []dbtypes.KeySchemaElement{{AttributeName: aws.String("orderId"), KeyType: dbtypes.KeyTypeHash}},
		BillingMode:          dbtypes.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatalf("create table %s: %v", name, err)
	}
}

func createQueue(t testing.TB, q *sqs.Client, name string) string {
	t.Helper()
	out, err := q.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatalf("create queue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

// failingProxy forwards to a DynamoDB server, except that it answers a
// PutItem for an order id in fail with DynamoDB's throttling error, as
// AWS does under load.
func failingProxy(t testing.TB, endpoint string, fail ...string) string {
	t.Helper()
	target, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".PutItem") {
			for _, id := range fail {
				if bytes.Contains(body, []byte(`{"S":"`+id+`"}`)) {
					w.Header().Set("Content-Type", "application/x-amz-json-1.0")
					w.WriteHeader(http.StatusBadRequest)
					fmt.Fprint(w, `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"injected throttling"}`)
					return
				}
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func dynamoClient(endpoint string) *dynamodb.Client {
	return dynamodb.NewFromConfig(awslocal.Config(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.DisableValidateResponseChecksum = true
		o.RetryMaxAttempts = 2
	})
}

func getOrder(t testing.TB, db *dynamodb.Client, table, id string) map[string]dbtypes.AttributeValue {
	t.Helper()
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]dbtypes.AttributeValue{"orderId": &dbtypes.AttributeValueMemberS{Value: id}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

func TestDynamoStore(t *testing.T) {
	for server, endpoint := range dynamoServers(t) {
		t.Run(server, func(t *testing.T) {
			db := dynamoClient(endpoint)
			createTable(t, db, "orders-store")
			store := DynamoStore{Client: db, Table: "orders-store"}
			ctx := context.Background()
			o, err := ParseOrder(validOrder)
			if err != nil {
				t.Fatal(err)
			}
			at := time.Date(2026, 11, 26, 14, 37, 0, 0, time.UTC)

			if got, err := store.Put(ctx, o, "m1", at); got != Stored || err != nil {
				t.Fatalf("first write: %v, %v", got, err)
			}
			item := getOrder(t, db, "orders-store", "o-1")
			for name, want := range map[string]string{"customerId": "c-1", "currency": "EUR", "total": "20.00", "messageId": "m1",
				"receivedAt": "2026-11-26T14:37:00Z", "status": "RECEIVED", "createdAt": "2026-11-26T14:37:00Z", "payload": string(o.canonical())} {
				if got := stringAttr(item, name); got != want {
					t.Errorf("stored %s = %q, want %q", name, got, want)
				}
			}
			if items, ok := item["items"].(*dbtypes.AttributeValueMemberL); !ok || len(items.Value) != 2 {
				t.Errorf("stored items %#v, want two", item["items"])
			}

			if got, err := store.Put(ctx, o, "m2", at.Add(time.Minute)); got != Duplicate || err != nil {
				t.Fatalf("duplicate delivery: %v, %v", got, err)
			}
			if got := stringAttr(getOrder(t, db, "orders-store", "o-1"), "messageId"); got != "m1" {
				t.Errorf("a duplicate rewrote the order: message id %s", got)
			}

			other := o
			other.CustomerID = "c-2"
			got, err := store.Put(ctx, other, "m3", at)
			var conflict *ConflictError
			if got != Conflict || !errors.As(err, &conflict) || conflict.StoredMessageID != "m1" {
				t.Fatalf("conflicting payload: %v, %v", got, err)
			}
			if got := stringAttr(getOrder(t, db, "orders-store", "o-1"), "customerId"); got != "c-1" {
				t.Errorf("a conflict overwrote the order: customer %s", got)
			}
		})
	}
}

// A batch mixing every kind of record against real servers: DynamoDB
// stand-ins for the table, goaws for the dead-letter queue.
func TestHandleBatchIntegration(t *testing.T) {
	q := awslocal.SQSClient(sqsServer(t).Endpoint)
	for server, endpoint := range dynamoServers(t) {
		t.Run(server, func(t *testing.T) {
			ctx := context.Background()
			table := "orders-batch"
			createTable(t, dynamoClient(endpoint), table)
			db := dynamoClient(failingProxy(t, endpoint, "o-throttled"))
			dlqURL := createQueue(t, q, "batch-dlq-"+server)
			h := &Handler{
				Store:       DynamoStore{Client: db, Table: table},
				DeadLetters: SQSDeadLetters{Client: q, QueueURL: dlqURL},
				Log:         discardLog(),
			}
			if _, err := h.Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m0", Body: validOrder}}}); err != nil {
				t.Fatal(err)
			}
			resp, err := h.Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{
				{MessageId: "m1", Body: withID("o-2")},
				{MessageId: "m2", Body: snsWrap(validOrder)},         // duplicate
				{MessageId: "m3", Body: order(`customerId="other"`)}, // conflict
				{MessageId: "m4", Body: `{"orderId":`},               // poison
				{MessageId: "m5", Body: withID("o-throttled")},       // transient failure
				{MessageId: "m6", Body: snsWrap(withID("o-3"))},
			}})
			if err != nil {
				t.Fatal(err)
			}
			if got := failures(resp); got != "m3,m5" {
				t.Errorf("batch item failures %s, want m3 (conflict) and m5 (throttled)", got)
			}
			for _, id := range []string{"o-1", "o-2", "o-3"} {
				if getOrder(t, db, table, id) == nil {
					t.Errorf("order %s not stored", id)
				}
			}
			if getOrder(t, db, table, "o-throttled") != nil {
				t.Error("the throttled order was stored")
			}

			out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlqURL), MaxNumberOfMessages: 10,
				MessageAttributeNames: []string{"All"}, WaitTimeSeconds: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Messages) != 1 {
				t.Fatalf("%d messages in the DLQ, want the poison one", len(out.Messages))
			}
			m := out.Messages[0]
			attr := func(name string) string { return aws.ToString(m.MessageAttributes[name].StringValue) }
			if aws.ToString(m.Body) != `{"orderId":` || attr(AttrOriginalMessageID) != "m4" ||
				attr(AttrReason) != "body: is not JSON: it ends before the value is complete" || attr(AttrRejectedAt) == "" {
				t.Errorf("DLQ message %q with %v", aws.ToString(m.Body), m.MessageAttributes)
			}
		})
	}
}

// A poison message whose send to the DLQ fails is not acknowledged.
func TestRejectFailureIntegration(t *testing.T) {
	q := awslocal.SQSClient(sqsServer(t).Endpoint)
	d := SQSDeadLetters{Client: q, QueueURL: sqsServer(t).Endpoint + "/" + awslocal.AccountID + "/no-such-queue"}
	h := &Handler{Store: newMemStore(), DeadLetters: d, Log: discardLog()}
	resp, err := h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: "{"}}})
	if err != nil || failures(resp) != "m1" {
		t.Errorf("got %v, %v; want m1 reported for a retry", resp, err)
	}
}

func TestSQSText(t *testing.T) {
	if got := sqsText("a\x00b\uFFFEc", 100); got != "a\uFFFDb\uFFFDc" {
		t.Errorf("sqsText kept a character SQS refuses: %q", got)
	}
	long := strings.Repeat("é", 3000)
	got := sqsText(long, maxReasonBytes)
	if len(got) > maxReasonBytes || !strings.HasSuffix(got, "…") || !utf8Valid(got) {
		t.Errorf("cut to %d bytes, valid %v", len(got), utf8Valid(got))
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "!") == s }

// Storing a batch of ten costs about one round trip, because the records are
// stored concurrently. Compare with BenchmarkStoreOne. On loopback the
// stand-ins' own CPU time dominates and shares this machine's two cores; the
// "+5ms" server adds the round trip a real network has, which is what the
// concurrency overlaps.
func BenchmarkStoreBatch10(b *testing.B) { benchmarkStore(b, 10) }

func BenchmarkStoreOne(b *testing.B) { benchmarkStore(b, 1) }

// delayProxy forwards to endpoint after a fixed delay per request.
func delayProxy(b testing.TB, endpoint string, delay time.Duration) string {
	target, err := url.Parse(endpoint)
	if err != nil {
		b.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(delay)
		proxy.ServeHTTP(w, r)
	}))
	b.Cleanup(srv.Close)
	return srv.URL
}

func benchmarkStore(b *testing.B, size int) {
	servers := dynamoServers(b)
	servers["minidyn+5ms"] = delayProxy(b, servers["minidyn"], 5*time.Millisecond)
	for server, endpoint := range servers {
		b.Run(server, func(b *testing.B) {
			db := dynamoClient(endpoint)
			table := fmt.Sprintf("bench-%d-%s", size, strings.NewReplacer("+", "-").Replace(server))
			createTable(b, db, table)
			h := &Handler{Store: DynamoStore{Client: db, Table: table}, DeadLetters: &memDLQ{}, Log: discardLog()}
			ctx := context.Background()
			n := 0
			b.ReportAllocs()
			for b.Loop() {
				var ev events.SQSEvent
				for range size {
					n++
					ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprint("m", n), Body: withID(fmt.Sprint("bench-", n))})
				}
				resp, err := h.Handle(ctx, ev)
				if err != nil || len(resp.BatchItemFailures) > 0 {
					b.Fatal(resp, err)
				}
			}
		})
	}
}
