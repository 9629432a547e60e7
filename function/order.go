package function

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/orderpipe/orderpipe/function/iso4217"
)

// Limits of an order. A message over them can never be stored, so it is
// rejected rather than retried.
const (
	MaxBodyBytes    = 256 << 10 // an SQS record body, envelope included
	MaxOrderBytes   = 64 << 10  // the order itself: well inside DynamoDB's 400 KB item limit
	MaxItems        = 100
	MaxQuantity     = 1_000_000
	maxIDLen        = 64
	maxTextLen      = 128
	maxAmountDigits = 12 // before the decimal point
	maxAmountScale  = 4  // after it: the most any ISO 4217 currency uses

	// A reason lists at most maxProblems problems, each cut to
	// maxFieldBytes and maxRuleBytes, then counts the rest: a body of
	// 20,000 broken items gives a reason of a few kilobytes, not megabytes,
	// and the log line that carries it stays far under CloudWatch Logs'
	// 256 KB event limit.
	maxProblems   = 10
	maxFieldBytes = 100
	maxRuleBytes  = 300
)

// Order is the message a producer publishes to the order topic, its fields
// exactly as sent. Amounts are decimal strings and are compared exactly,
// never as floating point.
type Order struct {
	OrderID    string `json:"orderId"`
	CustomerID string `json:"customerId"`
	Items      []Item `json:"items"`
	Currency   string `json:"currency"`
	Total      string `json:"total"`
	CreatedAt  string `json:"createdAt,omitempty"`

	raw string // the order JSON as the producer sent it, when parsed
}

// Item is one line of an order.
type Item struct {
	SKU       string `json:"sku"`
	Quantity  int64  `json:"quantity"`
	UnitPrice string `json:"unitPrice"`
}

// FieldError is one broken rule, with the path of its field, such as
// "items[1].quantity".
type FieldError struct {
	Field string
	Rule  string
}

func (e FieldError) String() string { return e.text(len(e.Field), len(e.Rule)) }

// text names the field as sent, at most maxField bytes of it, and, when
// some of its characters do not show (a zero-width space, a control
// character, a space at an end), also quoted, so that a reader sees what
// differs from the name they meant.
func (e FieldError) text(maxField, maxRule int) string {
	name := cut(e.Field, maxField)
	if strings.ContainsFunc(e.Field, func(r rune) bool { return !unicode.IsPrint(r) }) || strings.TrimSpace(e.Field) != e.Field {
		name += " (" + cut(strconv.Quote(e.Field), maxField) + ")"
	}
	return name + ": " + cut(e.Rule, maxRule)
}

// ValidationError lists every rule a message breaks. Such a message can never
// be stored: it is a poison message.
type ValidationError []FieldError

// Error lists the first problems and counts the rest, so that a message
// with thousands of broken fields still has a reason of a few kilobytes.
func (e ValidationError) Error() string {
	var b strings.Builder
	for i, fe := range e {
		if i == maxProblems {
			if n := len(e) - i; n == 1 {
				b.WriteString("; and 1 more problem")
			} else {
				fmt.Fprintf(&b, "; and %d more problems", n)
			}
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(fe.text(maxFieldBytes, maxRuleBytes))
	}
	return b.String()
}

// cut is at most n bytes of s, cut at a character boundary and marked.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	n -= len("…")
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// ParseOrder reads an SQS record body: an order, either raw or in the
// Message of an SNS notification. Its error is a ValidationError that names
// every field that breaks a rule. The currency is judged as of now; see
// ParseOrderAt.
func ParseOrder(body string) (Order, error) { return ParseOrderAt(body, time.Now()) }

// ParseOrderAt is ParseOrder on the processing day of at (in UTC): a
// currency code is taken if it is current on that day.
func ParseOrderAt(body string, at time.Time) (Order, error) {
	if len(body) > MaxBodyBytes {
		return Order{}, ValidationError{{"body", fmt.Sprintf("must be at most %d bytes", MaxBodyBytes)}}
	}
	if !utf8.ValidString(body) {
		return Order{}, ValidationError{{"body", "must be valid UTF-8"}}
	}
	if strings.ContainsAny(body, "\uFFFE\uFFFF") {
		return Order{}, ValidationError{{"body", "must not contain U+FFFE or U+FFFF: Unicode noncharacters, which SQS refuses"}}
	}
	payload, err := unwrapSNS(body)
	if err != nil {
		return Order{}, err
	}
	// In an envelope the order is the Message: a fault of the order as a
	// whole is named so.
	whole := "body"
	if len(payload) != len(body) {
		whole = "Message"
	}
	if len(payload) > MaxOrderBytes {
		return Order{}, ValidationError{{whole, fmt.Sprintf("the order must be at most %d bytes", MaxOrderBytes)}}
	}

	o, errs := decodeOrder(payload, at)
	if len(errs) > 0 {
		for i := range errs {
			if errs[i].Field == "body" {
				errs[i].Field = whole
			}
		}
		return Order{}, errs
	}
	o.raw = payload
	return o, nil
}

// validate checks every rule of the order on the processing day of at;
// skip holds the paths whose value was unusable and has been reported
// already. A valid order costs no allocation here: paths and rules are only
// written for a broken rule.
func (o Order) validate(skip map[string]bool, at time.Time) ValidationError {
	v := validator{skip: skip, at: at}
	if o.OrderID == "" {
		v.fail(-1, "orderId", "is required")
	} else if !validID(o.OrderID) {
		v.fail(-1, "orderId", "must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -")
	}
	v.text(-1, "customerId", o.CustomerID)

	scale, currency := v.currency(o.Currency)

	switch {
	case len(o.Items) == 0:
		v.fail(-1, "items", "must hold at least one item")
	case len(o.Items) > MaxItems:
		v.fail(-1, "items", fmt.Sprintf("must hold at most %d items", MaxItems))
	}
	var sum int64
	sumOK := len(o.Items) > 0 && !v.skipped(-1, "items")
	for i := range o.Items {
		it := &o.Items[i]
		if v.skipped(i, "") {
			sumOK = false
			continue
		}
		v.text(i, "sku", it.SKU)
		quantityOK := it.Quantity > 0 && it.Quantity <= MaxQuantity && !v.skipped(i, "quantity")
		if it.Quantity <= 0 {
			v.fail(i, "quantity", "must be > 0")
		} else if it.Quantity > MaxQuantity {
			v.fail(i, "quantity", fmt.Sprintf("must be at most %d", MaxQuantity))
		}
		price, priceOK := v.amount(i, "unitPrice", it.UnitPrice, scale, currency)
		if !quantityOK || !priceOK || !sumOK {
			sumOK = false
			continue
		}
		if sum, sumOK = addProduct(sum, it.Quantity, price); !sumOK {
			v.fail(-1, "total", "the items add up to more than an amount can hold")
		}
	}
	total, ok := v.amount(-1, "total", o.Total, scale, currency)
	if ok && sumOK && total != sum {
		v.fail(-1, "total", "must equal the sum of quantity × unitPrice over the items: "+formatAmount(sum, scale))
	}
	if o.CreatedAt != "" {
		if _, rule := rfc3339Instant(o.CreatedAt); rule != "" {
			v.fail(-1, "createdAt", rule)
		}
	}
	return v.errs
}

// identity is what makes two deliveries the same order: its fields as JSON,
// with amounts at the currency's decimals ("20" and "20.0" EUR are "20.00")
// and createdAt as the instant it names, in UTC ("…T15:37:00+01:00" and
// "…T14:37:00.000Z" are "…T14:37:00Z"). Whitespace, the order of the fields
// and escapes never show in it. It is meant for a valid order.
func (o Order) identity() []byte {
	scale := maxAmountScale
	if c, ok := iso4217.Lookup(o.Currency); ok && c.MinorUnits >= 0 {
		scale = c.MinorUnits
	}
	id := o
	id.raw = ""
	id.Total = normalAmount(o.Total, scale)
	id.Items = make([]Item, len(o.Items))
	for i, it := range o.Items {
		it.UnitPrice = normalAmount(it.UnitPrice, scale)
		id.Items[i] = it
	}
	if o.CreatedAt != "" {
		if instant, rule := rfc3339Instant(o.CreatedAt); rule == "" {
			id.CreatedAt = instant
		}
	}
	return id.canonical()
}

// Payload is the order JSON exactly as the producer sent it (the body, or
// the Message of its SNS envelope); for an order that was not parsed, its
// fields as JSON.
func (o Order) Payload() string {
	if o.raw != "" {
		return o.raw
	}
	return string(o.canonical())
}

func normalAmount(s string, scale int) string {
	units, decimals, rule := parseAmount(s)
	if rule != "" || decimals == scale {
		return s
	}
	return formatAmount(units, scale)
}

// validator collects broken rules. A field is named by an item index (-1 for
// the order itself) and a name, and its path is written only when needed.
type validator struct {
	errs ValidationError
	skip map[string]bool
	at   time.Time // the processing day's, for the currency
}

func path(item int, field string) string {
	if item < 0 {
		return field
	}
	p := "items[" + strconv.Itoa(item) + "]"
	if field != "" {
		p += "." + field
	}
	return p
}

func (v *validator) skipped(item int, field string) bool {
	return v.skip != nil && v.skip[path(item, field)]
}

func (v *validator) fail(item int, field, rule string) {
	if !v.skipped(item, field) {
		v.errs = append(v.errs, FieldError{path(item, field), rule})
	}
}

// currency checks the order's currency against ISO 4217 List One and
// returns its decimals and the code; for a code that is refused,
// maxAmountScale and "", as amounts have no currency to be checked against.
func (v *validator) currency(code string) (int, string) {
	if code == "" {
		v.fail(-1, "currency", "is required")
		return maxAmountScale, ""
	}
	// The processing day, not createdAt: a code withdrawn since the order
	// was written is still no currency to store it in.
	c, err := iso4217.At(code, v.at)
	switch {
	case err != nil && (len(code) != 3 || strings.ContainsFunc(code, func(r rune) bool { return r < 'A' || r > 'Z' })):
		v.fail(-1, "currency", "must be an ISO 4217 code: three upper-case letters such as EUR")
	case err != nil:
		v.fail(-1, "currency", err.Error())
	case c.MinorUnits == iso4217.NoMinorUnit:
		v.fail(-1, "currency", fmt.Sprintf("%s (%s) is not a currency an order can be paid in: ISO 4217 gives it no minor unit", code, c.Name))
	case c.Fund:
		v.fail(-1, "currency", fmt.Sprintf("%s (%s) is a funds code of ISO 4217, an index for financial instruments, not a currency an order is paid in", code, c.Name))
	default:
		return c.MinorUnits, code
	}
	return maxAmountScale, ""
}

func (v *validator) text(item int, field, s string) {
	if s == "" {
		v.fail(item, field, "is required")
	}
	if strings.ContainsAny(s, "\uFFFE\uFFFF") {
		v.fail(item, field, "must not contain U+FFFE or U+FFFF: Unicode noncharacters, which SQS refuses")
	}
	if len(s) > maxTextLen && utf8.RuneCountInString(s) > maxTextLen {
		v.fail(item, field, fmt.Sprintf("must be at most %d characters", maxTextLen))
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		v.fail(item, field, "must not contain control characters")
	}
}

// amount reads a money amount in units of 10^-maxAmountScale, and whether
// it is usable.
func (v *validator) amount(item int, field, s string, scale int, currency string) (int64, bool) {
	if s == "" {
		v.fail(item, field, "is required")
		return 0, false
	}
	units, decimals, rule := parseAmount(s)
	switch {
	case rule != "":
		v.fail(item, field, rule)
	case decimals > scale && currency == "":
		v.fail(item, field, fmt.Sprintf("must have at most %d decimal places (the most any ISO 4217 currency has)", scale))
	case decimals > scale:
		v.fail(item, field, fmt.Sprintf("must have at most %d decimal places for %s (ISO 4217)", scale, currency))
	default:
		return units, !v.skipped(item, field)
	}
	return 0, false
}

func idChar(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

func notIDChar(c rune) bool { return !idChar(c) }

func validID(s string) bool { return len(s) <= maxIDLen && !strings.ContainsFunc(s, notIDChar) }

// parseAmount reads a non-negative decimal string ("0", "12", "12.5",
// "0.0001") as units of 10^-maxAmountScale, with the number of decimals it
// was written with. A string that is not one gets the rule it breaks; one
// with more decimals than maxAmountScale reads, with units 0, for the
// caller to refuse against the currency's decimals.
func parseAmount(s string) (units int64, decimals int, rule string) {
	whole, frac, hasPoint := strings.Cut(s, ".")
	digits := func(p string) bool {
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return false
			}
		}
		return true
	}
	switch {
	case whole == "" || !digits(whole) || hasPoint && (frac == "" || !digits(frac)):
		return 0, 0, `must be a decimal string such as "12.34": digits, and at most one point with digits on both sides; no sign or exponent`
	case len(whole) > 1 && whole[0] == '0':
		return 0, 0, `must not start with a zero before other digits, such as "012"`
	case len(whole) > maxAmountDigits:
		return 0, 0, fmt.Sprintf("must have at most %d digits before the point", maxAmountDigits)
	case len(frac) > maxAmountScale:
		return 0, len(frac), ""
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			units = units*10 + int64(part[i]-'0')
		}
	}
	for range maxAmountScale - len(frac) {
		units *= 10
	}
	return units, len(frac), ""
}

// addProduct returns sum + q × price, and false when that overflows. All
// three are non-negative.
func addProduct(sum, q, price int64) (int64, bool) {
	hi, lo := bits.Mul64(uint64(q), uint64(price))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, false
	}
	s, carry := bits.Add64(uint64(sum), lo, 0)
	if carry != 0 || s > math.MaxInt64 {
		return 0, false
	}
	return int64(s), true
}

// formatAmount writes units of 10^-maxAmountScale with scale decimals.
func formatAmount(units int64, scale int) string {
	var div int64 = 1
	for range maxAmountScale - scale {
		div *= 10
	}
	s := strconv.FormatInt(units/div, 10)
	if scale == 0 {
		return s
	}
	s = fmt.Sprintf("%0*s", scale+1, s)
	return s[:len(s)-scale] + "." + s[len(s)-scale:]
}

// fieldName is an unknown field's name as the sender wrote it (after its
// JSON escapes), so that the path names the field they sent; only an
// empty name, which would not show, is quoted. FieldError.String shows a
// name whose characters do not show as they are.
func fieldName(name string) string {
	if name == "" {
		return `""`
	}
	return name
}

// canonical is the order's fields as JSON, in one order and without
// whitespace.
func (o Order) canonical() []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(o); err != nil {
		// Order holds strings and integers only.
		panic(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
