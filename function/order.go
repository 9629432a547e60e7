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

// ValidationError is what makes a message poison, one that can never be
// stored: the rules it breaks. It keeps the first maxProblems in full, the
// ones its reason lists, and only counts the rest, so that a body of 20,000
// broken items costs about as much to judge as one of ten: the handler
// parses a batch before it works on any record, and a costly poison
// message would take the time of its valid neighbours.
type ValidationError struct {
	Problems []FieldError // the first maxProblems at most, in the order found
	More     int          // how many more problems there are

	limit int // the most Problems lists, when not maxProblems
}

// Error lists the first problems and counts the rest, so that a message
// with thousands of broken fields still has a reason of a few kilobytes.
func (e ValidationError) Error() string {
	var b strings.Builder
	for i, fe := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(fe.text(maxFieldBytes, maxRuleBytes))
	}
	switch e.More {
	case 0:
	case 1:
		b.WriteString("; and 1 more problem")
	default:
		fmt.Fprintf(&b, "; and %d more problems", e.More)
	}
	return b.String()
}

// invalid is the error of a message with one problem.
func invalid(problem FieldError) ValidationError {
	return ValidationError{Problems: []FieldError{problem}}
}

// len is the number of problems, the listed and the counted.
func (e *ValidationError) len() int { return len(e.Problems) + e.More }

// full reports whether Problems lists all it may.
func (e *ValidationError) full() bool {
	if e.limit > 0 {
		return len(e.Problems) >= e.limit
	}
	return len(e.Problems) >= maxProblems
}

// add records a problem of the field named by item (-1 for the order
// itself) and field; once maxProblems are listed it only counts it, and
// writes neither the path nor the rule.
func (e *ValidationError) add(item int, field, rule string) {
	e.addf(item, func() (string, string) { return field, rule })
}

// addf is add for a problem that costs something to write: write, which
// returns its field and rule, is called only for a problem that is listed.
func (e *ValidationError) addf(item int, write func() (field, rule string)) {
	if e.full() {
		e.More++
		return
	}
	field, rule := write()
	e.Problems = append(e.Problems, FieldError{path(item, field), rule})
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
	return parseOrder(body, at, maxProblems)
}

// parseOrder is ParseOrderAt with an error that lists up to limit problems
// (the tests see them all) and counts the rest.
func parseOrder(body string, at time.Time, limit int) (Order, error) {
	if len(body) > MaxBodyBytes {
		return Order{}, invalid(FieldError{"body", fmt.Sprintf("must be at most %d bytes", MaxBodyBytes)})
	}
	if !utf8.ValidString(body) {
		return Order{}, invalid(FieldError{"body", "must be valid UTF-8"})
	}
	if strings.ContainsAny(body, "\uFFFE\uFFFF") {
		return Order{}, invalid(FieldError{"body", "must not contain U+FFFE or U+FFFF: Unicode noncharacters, which SQS refuses"})
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
		return Order{}, invalid(FieldError{whole, fmt.Sprintf("the order must be at most %d bytes", MaxOrderBytes)})
	}

	o, errs := decodeOrder(payload, at, limit)
	if errs.len() > 0 {
		for i := range errs.Problems {
			if errs.Problems[i].Field == "body" {
				errs.Problems[i].Field = whole
			}
		}
		return Order{}, errs
	}
	o.raw = payload
	return o, nil
}

// validate checks every rule of the order on the processing day of at and
// adds what it breaks to errs, the problems found before; skip marks the
// fields whose value was unusable and has been reported already. A valid
// order costs no allocation here, and neither does a problem past the
// listed ones: paths and rules are only written for a listed problem.
func (o Order) validate(errs ValidationError, skip *fieldMarks, at time.Time) ValidationError {
	v := validator{errs: errs, skip: skip, at: at}
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
		v.failf(-1, "items", func() string { return fmt.Sprintf("must hold at most %d items", MaxItems) })
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
			v.failf(i, "quantity", func() string { return fmt.Sprintf("must be at most %d", MaxQuantity) })
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
		v.failf(-1, "total", func() string {
			return "must equal the sum of quantity × unitPrice over the items: " + formatAmount(sum, scale)
		})
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
	units, decimals, fault := parseAmount(s)
	if fault != amountOK || decimals == scale {
		return s
	}
	return formatAmount(units, scale)
}

// validator collects broken rules. A field is named by an item index (-1 for
// the order itself) and a name, and its path is written only when needed.
type validator struct {
	errs ValidationError
	skip *fieldMarks
	at   time.Time // the processing day's, for the currency
}

// fieldMarks marks fields, each by its item index (-1 for the order itself)
// and name, with a bit: marking one costs no allocation and no path.
type fieldMarks struct {
	order fieldBits
	items []fieldBits
}

type fieldBits uint16

// bit is the field's bit, or 0 for a name validate never checks.
func bit(field string) fieldBits {
	for i, name := range [...]string{"", "sku", "quantity", "unitPrice", "orderId", "customerId", "items", "currency", "total", "createdAt"} {
		if field == name {
			return 1 << i
		}
	}
	return 0
}

func (m *fieldMarks) mark(item int, field string) {
	if item < 0 {
		m.order |= bit(field)
		return
	}
	for len(m.items) <= item {
		m.items = append(m.items, 0)
	}
	m.items[item] |= bit(field)
}

func (m *fieldMarks) has(item int, field string) bool {
	switch {
	case m == nil:
		return false
	case item < 0:
		return m.order&bit(field) != 0
	}
	return item < len(m.items) && m.items[item]&bit(field) != 0
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

func (v *validator) skipped(item int, field string) bool { return v.skip.has(item, field) }

func (v *validator) fail(item int, field, rule string) {
	v.failf(item, field, func() string { return rule })
}

// failf is fail for a rule that costs something to write; see addf.
func (v *validator) failf(item int, field string, rule func() string) {
	if !v.skipped(item, field) {
		v.errs.addf(item, func() (string, string) { return field, rule() })
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
		v.failf(item, field, func() string { return fmt.Sprintf("must be at most %d characters", maxTextLen) })
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
	units, decimals, fault := parseAmount(s)
	switch {
	case fault != amountOK:
		v.failf(item, field, fault.rule)
	case decimals > scale && currency == "":
		v.failf(item, field, func() string {
			return fmt.Sprintf("must have at most %d decimal places (the most any ISO 4217 currency has)", scale)
		})
	case decimals > scale:
		v.failf(item, field, func() string {
			return fmt.Sprintf("must have at most %d decimal places for %s (ISO 4217)", scale, currency)
		})
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

// amountFault is what makes a string no amount.
type amountFault uint8

const (
	amountOK amountFault = iota
	notDecimal
	leadingZero
	tooManyDigits
)

// rule is the rule an amount with the fault breaks.
func (f amountFault) rule() string {
	switch f {
	case notDecimal:
		return `must be a decimal string such as "12.34": digits, and at most one point with digits on both sides; no sign or exponent`
	case leadingZero:
		return `must not start with a zero before other digits, such as "012"`
	case tooManyDigits:
		return fmt.Sprintf("must have at most %d digits before the point", maxAmountDigits)
	}
	return ""
}

// parseAmount reads a non-negative decimal string ("0", "12", "12.5",
// "0.0001") as units of 10^-maxAmountScale, with the number of decimals it
// was written with. A string that is not one gets its fault; one with more
// decimals than maxAmountScale reads, with units 0, for the caller to
// refuse against the currency's decimals.
func parseAmount(s string) (units int64, decimals int, fault amountFault) {
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
		return 0, 0, notDecimal
	case len(whole) > 1 && whole[0] == '0':
		return 0, 0, leadingZero
	case len(whole) > maxAmountDigits:
		return 0, 0, tooManyDigits
	case len(frac) > maxAmountScale:
		return 0, len(frac), amountOK
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			units = units*10 + int64(part[i]-'0')
		}
	}
	for range maxAmountScale - len(frac) {
		units *= 10
	}
	return units, len(frac), amountOK
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
