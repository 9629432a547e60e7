package function

import (
	"bytes"
	"errors"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// JSON v2 semantics (jsontext's defaults) refuse what would let an order
// change silently between the producer and the table: a name given twice
// (which of the two wins?), invalid UTF-8 and lone surrogate escapes (which
// other decoders turn into U+FFFD). Names are matched exactly, never folded
// to another case, and null is never taken for a missing field.

// decodeOrder reads the order JSON into an Order and checks its rules. It
// walks the tokens once and reports every problem it can see, naming the
// field: a wrong type, an unknown or misspelt field, null, a broken rule. A
// body that is not JSON, or breaks JSON's rules, is reported at its first
// fault, since nothing after it can be read. The currency is judged on at's
// day. The error lists up to limit problems and counts the rest.
func decodeOrder(payload string, at time.Time, limit int) (Order, ValidationError) {
	d := newOrderDecoder(payload)
	d.errs.limit = limit
	defer d.release()
	o := d.order()
	if d.syntax != nil {
		return Order{}, invalid(*d.syntax)
	}
	if errs := o.validate(d.errs, &d.bad, at); errs.len() > 0 {
		return Order{}, errs
	}
	// The items were read into the decoder's own list, kept for the next
	// message: a poison body of thousands of items costs no allocation for
	// them, and a valid order one, of its size.
	o.Items = slices.Clone(o.Items)
	return o, ValidationError{}
}

// decoders keeps decoders with their buffers between messages: a new one
// costs more allocations than the rest of a message's decoding.
var decoders = sync.Pool{New: func() any { return new(orderDecoder) }}

// release returns the decoder to the pool. Its list of items is kept, up
// to the most a body can hold (MaxOrderBytes over the 3 bytes of "{},"),
// under a megabyte, but cleared: it would keep the strings, and so the
// payload they point into, alive.
func (d *orderDecoder) release() {
	clear(d.itemList)
	d.itemList = d.itemList[:0]
	decoders.Put(d)
}

func newOrderDecoder(payload string) *orderDecoder {
	d := decoders.Get().(*orderDecoder)
	d.buf.Reset()
	d.buf.WriteString(payload)
	d.dec.Reset(&d.buf)
	d.payload, d.errs, d.syntax = payload, ValidationError{}, nil
	d.bad = fieldMarks{items: d.bad.items[:0]}
	d.itemList = d.itemList[:0]
	return d
}

// orderDecoder reads an order without allocating for what it only looks
// at: names are compared as bytes, and a string without escapes is a part
// of the payload. A field is named by an item index (-1 for the order
// itself) and a name; its path is written only to report it.
type orderDecoder struct {
	payload  string
	buf      bytes.Buffer // the payload, which dec reads in place
	dec      jsontext.Decoder
	name     []byte          // the last name read, unquoted
	errs     ValidationError // problems of the fields that could be read
	bad      fieldMarks      // those fields, which validate skips
	itemList []Item          // the order's items, as read
	syntax   *FieldError     // the JSON could not be read past this fault
}

func (d *orderDecoder) order() Order {
	var o Order
	if strings.TrimLeft(d.payload, " \t\r\n") == "" {
		d.syntax = &FieldError{"body", "is empty; it must be a JSON object: the order"}
		return o
	}
	tok, err := d.dec.ReadToken()
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		// Not even the first value reads: most likely text that was never
		// meant to be JSON.
		d.syntax = &FieldError{"body", "is not JSON: it starts with " + strconv.Quote(prefix(d.payload, 24))}
		return o
	}
	if !d.ok(err, -1, "body") {
		return o
	}
	if k := tok.Kind(); k != '{' {
		d.syntax = &FieldError{"body", "must be a JSON object, not " + kindName(k)}
		return o
	}
	for d.more() {
		if !d.readName() {
			return o
		}
		switch string(d.name) {
		case "orderId":
			o.OrderID = d.str(-1, "orderId")
		case "customerId":
			o.CustomerID = d.str(-1, "customerId")
		case "currency":
			o.Currency = d.str(-1, "currency")
		case "total":
			o.Total = d.str(-1, "total")
		case "createdAt":
			empty := d.dec.PeekKind() == '"'
			if o.CreatedAt = d.str(-1, "createdAt"); empty && o.CreatedAt == "" && d.syntax == nil {
				// Not the same as no createdAt: storing it as absent would
				// make two different payloads one order.
				d.report(-1, "createdAt", "must not be empty: leave the field out when the order has no time")
			}
		case "items":
			o.Items = d.items()
		default:
			d.unknown(-1, "an order", orderFields)
		}
	}
	if d.end() {
		if _, err := d.dec.ReadToken(); err != io.EOF {
			d.fault(err, -1, "body", "must hold exactly one JSON object and nothing after it")
		}
	}
	return o
}

func (d *orderDecoder) items() []Item {
	if !d.begin(-1, "items", '[', "a list of items") {
		return nil
	}
	if d.itemList == nil {
		d.itemList = []Item{} // as sent: an empty list is not a missing one
	}
	for i := 0; d.more(); i++ {
		d.itemList = append(d.itemList, Item{})
		it := &d.itemList[i]
		if !d.begin(i, "", '{', "an object") {
			continue
		}
		for d.more() {
			if !d.readName() {
				return d.itemList
			}
			switch string(d.name) {
			case "sku":
				it.SKU = d.str(i, "sku")
			case "unitPrice":
				it.UnitPrice = d.str(i, "unitPrice")
			case "quantity":
				it.Quantity = d.quantity(i, "quantity")
			default:
				d.unknown(i, "an item", itemFields)
			}
		}
		d.end()
	}
	d.end()
	return d.itemList
}

var (
	orderFields = []string{"orderId", "customerId", "items", "currency", "total", "createdAt"}
	itemFields  = []string{"sku", "quantity", "unitPrice"}
)

// begin reads the opening token of an object or a list. When the value is
// of another kind it reports so, skips it and returns false.
func (d *orderDecoder) begin(item int, field string, kind jsontext.Kind, want string) bool {
	if d.syntax != nil {
		return false
	}
	if got := d.dec.PeekKind(); got != kind {
		d.wrongType(item, field, want, got)
		return false
	}
	_, err := d.dec.ReadToken()
	return d.ok(err, item, field)
}

// more reports whether the object or list being read has another member.
func (d *orderDecoder) more() bool {
	if d.syntax != nil {
		return false
	}
	k := d.dec.PeekKind()
	if k == 0 {
		// PeekKind hides the error; reading the token returns it.
		_, err := d.dec.ReadToken()
		d.ok(err, -1, "body")
		return false
	}
	return k != '}' && k != ']'
}

func (d *orderDecoder) end() bool {
	if d.syntax != nil {
		return false
	}
	_, err := d.dec.ReadToken()
	return d.ok(err, -1, "body")
}

// readName reads a member's name into d.name.
func (d *orderDecoder) readName() bool {
	v, err := d.dec.ReadValue()
	if !d.ok(err, -1, "body") {
		return false
	}
	if bytes.IndexByte(v, '\\') < 0 {
		d.name = append(d.name[:0], v[1:len(v)-1]...)
		return true
	}
	d.name, err = jsontext.AppendUnquote(d.name[:0], v)
	return d.ok(err, -1, "body")
}

// str reads a string. One without escapes is a part of the payload.
func (d *orderDecoder) str(item int, field string) string {
	if k := d.dec.PeekKind(); k != '"' {
		d.wrongType(item, field, "a string", k)
		return ""
	}
	v, err := d.dec.ReadValue()
	if !d.ok(err, item, field) {
		return ""
	}
	if bytes.IndexByte(v, '\\') < 0 {
		end := int(d.dec.InputOffset())
		return d.payload[end-len(v)+1 : end-1]
	}
	b, err := jsontext.AppendUnquote(nil, v)
	if !d.ok(err, item, field) {
		return ""
	}
	return string(b)
}

// quantity reads a whole number. One beyond int64 is reported against the
// allowed range.
func (d *orderDecoder) quantity(item int, field string) int64 {
	if k := d.dec.PeekKind(); k != '0' {
		d.wrongType(item, field, "a whole number", k)
		return 0
	}
	v, err := d.dec.ReadValue()
	if !d.ok(err, item, field) {
		return 0
	}
	digits, neg := []byte(v), false
	if digits[0] == '-' {
		digits, neg = digits[1:], true
	}
	var n int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			d.reportf(item, field, func() string { return "must be a whole number, not " + string(v) })
			return 0
		}
		if n > (math.MaxInt64-9)/10 {
			if neg {
				d.report(item, field, "must be > 0")
			} else {
				d.reportf(item, field, func() string { return "must be at most " + strconv.Itoa(MaxQuantity) })
			}
			return 0
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n
}

// wrongType reports a value of the wrong kind and skips it.
func (d *orderDecoder) wrongType(item int, field, want string, got jsontext.Kind) {
	if got == 0 {
		_, err := d.dec.ReadToken()
		d.ok(err, item, field)
		return
	}
	if d.ok(d.dec.SkipValue(), item, field) {
		d.reportf(item, field, func() string { return "must be " + want + ", not " + kindName(got) })
	}
}

// unknown reports the field just named, which the order or item does not
// have, and names the field meant when only the case differs. Nothing else
// reads an unknown field, so it is not marked.
func (d *orderDecoder) unknown(item int, what string, known []string) {
	// The name is needed when the value is broken, and otherwise only if
	// the problem is listed: d.name is overwritten by the next name.
	if err := d.dec.SkipValue(); err != nil {
		d.ok(err, item, fieldName(string(d.name)))
		return
	}
	d.errs.addf(item, func() (string, string) {
		name := string(d.name)
		rule := "is not a field of " + what
		for _, k := range known {
			if strings.EqualFold(k, name) {
				rule += "; names are case-sensitive: did you mean " + k + "?"
			}
		}
		return fieldName(name), rule
	})
}

// report adds a problem of a field and marks the field, whose value
// validate then leaves alone.
func (d *orderDecoder) report(item int, field, rule string) {
	d.reportf(item, field, func() string { return rule })
}

// reportf is report for a rule that costs something to write; see addf.
func (d *orderDecoder) reportf(item int, field string, rule func() string) {
	d.bad.mark(item, field)
	d.errs.addf(item, func() (string, string) { return field, rule() })
}

// ok turns a decoder error into the fault that stops decoding.
func (d *orderDecoder) ok(err error, item int, field string) bool {
	if err == nil {
		return true
	}
	d.fault(err, item, field, "")
	return false
}

func (d *orderDecoder) fault(err error, item int, field, rule string) {
	if d.syntax != nil {
		return
	}
	fe := FieldError{path(item, field), rule}
	if rule == "" {
		fe = jsonFault(err, fe.Field)
	}
	d.syntax = &fe
}

// jsonFault says what makes a text unreadable as JSON, naming the field:
// the one the error points to, else p, the one being read.
func jsonFault(err error, p string) FieldError {
	var se *jsontext.SyntacticError
	if !errors.As(err, &se) {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return FieldError{"body", "is not JSON: it ends before the value is complete"}
		}
		return FieldError{"body", "is not JSON: " + strings.TrimPrefix(err.Error(), "jsontext: ")}
	}
	if se.JSONPointer != "" {
		p = fieldPath(se.JSONPointer)
	}
	switch msg := se.Err.Error(); {
	case errors.Is(se.Err, jsontext.ErrDuplicateName):
		return FieldError{p, "appears more than once; every field may be given only once"}
	case strings.Contains(msg, "surrogate") || strings.Contains(msg, "UTF-8"):
		return FieldError{p, "must be valid UTF-8; a lone surrogate escape such as \\ud800 is not a character"}
	case errors.Is(se.Err, io.ErrUnexpectedEOF):
		return FieldError{"body", "is not JSON: it ends before the value is complete"}
	case strings.Contains(msg, "exceeded max depth"):
		// JSON, but deeper than jsontext reads: RFC 8259 section 9 lets a
		// parser limit nesting.
		return FieldError{"body", "nests objects and lists more than 10000 deep, the most the decoder reads"}
	}
	msg := strings.TrimPrefix(se.Err.Error(), "jsontext: ")
	return FieldError{"body", "is not JSON: " + msg + " at byte " + strconv.FormatInt(se.ByteOffset, 10)}
}

// fieldPath writes a JSON pointer as a field path, such as
// "items[0].quantity"; the whole body is "body".
func fieldPath(ptr jsontext.Pointer) string {
	var b strings.Builder
	for tok := range ptr.Tokens() {
		if _, err := strconv.Atoi(tok); err == nil && b.Len() > 0 {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(fieldName(tok))
	}
	if b.Len() == 0 {
		return "body"
	}
	return b.String()
}

// prefix is at most n bytes of s, cut at a character boundary.
func prefix(s string, n int) string {
	s = strings.TrimLeft(s, " \t\r\n")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	case '0':
		return "a number"
	case '"':
		return "a string"
	case '[':
		return "a list"
	case '{':
		return "an object"
	}
	return "nothing"
}

// unwrapSNS returns the order JSON of the body: the body itself, or the
// Message of the SNS notification the body is. A body is a notification
// when its top level has fields named both Type and TopicArn, as every SNS
// envelope does, however the names are written (JSON compares names after
// their escapes); an order with a Type or a TopicArn of its own is an order
// with an unknown field.
func unwrapSNS(body string) (string, error) {
	// Only \u escapes can spell a letter: a body without one names its
	// fields literally.
	if !strings.Contains(body, `\u`) && (!strings.Contains(body, `"Type"`) || !strings.Contains(body, `"TopicArn"`)) {
		return body, nil
	}
	dec := jsontext.NewDecoder(bytes.NewBufferString(body))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return body, nil // not an object: the order's own rules say why
	}
	var typ, msg *string
	var msgKind, topicKind jsontext.Kind
	hasType := false
	for dec.PeekKind() == '"' {
		tok, err := dec.ReadToken()
		if err != nil {
			return "", invalid(jsonFault(err, "body"))
		}
		name := tok.String()
		switch k := dec.PeekKind(); {
		case name == "Type" && k == '"', name == "Message" && k == '"':
			v, err := dec.ReadToken()
			if err != nil {
				return "", invalid(jsonFault(err, name))
			}
			s := v.String()
			if name == "Type" {
				typ, hasType = &s, true
			} else {
				msg = &s
			}
			continue
		case name == "Message":
			msgKind = k
		case name == "Type":
			hasType = true
		case name == "TopicArn":
			topicKind = k
		}
		if err := dec.SkipValue(); err != nil {
			return "", invalid(jsonFault(err, fieldName(name)))
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return "", invalid(jsonFault(err, "body"))
	}
	if !hasType || topicKind == 0 {
		return body, nil
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return "", invalid(FieldError{"body", "must hold exactly one JSON object and nothing after it"})
	}
	var errs ValidationError
	if typ == nil || *typ != "Notification" {
		errs.add(-1, "Type", `must be "Notification" in an SNS envelope`)
	}
	if topicKind != '"' {
		errs.add(-1, "TopicArn", "must be a string, the topic's ARN, in an SNS envelope, not "+kindName(topicKind))
	}
	switch {
	case msg != nil:
	case msgKind == 0:
		errs.add(-1, "Message", "is required in an SNS envelope: it holds the order")
	default:
		errs.add(-1, "Message", "must be a string that holds the order in an SNS envelope, not "+kindName(msgKind))
	}
	if errs.len() > 0 {
		return "", errs
	}
	return *msg, nil
}
