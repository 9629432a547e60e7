package function

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// A hostile producer's bodies: JSON that other decoders read in more than
// one way, or read into something other than what was sent. Each is either
// refused, naming the field and the rule, or stored as its canonical form.
func TestHostileBodies(t *testing.T) {
	const items = `"items":[{"sku":"A","quantity":2,"unitPrice":"10.00"}]`
	const rest = `"customerId":"c-1",` + items + `,"currency":"EUR","total":"20.00"`
	const stored = `{"orderId":"o-1","customerId":"c-1","items":[{"sku":"A","quantity":2,"unitPrice":"10.00"}],"currency":"EUR","total":"20.00"}`
	ok := func(body string) string { return `{"orderId":"o-1",` + body + `}` }

	tests := []struct {
		name, body string
		field      string // the field the first reason names; "" when the order is stored
		rule       string // part of that reason
		canonical  string // what is stored, when it is
	}{
		// Duplicate names, at every depth: the last one must not win.
		{"duplicate total", ok(rest + `,"total":"99.00"`), "total", "appears more than once", ""},
		{"duplicate orderId", `{"orderId":"o-1","orderId":"o-2",` + rest + `}`, "orderId", "appears more than once", ""},
		{"duplicate currency", ok(rest + `,"currency":"USD"`), "currency", "appears more than once", ""},
		{"duplicate items", ok(rest + `,` + items), "items", "appears more than once", ""},
		{"duplicate quantity", ok(`"customerId":"c-1","items":[{"sku":"A","quantity":2,"quantity":1,"unitPrice":"10.00"}],"currency":"EUR","total":"20.00"`), "items[0].quantity", "appears more than once", ""},
		{"duplicate sku in the second item", ok(`"customerId":"c-1","items":[{"sku":"A","quantity":1,"unitPrice":"10.00"},{"sku":"B","sku":"C","quantity":1,"unitPrice":"10.00"}],"currency":"EUR","total":"20.00"`), "items[1].sku", "appears more than once", ""},
		{"duplicate written with an escape", `{"orderId":"o-1","\u006frderId":"o-2",` + rest + `}`, "orderId", "appears more than once", ""},
		{"duplicate inside an unknown field", ok(rest + `,"extra":{"a":1,"a":2}`), "extra.a", "appears more than once", ""},
		{"envelope with two Messages", `{"Type":"Notification","TopicArn":"arn:aws:sns:eu-west-1:1:t","Message":` + quote(stored) + `,"Message":` + quote(strings.Replace(stored, "o-1", "o-2", 1)) + `}`, "Message", "appears more than once", ""},
		{"envelope with two Types", `{"Type":"Notification","Type":"Other","TopicArn":"arn","Message":` + quote(stored) + `}`, "Type", "appears more than once", ""},
		{"duplicate inside the wrapped order", snsWrap(ok(rest + `,"total":"99.00"`)), "total", "appears more than once", ""},

		// Names match exactly.
		{"OrderId for orderId", `{"OrderId":"o-1",` + rest + `}`, "OrderId", "did you mean orderId?", ""},
		{"TOTAL beside total", ok(rest + `,"TOTAL":"99.00"`), "TOTAL", "did you mean total?", ""},
		{"SKU in an item", ok(`"customerId":"c-1","items":[{"SKU":"A","quantity":2,"unitPrice":"10.00"}],"currency":"EUR","total":"20.00"`), "items[0].SKU", "did you mean sku?", ""},
		{"unitprice in lower case", ok(`"customerId":"c-1","items":[{"sku":"A","quantity":2,"unitprice":"10.00"}],"currency":"EUR","total":"20.00"`), "items[0].unitprice", "did you mean unitPrice?", ""},
		{"name with a trailing space", ok(rest + `,"total ":"1"`), "total ", "is not a field of an order", ""},
		{"escaped name that is exactly orderId", `{"\u006frderId":"o-1",` + rest + `}`, "", "", stored},

		// Escapes and bytes that cannot be stored as sent.
		{"lone high surrogate", ok(`"customerId":"c-\ud800",` + items + `,"currency":"EUR","total":"20.00"`), "customerId", "UTF-8", ""},
		{"lone low surrogate", ok(`"customerId":"c-\udc00",` + items + `,"currency":"EUR","total":"20.00"`), "customerId", "UTF-8", ""},
		{"reversed surrogate pair", ok(`"customerId":"\udc00\ud800",` + items + `,"currency":"EUR","total":"20.00"`), "customerId", "UTF-8", ""},
		{"lone surrogate in a name", ok(rest + `,"\ud800":1`), "body", "UTF-8", ""},
		{"lone surrogate in the wrapped order", `{"Type":"Notification","TopicArn":"arn","Message":"{\"orderId\":\"\\ud800\"}"}`, "orderId", "UTF-8", ""},
		{"lone surrogate in the envelope", `{"Type":"Notification","TopicArn":"arn","Message":"\ud800"}`, "Message", "UTF-8", ""},
		{"invalid UTF-8 byte", ok(`"customerId":"c-` + "\xc3\x28" + `",` + items + `,"currency":"EUR","total":"20.00"`), "body", "valid UTF-8", ""},
		{"byte order mark", "\ufeff" + ok(rest), "body", "is not JSON", ""},
		{"valid pair is kept", ok(`"customerId":"c-\ud83d\ude00",` + items + `,"currency":"EUR","total":"20.00"`), "", "",
			`{"orderId":"o-1","customerId":"c-😀","items":[{"sku":"A","quantity":2,"unitPrice":"10.00"}],"currency":"EUR","total":"20.00"}`},
		{"escaped control character", ok(`"customerId":"c-\u0000",` + items + `,"currency":"EUR","total":"20.00"`), "customerId", "control characters", ""},

		// Null is not a value of any field.
		{"null quantity", ok(`"customerId":"c-1","items":[{"sku":"A","quantity":null,"unitPrice":"10.00"}],"currency":"EUR","total":"20.00"`), "items[0].quantity", "must be a whole number, not null", ""},
		{"null item", ok(`"customerId":"c-1","items":[null],"currency":"EUR","total":"20.00"`), "items[0]", "must be an object, not null", ""},
		{"null items", ok(`"customerId":"c-1","items":null,"currency":"EUR","total":"20.00"`), "items", "must be a list of items, not null", ""},
		{"null createdAt", ok(rest + `,"createdAt":null`), "createdAt", "must be a string, not null", ""},
		{"null orderId", `{"orderId":null,` + rest + `}`, "orderId", "must be a string, not null", ""},
		{"null total", ok(`"customerId":"c-1",` + items + `,"currency":"EUR","total":null`), "total", "must be a string, not null", ""},

		// Not JSON, said as such.
		{"plain text", `hello`, "body", "is not JSON", ""},
		{"true", `true`, "body", "must be a JSON object, not a boolean", ""},
		{"a number", `42`, "body", "must be a JSON object, not a number", ""},
		{"trailing comma", ok(rest + `,`), "body", "is not JSON", ""},
		{"single quotes", `{'orderId':'o-1'}`, "body", "is not JSON", ""},
		{"trailing garbage", ok(rest) + `x`, "body", "nothing after it", ""},
		{"cut short", ok(rest)[:40], "body", "ends before the value is complete", ""},
		{"whitespace only", " \n\t", "body", "is empty", ""},
		// JSON, but deeper than the decoder reads (RFC 8259 section 9 lets
		// a parser limit nesting): said as such, not "not JSON".
		{"nesting beyond the decoder's depth", ok(rest + `,"x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001)), "body", "more than 10000 deep", ""},
		{"nesting beyond the decoder's depth in an envelope", snsWrap(ok(rest + `,"x":` + strings.Repeat(`{"a":`, 10001) + "0" + strings.Repeat("}", 10001))), "Message", "more than 10000 deep", ""},

		// Numbers: whole, in range, as written.
		{"quantity 2.0", ok(`"customerId":"c-1","items":[{"sku":"A","quantity":2.0,"unitPrice":"10.00"}],"currency":"EUR","total":"20.00"`), "items[0].quantity", "must be a whole number, not 2.0", ""},
		{"quantity 2e0", ok(`"customerId":"c-1","items":[{"sku":"A","quantity":2e0,"unitPrice":"10.00"}],"currency":"EUR","total":"20.00"`), "items[0].quantity", "must be a whole number, not 2e0", ""},
		{"quantity beyond int64", ok(`"customerId":"c-1","items":[{"sku":"A","quantity":99999999999999999999,"unitPrice":"10.00"}],"currency":"EUR","total":"20.00"`), "items[0].quantity", "must be at most 1000000", ""},
		{"quantity -0", ok(`"customerId":"c-1","items":[{"sku":"A","quantity":-0,"unitPrice":"10.00"}],"currency":"EUR","total":"0.00"`), "items[0].quantity", "must be > 0", ""},
		{"quantity with a leading zero", ok(`"customerId":"c-1","items":[{"sku":"A","quantity":02,"unitPrice":"10.00"}],"currency":"EUR","total":"20.00"`), "body", "is not JSON", ""},

		// Money and times written another way are the same order.
		{"total with one decimal", ok(`"customerId":"c-1",` + items + `,"currency":"EUR","total":"20.0"`), "", "", stored},
		{"total without decimals", ok(`"customerId":"c-1",` + items + `,"currency":"EUR","total":"20"`), "", "", stored},
		{"price with one decimal", ok(`"customerId":"c-1","items":[{"sku":"A","quantity":2,"unitPrice":"10.0"}],"currency":"EUR","total":"20.00"`), "", "", stored},
		{"dinar written short", `{"orderId":"b","customerId":"c","items":[{"sku":"A","quantity":2,"unitPrice":"0.5"}],"currency":"BHD","total":"1"}`, "", "",
			`{"orderId":"b","customerId":"c","items":[{"sku":"A","quantity":2,"unitPrice":"0.500"}],"currency":"BHD","total":"1.000"}`},
		{"lower-case t and z", ok(rest + `,"createdAt":"2026-11-26t14:37:00z"`), "", "", strings.TrimSuffix(stored, "}") + `,"createdAt":"2026-11-26T14:37:00Z"}`},
		{"lower-case t with an offset", ok(rest + `,"createdAt":"2026-11-26t14:37:00.5+01:00"`), "", "", strings.TrimSuffix(stored, "}") + `,"createdAt":"2026-11-26T13:37:00.5Z"}`},
		{"milliseconds of zeros", ok(rest + `,"createdAt":"2026-11-26T14:37:00.000Z"`), "", "", strings.TrimSuffix(stored, "}") + `,"createdAt":"2026-11-26T14:37:00Z"}`},
		{"+00:00 for Z", ok(rest + `,"createdAt":"2026-11-26T14:37:00+00:00"`), "", "", strings.TrimSuffix(stored, "}") + `,"createdAt":"2026-11-26T14:37:00Z"}`},
		{"-00:00 for Z", ok(rest + `,"createdAt":"2026-11-26T14:37:00-00:00"`), "", "", strings.TrimSuffix(stored, "}") + `,"createdAt":"2026-11-26T14:37:00Z"}`},
		{"an offset across midnight", ok(rest + `,"createdAt":"2026-11-27T01:07:00+10:30"`), "", "", strings.TrimSuffix(stored, "}") + `,"createdAt":"2026-11-26T14:37:00Z"}`},
		{"a leap second in another offset", ok(rest + `,"createdAt":"1990-12-31T15:59:60-08:00"`), "", "", strings.TrimSuffix(stored, "}") + `,"createdAt":"1990-12-31T23:59:60Z"}`},
		{"a different amount stays different", ok(`"customerId":"c-1",` + items + `,"currency":"EUR","total":"20.01"`), "total", "must equal the sum", ""},

		// Envelopes and orders told apart.
		{"order with Type", ok(rest + `,"Type":"Notification"`), "Type", "is not a field of an order", ""},
		{"order with Type and Message", ok(rest + `,"Type":"Notification","Message":"x"`), "Type", "is not a field of an order", ""},
		{"envelope with a number Message", `{"Type":"Notification","TopicArn":"arn","Message":42}`, "Message", "must be a string that holds the order in an SNS envelope, not a number", ""},
		{"envelope of another Type", `{"Type":"SubscriptionConfirmation","TopicArn":"arn","Message":` + quote(stored) + `}`, "Type", `must be "Notification"`, ""},
		{"envelope with trailing data", `{"Type":"Notification","TopicArn":"arn","Message":` + quote(stored) + `} {}`, "body", "nothing after it", ""},
		{"envelope around a valid order", snsWrap(stored), "", "", stored},
		{"envelope whose names are written with escapes", `{"T\u0079pe":"Notification","Topic\u0041rn":"arn","\u004dessage":` + quote(stored) + `}`, "", "", stored},
		{"envelope with a null TopicArn", `{"Type":"Notification","TopicArn":null,"Message":` + quote(stored) + `}`, "TopicArn", "must be a string, the topic's ARN, in an SNS envelope, not null", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := ParseOrder(tt.body)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if got := string(o.identity()); got != tt.canonical {
					t.Fatalf("identity %s\n    want %s", got, tt.canonical)
				}
				if o.Payload() == tt.body || strings.Contains(tt.body, `"Notification"`) && strings.Contains(tt.body, quote(o.Payload())) {
					return // stored exactly as sent, or as the envelope's Message
				}
				t.Fatalf("payload %s is not the order as sent", o.Payload())
				return
			}
			var ve ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("accepted as %+v; want %s refused", o, tt.field)
			}
			if ve.Problems[0].Field != tt.field || !strings.Contains(ve.Problems[0].Rule, tt.rule) {
				t.Fatalf("reason %q; want field %s with %q", err, tt.field, tt.rule)
			}
		})
	}
}

// An order sent again in another form is the same order: acknowledged as a
// duplicate, never retried as a conflict; another amount is a conflict.
func TestReformattedOrderIsADuplicate(t *testing.T) {
	store := newMemStore()
	h := &Handler{Store: store, DeadLetters: &memDLQ{}, Log: discardLog()}
	first := `{"orderId":"o-9","customerId":"c","items":[{"sku":"A","quantity":2,"unitPrice":"10"}],"currency":"EUR","total":"20.0","createdAt":"2026-11-26t14:37:00z"}`
	bodies := map[string]Outcome{
		"m1": Stored,
		"m2": Duplicate, // the same order, written as the store keeps it
		"m3": Duplicate, // wrapped in an envelope, with other spacing
		"m4": Conflict,  // another amount
	}
	recs := map[string]string{
		"m1": first,
		"m2": `{"orderId":"o-9","customerId":"c","items":[{"sku":"A","quantity":2,"unitPrice":"10.00"}],"currency":"EUR","total":"20.00","createdAt":"2026-11-26T14:37:00Z"}`,
		"m3": snsWrap(strings.ReplaceAll(first, ",", ", ")),
		"m4": strings.Replace(strings.Replace(first, `"10"`, `"10.5"`, 1), `"20.0"`, `"21"`, 1),
	}
	for _, id := range []string{"m1", "m2", "m3", "m4"} {
		resp, err := h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: id, Body: recs[id]}}})
		if err != nil {
			t.Fatal(err)
		}
		failed := len(resp.BatchItemFailures) > 0
		if want := bodies[id]; failed != (want == Conflict) {
			t.Errorf("%s: failures %v, want outcome %s", id, resp.BatchItemFailures, want)
		}
	}
	if n := store.puts["o-9"]; n != 1 {
		t.Errorf("o-9 written %d times, want once", n)
	}
}

func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}
