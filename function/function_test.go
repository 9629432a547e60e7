package function

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

const validOrder = `{"orderId":"o-1","customerId":"c-1","items":[{"sku":"A","quantity":1,"unitPrice":"9.99"}]}`

func snsWrap(msg string) string {
	b, _ := json.Marshal(map[string]string{"Type": "Notification", "TopicArn": "arn:aws:sns:eu-west-1:123456789012:t", "Message": msg})
	return string(b)
}

func TestParseOrder(t *testing.T) {
	for name, body := range map[string]string{"raw": validOrder, "sns": snsWrap(validOrder)} {
		o, payload, err := ParseOrder(body)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if o.OrderID != "o-1" || o.CustomerID != "c-1" || string(payload) != validOrder {
			t.Errorf("%s: got %+v, payload %s", name, o, payload)
		}
	}
}

func TestParseOrderRejects(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"not JSON", `{`, "body: must be a JSON object"},
		{"two objects", validOrder + validOrder, "body: must hold exactly one JSON object"},
		{"orderId a number", `{"orderId":1,"customerId":"c","items":[{}]}`, "orderId: must be a JSON string"},
		{"orderId missing", `{"customerId":"c","items":[{}]}`, "orderId: must be 1-64 characters"},
		{"orderId too long", `{"orderId":"` + strings.Repeat("a", 65) + `","customerId":"c","items":[{}]}`, "orderId: must be 1-64 characters"},
		{"orderId bad character", `{"orderId":"a b","customerId":"c","items":[{}]}`, "orderId: must be 1-64 characters"},
		{"customer missing", `{"orderId":"o","items":[{}]}`, "customerId: is required"},
		{"no items", `{"orderId":"o","customerId":"c","items":[]}`, "items: must be a list of at least one item"},
		{"items not a list", `{"orderId":"o","customerId":"c","items":{}}`, "items: must be a list of at least one item"},
		{"every problem", `{}`, "orderId: must be 1-64 characters of A-Z, a-z, 0-9, _ and -; customerId: is required; items: must be a list of at least one item"},
		{"SNS without Message", `{"Type":"Notification","TopicArn":"t"}`, "Message: an SNS notification must carry the order in Message"},
		{"SNS with a bad order", snsWrap(`{"orderId":"o"}`), "customerId: is required"},
	}
	for _, tt := range tests {
		_, _, err := ParseOrder(tt.body)
		var ve ValidationError
		if !errors.As(err, &ve) || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{EnvTable: "t", EnvDLQURL: "https://q", EnvLogLevel: "debug"}
	c, err := ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil || c.Table != "t" || c.DLQURL != "https://q" || c.LogLevel != slog.LevelDebug {
		t.Errorf("got %+v, %v", c, err)
	}
	_, err = ConfigFromEnv(func(k string) string { return map[string]string{EnvLogLevel: "loud"}[k] })
	for _, want := range []string{EnvTable, EnvDLQURL, EnvLogLevel + `="loud"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}

// fakeTable is an in-memory DynamoDB table with conditional puts.
type fakeTable struct {
	mu    sync.Mutex
	items map[string]map[string]types.AttributeValue
	fail  error
}

func (f *fakeTable) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	if *in.ConditionExpression != "attribute_not_exists(orderId)" {
		return nil, errors.New("unexpected condition " + *in.ConditionExpression)
	}
	id := in.Item["orderId"].(*types.AttributeValueMemberS).Value
	if _, ok := f.items[id]; ok {
		return nil, &types.ConditionalCheckFailedException{}
	}
	f.items[id] = in.Item
	return &dynamodb.PutItemOutput{}, nil
}

func (f *fakeTable) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &dynamodb.GetItemOutput{Item: f.items[in.Key["orderId"].(*types.AttributeValueMemberS).Value]}, nil
}

func TestHandleBatch(t *testing.T) {
	table := &fakeTable{items: map[string]map[string]types.AttributeValue{}}
	h := Handler{
		Store: DynamoStore{Client: table, Table: "orders", Now: func() time.Time { return time.Unix(0, 0) }},
		Log:   slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}
	conflicting := strings.Replace(validOrder, "9.99", "1.00", 1)
	ev := events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "m1", Body: validOrder},
		{MessageId: "m2", Body: snsWrap(validOrder)}, // a duplicate in the other form
		{MessageId: "m3", Body: conflicting},
		{MessageId: "m4", Body: `not json`},
		{MessageId: "m5", Body: strings.Replace(validOrder, "o-1", "o-2", 1)},
	}}
	resp, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	if got := strings.Join(failed, ","); got != "m3,m4" {
		t.Errorf("batch item failures %s, want m3 (conflict) and m4 (malformed)", got)
	}
	if len(table.items) != 2 {
		t.Errorf("%d orders stored, want 2", len(table.items))
	}
	stored := table.items["o-1"]
	if got := stored["payload"].(*types.AttributeValueMemberS).Value; got != validOrder {
		t.Errorf("o-1 payload %s: the conflicting order overwrote it", got)
	}
	if got := stored["messageId"].(*types.AttributeValueMemberS).Value; got != "m1" {
		t.Errorf("o-1 message id %s, want m1: the duplicate rewrote it", got)
	}

	table.fail = errors.New("throttled")
	resp, _ = h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m6", Body: strings.Replace(validOrder, "o-1", "o-3", 1)}}})
	if len(resp.BatchItemFailures) != 1 {
		t.Errorf("a store failure was acknowledged: %+v", resp)
	}
}
