package function

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
)

const validOrder = `{"orderId":"o-1","customerId":"c-1","items":[{"sku":"A","quantity":2,"unitPrice":"9.99"},{"sku":"B","quantity":1,"unitPrice":"0.02"}],"currency":"EUR","total":"20.00","createdAt":"2026-11-26T14:37:00Z"}`

// snsWrap is the SNS notification that delivers msg without raw delivery.
func snsWrap(msg string) string {
	b, err := json.Marshal(map[string]string{
		"Type": "Notification", "MessageId": "5c1a0e6e-0000-4000-8000-000000000000",
		"TopicArn": "arn:aws:sns:eu-west-1:123456789012:orderpipe-dev-OrderTopic",
		"Message":  msg, "Timestamp": "2026-11-26T14:37:00.000Z", "SignatureVersion": "1",
	})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// order returns validOrder with the JSON edits applied: key=value replaces
// or adds a top-level field, key= removes it.
func order(edits ...string) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(validOrder), &m); err != nil {
		panic(err)
	}
	for _, e := range edits {
		k, v, _ := strings.Cut(e, "=")
		if v == "" {
			delete(m, k)
		} else {
			m[k] = json.RawMessage(v)
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestParseOrderAccepts(t *testing.T) {
	tests := []struct {
		name, body string
		want       Order
	}{
		{"raw", validOrder, Order{OrderID: "o-1", CustomerID: "c-1", Currency: "EUR", Total: "20.00", CreatedAt: "2026-11-26T14:37:00Z",
			Items: []Item{{"A", 2, "9.99"}, {"B", 1, "0.02"}}}},
		{"SNS envelope", snsWrap(validOrder), Order{OrderID: "o-1", CustomerID: "c-1", Currency: "EUR", Total: "20.00", CreatedAt: "2026-11-26T14:37:00Z",
			Items: []Item{{"A", 2, "9.99"}, {"B", 1, "0.02"}}}},
		{"yen has no decimals", `{"orderId":"j","customerId":"c","items":[{"sku":"A","quantity":3,"unitPrice":"100"}],"currency":"JPY","total":"300"}`,
			Order{OrderID: "j", CustomerID: "c", Currency: "JPY", Total: "300", Items: []Item{{"A", 3, "100"}}}},
		{"dinar has three", `{"orderId":"b","customerId":"c","items":[{"sku":"A","quantity":3,"unitPrice":"0.125"}],"currency":"BHD","total":"0.375"}`,
			Order{OrderID: "b", CustomerID: "c", Currency: "BHD", Total: "0.375", Items: []Item{{"A", 3, "0.125"}}}},
		{"total with fewer decimals", order(`total="20"`), Order{OrderID: "o-1", CustomerID: "c-1", Currency: "EUR", Total: "20", CreatedAt: "2026-11-26T14:37:00Z",
			Items: []Item{{"A", 2, "9.99"}, {"B", 1, "0.02"}}}},
		{"free item", `{"orderId":"f","customerId":"c","items":[{"sku":"A","quantity":1,"unitPrice":"0"}],"currency":"EUR","total":"0.00"}`,
			Order{OrderID: "f", CustomerID: "c", Currency: "EUR", Total: "0.00", Items: []Item{{"A", 1, "0"}}}},
		{"body that mentions Type", order(`customerId="Type"`), Order{OrderID: "o-1", CustomerID: "Type", Currency: "EUR", Total: "20.00", CreatedAt: "2026-11-26T14:37:00Z",
			Items: []Item{{"A", 2, "9.99"}, {"B", 1, "0.02"}}}},
	}
	for _, tt := range tests {
		got, err := ParseOrder(tt.body)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		// Kept exactly as sent: the fields, and the order JSON.
		if msg := tt.body; strings.Contains(msg, `"TopicArn"`) {
			msg = validOrder
			if got.Payload() != msg {
				t.Errorf("%s: payload %s, want the Message as sent", tt.name, got.Payload())
			}
		} else if got.Payload() != tt.body {
			t.Errorf("%s: payload %s, want the body as sent", tt.name, got.Payload())
		}
		got.raw = ""
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.name, got, tt.want)
		}
	}
}

func TestParseOrderRejects(t *testing.T) {
	item := func(fields string) string { return `items=[` + fields + `]` }
	tests := []struct {
		name, body string
		want       string // every field: rule, in order
	}{
		// Not an order at all.
		{"empty body", ``, "body: is empty; it must be a JSON object: the order"},
		{"bad JSON", `{"orderId":`, "body: is not JSON: it ends before the value is complete"},
		{"JSON array", `[1,2]`, "body: must be a JSON object, not a list"},
		{"JSON string", `"order"`, "body: must be a JSON object, not a string"},
		{"null", `null`, "body: must be a JSON object, not null"},
		{"two objects", validOrder + validOrder, "body: must hold exactly one JSON object and nothing after it"},
		{"invalid UTF-8", "{\"orderId\":\"o\xff\"}", "body: must be valid UTF-8"},
		{"huge body", `{"orderId":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, "body: must be at most 262144 bytes"},
		{"huge order", order(`customerId="` + strings.Repeat("a", MaxOrderBytes) + `"`), "body: the order must be at most 65536 bytes"},
		// Wrong types.
		{"orderId a number", order(`orderId=42`), "orderId: must be a string, not a number"},
		{"customerId an object", order(`customerId={}`), "customerId: must be a string, not an object"},
		{"items an object", order(`items={}`), "items: must be a list of items, not an object"},
		{"item a string", order(item(`"A"`)), "items[0]: must be an object, not a string"},
		{"quantity a string", order(item(`{"sku":"A","quantity":"2","unitPrice":"10.00"}`), `total="20.00"`), "items[0].quantity: must be a whole number, not a string"},
		{"quantity a fraction", order(item(`{"sku":"A","quantity":1.5,"unitPrice":"10.00"}`)), "items[0].quantity: must be a whole number, not 1.5"},
		{"price a number", order(item(`{"sku":"A","quantity":2,"unitPrice":10.0}`)), "items[0].unitPrice: must be a string, not a number"},
		{"total a number", order(`total=20`), "total: must be a string, not a number"},
		{"currency a boolean", order(`currency=true`), "currency: must be a string, not a boolean"},
		// Unknown fields.
		{"unknown field", order(`discount="5"`), "discount: is not a field of an order"},
		{"empty field name", `{"":1}`, `"": is not a field of an order; orderId: is required; customerId: is required; currency: is required; items: must hold at least one item; total: is required`},
		{"odd field name", order(`total=`, `to tal="20.00"`), `to tal: is not a field of an order; total: is required`},
		{"a name with a character that does not show", order(`total=`, "to\u200btal=\"20.00\""), "to\u200btal (\"to\\u200btal\"): is not a field of an order; total: is required"},
		{"unknown item field", order(item(`{"sku":"A","quantity":2,"unitPrice":"10.00","colour":"red"}`), `total="20.00"`), "items[0].colour: is not a field of an item"},
		// Missing fields.
		{"orderId missing", order(`orderId=`), "orderId: is required"},
		{"customerId missing", order(`customerId=`), "customerId: is required"},
		{"items missing", order(`items=`), "items: must hold at least one item"},
		{"currency missing", order(`currency=`), "currency: is required"},
		{"total missing", order(`total=`), "total: is required"},
		{"sku missing", order(item(`{"quantity":2,"unitPrice":"10.00"}`), `total="20.00"`), "items[0].sku: is required"},
		{"price missing", order(item(`{"sku":"A","quantity":2}`)), "items[0].unitPrice: is required"},
		{"everything missing", `{}`, "orderId: is required; customerId: is required; currency: is required; items: must hold at least one item; total: is required"},
		// Field rules.
		{"orderId too long", order(`orderId="` + strings.Repeat("a", 65) + `"`), "orderId: must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -"},
		{"orderId with a space", order(`orderId="o 1"`), "orderId: must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -"},
		{"customerId too long", order(`customerId="` + strings.Repeat("é", 129) + `"`), "customerId: must be at most 128 characters"},
		{"customerId with a control character", order(`customerId="c\u0007"`), "customerId: must not contain control characters"},
		{"no items", order(`items=[]`), "items: must hold at least one item"},
		{"too many items", order(`items=[`+strings.TrimSuffix(strings.Repeat(`{"sku":"A","quantity":1,"unitPrice":"0.20"},`, 101), ",")+`]`, `total="20.20"`), "items: must hold at most 100 items"},
		{"zero quantity", order(item(`{"sku":"A","quantity":0,"unitPrice":"10.00"}`), `total="0.00"`), "items[0].quantity: must be > 0"},
		{"negative quantity", order(item(`{"sku":"A","quantity":2,"unitPrice":"10.00"},{"sku":"B","quantity":-1,"unitPrice":"1.00"}`)), "items[1].quantity: must be > 0"},
		{"quantity too large", order(item(`{"sku":"A","quantity":1000001,"unitPrice":"0.00"}`), `total="0.00"`), "items[0].quantity: must be at most 1000000"},
		{"negative price", order(item(`{"sku":"A","quantity":2,"unitPrice":"-10.00"}`)), `items[0].unitPrice: must be a decimal string such as "12.34": digits, and at most one point with digits on both sides; no sign or exponent`},
		{"price with an exponent", order(item(`{"sku":"A","quantity":2,"unitPrice":"1e1"}`)), `items[0].unitPrice: must be a decimal string such as "12.34": digits, and at most one point with digits on both sides; no sign or exponent`},
		{"price with a leading zero", order(item(`{"sku":"A","quantity":2,"unitPrice":"010.00"}`)), `items[0].unitPrice: must not start with a zero before other digits, such as "012"`},
		{"price with a bare point", order(item(`{"sku":"A","quantity":2,"unitPrice":"10."}`)), `items[0].unitPrice: must be a decimal string such as "12.34": digits, and at most one point with digits on both sides; no sign or exponent`},
		{"price too large", order(item(`{"sku":"A","quantity":1,"unitPrice":"1000000000000"}`)), `items[0].unitPrice: must have at most 12 digits before the point`},
		{"price with five decimals", order(item(`{"sku":"A","quantity":2,"unitPrice":"10.00001"}`)), "items[0].unitPrice: must have at most 2 decimal places for EUR (ISO 4217)"},
		{"price with many decimals and no currency", order(`currency=`, item(`{"sku":"A","quantity":2,"unitPrice":"10.123456789"}`)), "currency: is required; items[0].unitPrice: must have at most 4 decimal places (the most any ISO 4217 currency has)"},
		{"price with too many decimals", order(item(`{"sku":"A","quantity":2,"unitPrice":"10.001"}`)), "items[0].unitPrice: must have at most 2 decimal places for EUR (ISO 4217)"},
		{"yen with decimals", `{"orderId":"j","customerId":"c","items":[{"sku":"A","quantity":1,"unitPrice":"100.5"}],"currency":"JPY","total":"100.5"}`,
			"items[0].unitPrice: must have at most 0 decimal places for JPY (ISO 4217); total: must have at most 0 decimal places for JPY (ISO 4217)"},
		{"total with too many decimals", order(`total="20.000"`), "total: must have at most 2 decimal places for EUR (ISO 4217)"},
		{"total does not add up", order(`total="19.99"`), "total: must equal the sum of quantity × unitPrice over the items: 20.00"},
		{"total off by a fraction", order(`total="20.01"`), "total: must equal the sum of quantity × unitPrice over the items: 20.00"},
		{"total overflows", order(item(strings.TrimSuffix(strings.Repeat(`{"sku":"A","quantity":1000000,"unitPrice":"999999999999.99"},`, 2), ",")), `total="1.00"`),
			"total: the items add up to more than an amount can hold"},
		{"currency lower case", order(`currency="eur"`), "currency: must be an ISO 4217 code: three upper-case letters such as EUR"},
		{"currency unknown", order(`currency="ABC"`), "currency: ABC is not a current ISO 4217 currency code (List One of 2024-06-25, CLDR 48)"},
		{"currency too long", order(`currency="EURO"`), "currency: must be an ISO 4217 code: three upper-case letters such as EUR"},
		{"createdAt not RFC 3339", order(`createdAt="26/11/2026"`), "createdAt: must be an RFC 3339 date-time such as 2026-11-26T14:37:00Z (section 5.6): it is too short"},
		{"createdAt without zone", order(`createdAt="2026-11-26T14:37:00"`), "createdAt: must be an RFC 3339 date-time such as 2026-11-26T14:37:00Z (section 5.6): it is too short"},
		{"createdAt empty", order(`createdAt=""`), "createdAt: must not be empty: leave the field out when the order has no time"},
		{"several problems", order(`orderId="a b"`, item(`{"sku":"","quantity":0,"unitPrice":"1.001"}`), `currency="EUR"`),
			"orderId: must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -; items[0].sku: is required; items[0].quantity: must be > 0; items[0].unitPrice: must have at most 2 decimal places for EUR (ISO 4217)"},
		{"types and rules together", order(`orderId=1`, item(`{"sku":"A","quantity":"x","unitPrice":"1.00"}`), `total="x"`),
			`items[0].quantity: must be a whole number, not a string; orderId: must be a string, not a number; total: must be a decimal string such as "12.34": digits, and at most one point with digits on both sides; no sign or exponent`},
		// SNS envelopes.
		{"envelope of another type", `{"Type":"SubscriptionConfirmation","TopicArn":"arn","Message":"{}"}`, `Type: must be "Notification" in an SNS envelope`},
		{"envelope without Message", `{"Type":"Notification","TopicArn":"arn"}`, "Message: is required in an SNS envelope: it holds the order"},
		{"envelope with a null Message", `{"Type":"Notification","TopicArn":"arn","Message":null}`, "Message: must be a string that holds the order in an SNS envelope, not null"},
		{"envelope with an object Message", `{"Type":"Notification","TopicArn":"arn","Message":{"orderId":"o"}}`, "Message: must be a string that holds the order in an SNS envelope, not an object"},
		{"envelope with an empty Message", snsWrap(``), "Message: is empty; it must be a JSON object: the order"},
		{"envelope around a bad order", snsWrap(order(`total="1.00"`)), "total: must equal the sum of quantity × unitPrice over the items: 20.00"},
		{"envelope around an envelope", snsWrap(snsWrap(validOrder)), `Message: is not a field of an order; MessageId: is not a field of an order; SignatureVersion: is not a field of an order; Timestamp: is not a field of an order; TopicArn: is not a field of an order; Type: is not a field of an order; orderId: is required; customerId: is required; currency: is required; items: must hold at least one item; and 1 more problem`},
		{"Type on an order", order(`Type="Notification"`), "Type: is not a field of an order"},
		{"TopicArn on an order that mentions Type", order(`TopicArn="arn"`, `customerId="Type"`), "TopicArn: is not a field of an order"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseOrder(tt.body)
			var ve ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %v, want a ValidationError", err)
			}
			if err.Error() != tt.want {
				t.Errorf("got  %s\nwant %s", err, tt.want)
			}
		})
	}
}

// The invariant of parsing: it never panics, and it returns either an order
// that passes validation or errors that each name a field and a rule.
func FuzzParseOrder(f *testing.F) {
	for _, seed := range []string{validOrder, snsWrap(validOrder), `{}`, `[]`, `{"items":[{}]}`, order(`total="1e3"`), "\xff",
		// Where two JSON decoders may disagree.
		`{"orderId":"a","orderId":"b"}`, `{"OrderID":"a","CUSTOMERID":"c"}`, `{"order\u0049d":"x"}`, `{"orderId":"\ud800"}`,
		`{"items":[{"quantity":1e0}]}`, `{"items":[{"quantity":01}]}`, `{"items":[{"quantity":9223372036854775808}]}`,
		`{"items":[{"sku":"a","extra":{"x":[1,2]}}]}`, `{"orderId":null,"items":null}`, `{"orderId":"a"} `, "{\"orderId\":\"a\"}\n{}",
		`{"orderId":"a",}`, `{"orderId":"a"`, ` {"orderId":"é"}`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		// The decoder agrees with JSON v2's own unmarshalling (unknown
		// members refused): it never accepts what that refuses, decodes the
		// same, and refuses what that accepts only for a null.
		d := newOrderDecoder(body)
		defer d.release()
		got := d.order()
		var want Order
		refErr := jsonv2.Unmarshal([]byte(body), &want, jsonv2.RejectUnknownMembers(true))
		switch decoded := d.syntax == nil && d.errs.len() == 0; {
		case decoded && refErr != nil:
			t.Fatalf("decoded %+v; JSON v2 refuses it: %v", got, refErr)
		case decoded && !reflect.DeepEqual(got, want):
			t.Fatalf("decoded %+v; JSON v2 decodes %+v", got, want)
		case !decoded && refErr == nil && !strings.Contains(body, "null") && !strings.Contains(fmt.Sprint(d.errs), "must not be empty"):
			t.Fatalf("refused (%v %v); JSON v2 decodes %+v", d.syntax, d.errs, want)
		}
		at := time.Now()
		o, err := ParseOrderAt(body, at)
		if err == nil {
			if errs := o.validate(ValidationError{}, nil, at); errs.len() > 0 {
				t.Fatalf("accepted an invalid order: %v", errs)
			}
			return
		}
		var ve ValidationError
		if !errors.As(err, &ve) || len(ve.Problems) == 0 {
			t.Fatalf("error %v is not a non-empty ValidationError", err)
		}
		for _, fe := range ve.Problems {
			if fe.Field == "" || fe.Rule == "" {
				t.Fatalf("error %q lacks a field or a rule", fe)
			}
		}
	})
}

// BenchmarkParseOrder puts parsing side by side with two floors on the same
// body: json.Valid, which only scans it, and decoding it into map[string]any,
// which builds every value. A body of 20,000 empty items breaks three rules
// per item; a reason shows only the first maxProblems, so its cost should be
// that of reading the body, not of writing 60,000 problems.
func BenchmarkParseOrder(b *testing.B) {
	var hundred strings.Builder
	for i := range MaxItems {
		if i > 0 {
			hundred.WriteByte(',')
		}
		fmt.Fprintf(&hundred, `{"sku":"SKU-%03d","quantity":1,"unitPrice":"0.10"}`, i)
	}
	bodies := []struct{ name, body string }{
		{"ordinary", validOrder},
		{"100 valid items", order(`items=[`+hundred.String()+`]`, `total="10.00"`)},
		{"20000 empty items", `{"orderId":"o","customerId":"c","currency":"EUR","total":"1","items":[` + strings.TrimSuffix(strings.Repeat(`{},`, 20000), ",") + `]}`},
	}
	for _, tt := range bodies {
		body := []byte(tt.body)
		b.Run(tt.name+"/floor=json.Valid", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if !json.Valid(body) {
					b.Fatal("not JSON")
				}
			}
		})
		b.Run(tt.name+"/floor=map", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				var m map[string]any
				if err := json.Unmarshal(body, &m); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tt.name+"/ParseOrder", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				ParseOrder(tt.body)
			}
		})
	}
}

// A reason lists the first maxProblems problems, in the order they are
// found (the decoder's, then the rules', field by field and item by item),
// and counts every other one exactly, however many there are.
func TestReasonCountsEveryProblem(t *testing.T) {
	items := func(item string, n int) string {
		return `[` + strings.TrimSuffix(strings.Repeat(item+",", n), ",") + `]`
	}
	emptyItemRules := func(i int) string {
		return fmt.Sprintf("items[%d].sku: is required; items[%[1]d].quantity: must be > 0; items[%[1]d].unitPrice: is required", i)
	}
	tests := []struct{ name, body, want string }{
		{"exactly ten", `{"items":[{},{}]}`,
			"orderId: is required; customerId: is required; currency: is required; " + emptyItemRules(0) + "; " + emptyItemRules(1) + "; total: is required"},
		{"eleven", `{"x":1,"items":[{},{}]}`,
			"x: is not a field of an order; orderId: is required; customerId: is required; currency: is required; " + emptyItemRules(0) + "; " + emptyItemRules(1) + "; and 1 more problem"},
		// 1 + 3 × 20,000.
		{"20,000 empty items", emptyItems(20000),
			"items: must hold at most 100 items; " + emptyItemRules(0) + "; " + emptyItemRules(1) + "; " + emptyItemRules(2) + "; and 59991 more problems"},
		// The decoder's 6,000 wrong types first; then 1 + 2 × 6,000: a sku
		// reported as the wrong type is not also required.
		{"6,000 skus of the wrong type", order(`items=` + items(`{"sku":1}`, 6000)),
			func() string {
				var s []string
				for i := range 10 {
					s = append(s, fmt.Sprintf("items[%d].sku: must be a string, not a number", i))
				}
				return strings.Join(s, "; ")
			}() + "; and 17991 more problems"},
		// 200 unknown fields, then 1 + 3 × 200.
		{"200 items with an unknown field", order(`items=` + items(`{"Sku":"A"}`, 200)),
			func() string {
				var s []string
				for i := range 10 {
					s = append(s, fmt.Sprintf("items[%d].Sku: is not a field of an item; names are case-sensitive: did you mean sku?", i))
				}
				return strings.Join(s, "; ")
			}() + "; and 791 more problems"},
		// An order's unknown field named like an item's field is not that
		// field: the item still lacks its sku.
		{"a field named items[0].sku", order(`items[0].sku="A"`, `items=[{"quantity":1,"unitPrice":"20.00"}]`),
			"items[0].sku: is not a field of an order; items[0].sku: is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, body := range []string{tt.body, snsWrap(tt.body)} {
				_, err := ParseOrder(body)
				var ve ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("error %v, want a ValidationError", err)
				}
				if err.Error() != tt.want {
					t.Errorf("got  %.600s\nwant %.600s", err, tt.want)
				}
			}
		})
	}
}

// Judging a body costs about the same however many problems it has past
// the listed ones: 20,000 broken items allocate no more than 20.
func TestProblemsPastTheListedCostNothing(t *testing.T) {
	allocs := func(body string) float64 {
		return testing.AllocsPerRun(50, func() { ParseOrder(body) })
	}
	few, many := allocs(emptyItems(20)), allocs(emptyItems(20000))
	if many > few+2 {
		t.Errorf("20,000 empty items: %.0f allocations; 20 of them: %.0f", many, few)
	}
}
