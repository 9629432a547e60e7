package function

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// The cases follow RFC 3339 section 5.6's ABNF and the ranges of section
// 5.7, rule by rule, not the examples of any issue.
func TestCreatedAtRFC3339(t *testing.T) {
	valid := map[string]string{ // as written → the instant it names
		"1985-04-12T23:20:50.52Z":           "1985-04-12T23:20:50.52Z", // RFC 3339's own examples (5.8)
		"1996-12-19T16:39:57-08:00":         "1996-12-20T00:39:57Z",
		"1990-12-31T23:59:60Z":              "1990-12-31T23:59:60Z",
		"1990-12-31T15:59:60-08:00":         "1990-12-31T23:59:60Z",
		"1937-01-01T12:00:27.87+00:20":      "1937-01-01T11:40:27.87Z",
		"2026-11-26t14:37:00z":              "2026-11-26T14:37:00Z", // "t" and "z" in lower case (5.6 NOTE)
		"2026-11-26T14:37:00.000Z":          "2026-11-26T14:37:00Z", // time-secfrac = "." 1*DIGIT
		"2026-11-26T14:37:00.1Z":            "2026-11-26T14:37:00.1Z",
		"2026-11-26T14:37:00.123456789123Z": "2026-11-26T14:37:00.123456789123Z", // any number of digits, none lost
		"2026-11-26T14:37:00+00:00":         "2026-11-26T14:37:00Z",
		"2026-11-26T14:37:00-00:00":         "2026-11-26T14:37:00Z", // unknown local offset (4.3): the same instant
		"2026-11-26T23:59:59+23:59":         "2026-11-26T00:00:59Z", // time-numoffset hour 00-23, minute 00-59
		"2026-11-26T00:00:00-23:59":         "2026-11-26T23:59:00Z",
		"2024-02-29T00:00:00Z":              "2024-02-29T00:00:00Z", // a leap year (Appendix C)
		"2000-02-29T00:00:00Z":              "2000-02-29T00:00:00Z", // divisible by 400
		"0000-01-01T00:00:00Z":              "0000-01-01T00:00:00Z", // date-fullyear = 4DIGIT
		"9999-12-31T23:59:59.9Z":            "9999-12-31T23:59:59.9Z",
		"2016-12-31T23:59:60.5Z":            "2016-12-31T23:59:60.5Z",
		"2017-01-01T00:59:60+01:00":         "2016-12-31T23:59:60Z",
	}
	for s, want := range valid {
		got, rule := rfc3339Instant(s)
		if rule != "" || got != want {
			t.Errorf("%s: %q %q; want %s", s, got, rule, want)
		}
		if _, err := ParseOrder(order(`createdAt="` + s + `"`)); err != nil {
			t.Errorf("order with createdAt %s refused: %v", s, err)
		}
	}
	invalid := []string{
		"2026-11-26T14:37:00", "2026-11-26", "14:37:00Z", "2026-11-26T14:37Z", // parts missing
		"2026-11-26 14:37:00Z", "2026-11-26_14:37:00Z", // only "T" or "t" separates
		"26-11-26T14:37:00Z", "+2026-11-26T14:37:00Z", "12026-11-26T14:37:00Z", // 4DIGIT year
		"2026-1-26T14:37:00Z", "2026-11-6T14:37:00Z", "2026-11-26T4:37:00Z", "2026-11-26T14:7:00Z", "2026-11-26T14:37:0Z", // 2DIGIT each
		"2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-11-00T00:00:00Z", "2026-11-31T00:00:00Z", "2026-02-29T00:00:00Z",
		"1900-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
		"2026-11-26T24:00:00Z", "2026-11-26T14:60:00Z", "2026-11-26T14:37:61Z",
		"2026-11-26T14:37:60Z", "2026-11-30T23:59:60+01:00", "2026-11-26T23:59:60Z", // a leap second ends a UTC month
		"2026-11-26T14:37:00.Z", "2026-11-26T14:37:00,5Z", "2026-11-26T14:37:00.5.5Z", // secfrac
		"2026-11-26T14:37:00+24:00", "2026-11-26T14:37:00-24:00", "2026-11-26T14:37:00+01:60", // offset ranges
		"2026-11-26T14:37:00+0100", "2026-11-26T14:37:00+01", "2026-11-26T14:37:00+1:00", "2026-11-26T14:37:00 Z", "2026-11-26T14:37:00UTC",
		"2026-11-26T14:37:00Zjunk", "2026-11-26T14:37:00ZZ", " 2026-11-26T14:37:00Z", "2026-11-26T14:37:00Z ",
		"２０２６-11-26T14:37:00Z", "2026-11-26T14:37:00\u00a0Z", "2026−11−26T14:37:00Z", // non-ASCII digits and signs
	}
	for _, s := range invalid {
		if got, rule := rfc3339Instant(s); rule == "" {
			t.Errorf("%q accepted as %s", s, got)
		}
		_, err := ParseOrder(order(`createdAt=` + quote(s)))
		var ve ValidationError
		if !errors.As(err, &ve) || ve.len() != 1 || ve.Problems[0].Field != "createdAt" || !strings.HasPrefix(ve.Problems[0].Rule, createdAtRule) {
			t.Errorf("order with createdAt %q: %v; want createdAt refused, naming RFC 3339", s, err)
		}
	}
}

// The currency is checked against ISO 4217 List One: its minor units, its
// recent codes; withdrawn codes and codes with no minor unit are refused.
func TestCurrencyISO4217(t *testing.T) {
	orderIn := func(code, price string) string {
		return `{"orderId":"o","customerId":"c","items":[{"sku":"A","quantity":1,"unitPrice":"` + price + `"}],"currency":"` + code + `","total":"` + price + `"}`
	}
	accepted := map[string]string{
		"IQD": "1.250", "AFN": "1.25", "ALL": "1.25", "RSD": "1.25", "LBP": "1.25", "IRR": "1.25", "MMK": "1.25", "YER": "1.25",
		"LAK": "1.25", "MGA": "1.25", "SOS": "1.25", "SYP": "1.25", "KPW": "1.25",
		"MRU": "1.25", "VES": "1.25", "SLE": "1.25", "ZWG": "1.25", "VED": "1.25", "STN": "1.25", "UYW": "1.2500",
		"JPY": "125", "KWD": "1.250", "XOF": "125",
		"XCG": "1.25", // amendment 176: in use from 2025-03-31, 2 minor units
	}
	for code, price := range accepted {
		if _, err := ParseOrder(orderIn(code, price)); err != nil {
			t.Errorf("%s %s refused: %v", price, code, err)
		}
	}
	refused := map[string]string{ // code → what the reason says
		"DEM": "withdrawn ISO 4217 code", "FRF": "replaced by EUR", "HRK": "replaced by EUR", "VEF": "replaced by VES",
		"MRO": "replaced by MRU", "LTL": "replaced by EUR", "BYR": "replaced by BYN", "ZWL": "replaced by ZWG", "XEU": "withdrawn",
		"ANG": "replaced by XCG", "BGN": "replaced by EUR", // since List One of 2024-06-25
		"ABC": "not a current ISO 4217 currency code", "XAD": "not a current ISO 4217 currency code",
		"XTS": "no minor unit", "XXX": "no minor unit", "XAU": "no minor unit", "XAG": "no minor unit", "XPT": "no minor unit",
		"XPD": "no minor unit", "XDR": "no minor unit", "XBA": "no minor unit", "XSU": "no minor unit", "XUA": "no minor unit",
		"CLF": "funds code", "BOV": "funds code", "CHE": "funds code", "CHW": "funds code", "COU": "funds code",
		"MXV": "funds code", "USN": "funds code", "UYI": "funds code",
		"usd": "three upper-case letters", "US": "three upper-case letters", "US$": "three upper-case letters",
	}
	for code, want := range refused {
		_, err := ParseOrder(orderIn(code, "1"))
		var ve ValidationError
		if !errors.As(err, &ve) || ve.Problems[0].Field != "currency" || !strings.Contains(ve.Problems[0].Rule, want) {
			t.Errorf("%s: %v; want currency refused with %q", code, err, want)
		}
	}
	// One decimal more than ISO's minor unit is refused, naming the rule.
	for code, price := range map[string]string{"IQD": "1.2501", "JPY": "1.5", "EUR": "1.001", "UYW": "1.00001", "BHD": "0.0001", "XCG": "1.255"} {
		_, err := ParseOrder(orderIn(code, price))
		if err == nil || !strings.Contains(err.Error(), "decimal places for "+code) {
			t.Errorf("%s %s: %v; want the decimal places named", price, code, err)
		}
	}
}

func TestNoncharactersRefused(t *testing.T) {
	for _, body := range []string{
		order(`customerId="c-\uFFFE"`), order(`customerId="c-\uffff"`), order(`customerId="c-` + "\uFFFF" + `"`),
		order(`items=[{"sku":"A\uFFFE","quantity":2,"unitPrice":"9.99"},{"sku":"B","quantity":1,"unitPrice":"0.02"}]`),
	} {
		_, err := ParseOrder(body)
		if err == nil || !strings.Contains(err.Error(), "U+FFFE or U+FFFF") {
			t.Errorf("%s: %v; want the noncharacter refused", body, err)
		}
	}
	// Other characters SQS carries are kept: U+FFFD, a pair beyond the BMP.
	if _, err := ParseOrder(order(`customerId="c-\uFFFD-\ud83d\ude00"`)); err != nil {
		t.Error(err)
	}
}

// A reason, and so the log line that carries it, stays small however many
// problems the body has: CloudWatch Logs takes events of at most 256 KB.
func TestReasonsAreBounded(t *testing.T) {
	many := `{"orderId":"o","customerId":"c","currency":"EUR","total":"1","items":[` + strings.TrimSuffix(strings.Repeat(`{},`, 20000), ",") + `]}`
	longName := order(`"` + strings.Repeat("x", 60000) + `"=1`)
	for name, body := range map[string]string{"20,000 empty items": many, "a 60 KB field name": longName} {
		_, err := ParseOrder(body)
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
		reason := err.Error()
		if len(reason) > 8<<10 {
			t.Errorf("%s: reason of %d bytes", name, len(reason))
		}
		var ve ValidationError
		errors.As(err, &ve)
		if ve.len() > maxProblems && !strings.HasSuffix(reason, "more problems") {
			t.Errorf("%s: %d problems, reason %q does not count the rest", name, ve.len(), reason[len(reason)-80:])
		}
	}
}

// The handler's log line for such a body stays small too, and so does the
// reason the DLQ gets.
func TestLogLinesAreBounded(t *testing.T) {
	var logs bytes.Buffer
	dlq := &memDLQ{}
	h := &Handler{Store: newMemStore(), DeadLetters: dlq, Log: slog.New(slog.NewJSONHandler(&logs, nil))}
	many := `{"orderId":"o","customerId":"c","currency":"EUR","total":"1","items":[` + strings.TrimSuffix(strings.Repeat(`{},`, 20000), ",") + `]}`
	if _, err := h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: many}}}); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if len(line) > 16<<10 {
			t.Errorf("a log line of %d bytes", len(line))
		}
	}
	if r := dlq.messages["m1"]; len(r) > 8<<10 || !strings.Contains(r, "more problems") {
		t.Errorf("DLQ reason of %d bytes: %.200s", len(r), r)
	}
}

// A code's validity is judged on the day the message is processed, which
// the caller gives (the handler: when the record reached it), never the
// machine's clock read inside validation. The days are CLDR 48's: BGN's use
// ended 2026-01-31, ANG's 2025-06-30, and XCG's began 2025-03-31.
func TestCurrencyOnTheProcessingDay(t *testing.T) {
	orderIn := func(code string) string {
		return `{"orderId":"o","customerId":"c","items":[{"sku":"A","quantity":1,"unitPrice":"1.25"}],"currency":"` + code + `","total":"1.25"}`
	}
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d.Add(23*time.Hour + 59*time.Minute) // late on the day, in UTC
	}
	tests := []struct {
		code, day string
		refused   string // part of the reason; "" when accepted
	}{
		{"BGN", "2026-01-31", ""},
		{"BGN", "2026-02-01", "replaced by EUR"},
		{"ANG", "2025-06-30", ""},
		{"ANG", "2025-07-01", "replaced by XCG"},
		{"XCG", "2025-03-30", "not a current ISO 4217 currency code"},
		{"XCG", "2025-03-31", ""},
		{"EUR", "2025-01-01", ""},
	}
	for _, tt := range tests {
		_, err := ParseOrderAt(orderIn(tt.code), day(tt.day))
		if got := err != nil; got != (tt.refused != "") || err != nil && !strings.Contains(err.Error(), tt.refused) {
			t.Errorf("%s on %s: %v; want refused %q", tt.code, tt.day, err, tt.refused)
		}
	}

	// The handler judges on its own clock.
	for _, tt := range tests {
		store := newMemStore()
		h := &Handler{Store: store, DeadLetters: &memDLQ{}, Log: discardLog(), Now: func() time.Time { return day(tt.day) }}
		resp, err := h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m", Body: orderIn(tt.code)}}})
		if err != nil || len(resp.BatchItemFailures) > 0 {
			t.Fatalf("%v %v", resp, err)
		}
		if stored := store.puts["o"] == 1; stored != (tt.refused == "") {
			t.Errorf("handler at %s: %s stored %v, want %v", tt.day, tt.code, stored, tt.refused == "")
		}
	}
}

// Every shape a hostile body can take within the size limits gives a
// reason, a DLQ attribute and a log line of a few kilobytes, raw and in an
// envelope: CloudWatch Logs takes events of at most 256 KB.
func TestReasonsAreBoundedForEveryShape(t *testing.T) {
	const fill = 60 << 10 // under MaxOrderBytes, so that the order is read
	long := strings.Repeat("x", fill)
	many := func(unit string) string { return strings.TrimSuffix(strings.Repeat(unit, fill/len(unit)), ",") }
	// with is validOrder with a field added as raw text, which need not be
	// JSON; set replaces a field's value.
	with := func(name, raw string) string {
		return strings.TrimSuffix(validOrder, "}") + `,"` + name + `":` + raw + `}`
	}
	set := func(name, raw string) string {
		i := strings.Index(validOrder, `"`+name+`":`) + len(name) + 3
		j := i + strings.IndexAny(validOrder[i:], ",}")
		if name == "items" {
			j = i + strings.Index(validOrder[i:], "]") + 1
		}
		return validOrder[:i] + raw + validOrder[j:]
	}
	shapes := map[string]string{
		"deep lists in an unknown field":   with("x", strings.Repeat("[", fill/2)+strings.Repeat("]", fill/2)),
		"deep objects in an unknown field": with("x", strings.Repeat(`{"a":`, fill/10)+"0"+strings.Repeat("}", fill/10)),
		"a duplicate deep down":            with("x", strings.Repeat(`{"a":`, 2000)+`{"b":1,"b":2}`+strings.Repeat("}", 2000)),
		"many unknown fields":              `{` + many(`"a":0,`) + `}`,
		"many distinct unknown fields": `{` + strings.TrimSuffix(func() string {
			var b strings.Builder
			for i := 0; b.Len() < fill; i++ {
				fmt.Fprintf(&b, `"f%d":0,`, i)
			}
			return b.String()
		}(), ",") + `}`,
		"many empty items":           set("items", `[`+many(`{},`)+`]`),
		"many items of nulls":        set("items", `[`+many(`{"sku":null,"quantity":null,"unitPrice":null},`)+`]`),
		"many lists for items":       set("items", `[`+many(`[],`)+`]`),
		"a huge key":                 with(long, "1"),
		"a huge misspelt key":        with("ORDERID"+long, "1"),
		"a huge key with escapes":    with(strings.Repeat(`\n`, fill/3), "1"),
		"a long orderId":             set("orderId", `"`+long+`"`),
		"a long customerId":          set("customerId", `"`+long+`"`),
		"a long currency":            set("currency", `"`+long+`"`),
		"a long total":               set("total", `"`+strings.Repeat("9", fill)+`"`),
		"a long createdAt":           set("createdAt", `"2026-11-26T14:37:00.`+strings.Repeat("5", fill)+`x"`),
		"a long sku":                 set("items", `[{"sku":"`+long+`","quantity":1,"unitPrice":"1"}]`),
		"a long unitPrice":           set("items", `[{"sku":"A","quantity":1,"unitPrice":"1.`+strings.Repeat("0", fill)+`"}]`),
		"a long quantity":            set("items", `[{"sku":"A","quantity":`+strings.Repeat("9", fill)+`,"unitPrice":"1"}]`),
		"a long fraction quantity":   set("items", `[{"sku":"A","quantity":1.`+strings.Repeat("5", fill)+`,"unitPrice":"1"}]`),
		"a long string as quantity":  set("items", `[{"sku":"A","quantity":"`+long+`","unitPrice":"1"}]`),
		"long text that is not JSON": long,
		"a long unterminated string": `{"orderId":"` + long,
		"a long invalid literal":     set("total", strings.Repeat("t", fill)),
		"many escapes":               set("customerId", `"`+strings.Repeat(`\u0001`, fill/6)+`"`),
		"many lone surrogates":       set("customerId", `"`+strings.Repeat(`\ud800`, fill/6)+`"`),
	}
	for name, body := range shapes {
		for _, form := range []struct{ name, body string }{{"raw", body}, {"in an envelope", snsWrap(body)}} {
			t.Run(name+" "+form.name, func(t *testing.T) {
				var logs bytes.Buffer
				dlq := &memDLQ{}
				h := &Handler{Store: newMemStore(), DeadLetters: dlq, Log: slog.New(slog.NewJSONHandler(&logs, nil))}
				resp, err := h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: form.body}}})
				if err != nil || len(resp.BatchItemFailures) > 0 {
					t.Fatalf("%v %v", resp, err)
				}
				reason, ok := dlq.messages["m1"]
				if !ok {
					t.Fatalf("not rejected: %s", logs.String())
				}
				if len(reason) > 8<<10 {
					t.Errorf("reason of %d bytes: %.300s", len(reason), reason)
				}
				for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
					if len(line) > 16<<10 {
						t.Errorf("a log line of %d bytes: %.300s", len(line), line)
					}
				}
			})
		}
	}
}

// Characters SQS refuses in a message (its allowed set is #x9 #xA #xD
// #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF) never reach the table in
// an order: in any string field, written literally or as a JSON escape, in a
// raw body or inside an envelope's Message (escaped once or twice).
func TestCharactersSQSRefusesAreRefusedEverywhere(t *testing.T) {
	chars := map[string]string{ // name → the character as a JSON escape
		"U+FFFE": `\ufffe`, "U+FFFF": `\uFFFF`, "U+0001": `\u0001`, "U+001F": `\u001f`, "U+000B": `\u000b`,
		"lone surrogate": `\ud800`,
	}
	fields := []string{"orderId", "customerId", "currency", "total", "createdAt", "sku", "unitPrice", "extra", "name"}
	at := func(field, s string) string {
		o := strings.NewReplacer(`"o-1"`, `"o-1`+map[bool]string{true: s}[field == "orderId"]+`"`,
			`"c-1"`, `"c-1`+map[bool]string{true: s}[field == "customerId"]+`"`,
			`"EUR"`, `"EUR`+map[bool]string{true: s}[field == "currency"]+`"`,
			`"20.00"`, `"20.00`+map[bool]string{true: s}[field == "total"]+`"`,
			`00Z"`, `00Z`+map[bool]string{true: s}[field == "createdAt"]+`"`,
			`"A"`, `"A`+map[bool]string{true: s}[field == "sku"]+`"`,
			`"9.99"`, `"9.99`+map[bool]string{true: s}[field == "unitPrice"]+`"`,
		).Replace(validOrder)
		switch field {
		case "extra":
			o = strings.TrimSuffix(o, "}") + `,"extra":"x` + s + `"}`
		case "name":
			o = strings.TrimSuffix(o, "}") + `,"x` + s + `":1}`
		}
		return o
	}
	for name, esc := range chars {
		var literal string
		if name != "lone surrogate" {
			var r rune
			fmt.Sscanf(esc[2:], "%x", &r)
			literal = string(r)
		}
		for _, field := range fields {
			envelope := func(msg string) string { return `{"Type":"Notification","TopicArn":"arn","Message":` + msg + `}` }
			forms := map[string]string{
				"escaped": at(field, esc),
				// The order holds the escape; or the envelope does, and the
				// order holds the character.
				"in a Message, escaped in the order":    envelope(quote(at(field, esc))),
				"in a Message, escaped in the envelope": envelope(strings.Replace(quote(at(field, "§")), "§", esc, 1)),
			}
			if literal != "" && literal >= " " {
				forms["literal"] = at(field, literal)
				forms["in a Message, literal"] = envelope(quote(at(field, literal)))
			}
			for form, body := range forms {
				if o, err := ParseOrder(body); err == nil {
					t.Errorf("%s %s in %s: accepted as %+v", name, form, field, o)
				}
			}
		}
	}
	// The rest of the envelope is not the order: a character there stays out
	// of the table, and the order is taken.
	if _, err := ParseOrder(`{"Type":"Notification","TopicArn":"arn","Subject":"\uffff","Message":` + quote(validOrder) + `}`); err != nil {
		t.Errorf("an escape in the envelope's Subject: %v", err)
	}
}
