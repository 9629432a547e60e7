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

	"golang.org/x/text/currency"
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
)

// Order is the message a producer publishes to the order topic. Amounts are
// decimal strings and are compared exactly, never as floating point.
type Order struct {
	OrderID    string `json:"orderId"`
	CustomerID string `json:"customerId"`
	Items      []Item `json:"items"`
	Currency   string `json:"currency"`
	Total      string `json:"total"`
	CreatedAt  string `json:"createdAt,omitempty"`
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

func (e FieldError) String() string { return e.Field + ": " + e.Rule }

// ValidationError lists every rule a message breaks. Such a message can never
// be stored: it is a poison message.
type ValidationError []FieldError

func (e ValidationError) Error() string {
	s := make([]string, len(e))
	for i, fe := range e {
		s[i] = fe.String()
	}
	return strings.Join(s, "; ")
}

// ParseOrder reads an SQS record body: an order, either raw or in the
// Message of an SNS notification. Its error is a ValidationError that names
// every field that breaks a rule.
func ParseOrder(body string) (Order, error) {
	if len(body) > MaxBodyBytes {
		return Order{}, ValidationError{{"body", fmt.Sprintf("must be at most %d bytes", MaxBodyBytes)}}
	}
	if !utf8.ValidString(body) {
		return Order{}, ValidationError{{"body", "must be valid UTF-8"}}
	}
	payload, err := unwrapSNS(body)
	if err != nil {
		return Order{}, err
	}
	if len(payload) > MaxOrderBytes {
		return Order{}, ValidationError{{"body", fmt.Sprintf("the order must be at most %d bytes", MaxOrderBytes)}}
	}

	o, errs := decodeOrder(payload)
	if len(errs) > 0 {
		return Order{}, errs
	}
	o.normalize()
	return o, nil
}

// validate checks every rule of the order; skip holds the paths whose value
// was unusable and has been reported already. A valid order costs no
// allocation here: paths and rules are only written for a broken rule.
func (o Order) validate(skip map[string]bool) ValidationError {
	v := validator{skip: skip}
	if o.OrderID == "" {
		v.fail(-1, "orderId", "is required")
	} else if !validID(o.OrderID) {
		v.fail(-1, "orderId", "must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -")
	}
	v.text(-1, "customerId", o.CustomerID)

	scale, known := currencyScale(o.Currency)
	switch {
	case o.Currency == "":
		v.fail(-1, "currency", "is required")
	case !known:
		v.fail(-1, "currency", "must be an ISO 4217 currency code such as EUR")
	}

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
		price, priceOK := v.amount(i, "unitPrice", it.UnitPrice, scale, o.Currency)
		if !quantityOK || !priceOK || !sumOK {
			sumOK = false
			continue
		}
		if sum, sumOK = addProduct(sum, it.Quantity, price); !sumOK {
			v.fail(-1, "total", "the items add up to more than an amount can hold")
		}
	}
	total, ok := v.amount(-1, "total", o.Total, scale, o.Currency)
	if ok && sumOK && total != sum {
		v.fail(-1, "total", "must equal the sum of quantity × unitPrice over the items: "+formatAmount(sum, scale))
	}
	if o.CreatedAt != "" {
		if _, err := time.Parse(time.RFC3339Nano, upperTZ(o.CreatedAt)); err != nil {
			v.fail(-1, "createdAt", "must be an RFC 3339 time such as 2026-11-26T14:37:00Z")
		}
	}
	return v.errs
}

// normalize writes a valid order the one way the store keeps it, so that a
// producer that reformats an order when it sends it again is not taken for
// another order: amounts with the currency's decimals ("20" and "20.0" EUR
// are "20.00"), and createdAt with upper-case T and Z.
func (o *Order) normalize() {
	scale, _ := currencyScale(o.Currency)
	o.Total = normalAmount(o.Total, scale)
	for i := range o.Items {
		o.Items[i].UnitPrice = normalAmount(o.Items[i].UnitPrice, scale)
	}
	o.CreatedAt = upperTZ(o.CreatedAt)
}

// currencyScale is the number of decimals of an upper-case ISO 4217 code,
// and whether it is one; for anything else it is maxAmountScale.
func currencyScale(code string) (int, bool) {
	cur, err := currency.ParseISO(code)
	if err != nil || code != strings.ToUpper(code) || cur == currency.XXX {
		return maxAmountScale, false
	}
	scale, _ := currency.Standard.Rounding(cur)
	return scale, true
}

func normalAmount(s string, scale int) string {
	units, decimals, _ := parseAmount(s)
	if decimals == scale {
		return s
	}
	return formatAmount(units, scale)
}

// upperTZ writes an RFC 3339 time's "t" and "z", which section 5.6 allows in
// lower case, in upper case, as Go's time package reads them.
func upperTZ(s string) string {
	if len(s) <= len("2006-01-02") || s[10] != 't' && s[len(s)-1] != 'z' {
		return s
	}
	b := []byte(s)
	if b[10] == 't' {
		b[10] = 'T'
	}
	if b[len(b)-1] == 'z' {
		b[len(b)-1] = 'Z'
	}
	return string(b)
}

// validator collects broken rules. A field is named by an item index (-1 for
// the order itself) and a name, and its path is written only when needed.
type validator struct {
	errs ValidationError
	skip map[string]bool
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

func (v *validator) text(item int, field, s string) {
	if s == "" {
		v.fail(item, field, "is required")
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
	units, decimals, ok := parseAmount(s)
	switch {
	case !ok:
		v.fail(item, field, fmt.Sprintf(`must be a decimal string such as "12.34", with at most %d digits before the point`, maxAmountDigits))
	case decimals > scale:
		v.fail(item, field, fmt.Sprintf("must have at most %d decimal places for %s", scale, currency))
		ok = false
	}
	return units, ok && !v.skipped(item, field)
}

func idChar(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

func notIDChar(c rune) bool { return !idChar(c) }

func validID(s string) bool { return len(s) <= maxIDLen && !strings.ContainsFunc(s, notIDChar) }

// parseAmount reads a non-negative decimal string ("0", "12", "12.5",
// "0.0001") as units of 10^-maxAmountScale, with the number of decimals it
// was written with.
func parseAmount(s string) (units int64, decimals int, ok bool) {
	whole, frac, hasPoint := strings.Cut(s, ".")
	if whole == "" || len(whole) > maxAmountDigits || (len(whole) > 1 && whole[0] == '0') ||
		hasPoint && (frac == "" || len(frac) > maxAmountScale) {
		return 0, 0, false
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return 0, 0, false
			}
			units = units*10 + int64(part[i]-'0')
		}
	}
	for range maxAmountScale - len(frac) {
		units *= 10
	}
	return units, len(frac), true
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

// fieldName writes an unknown field's name as it stands when it is a plain
// name, else quoted, so that an empty or odd name still shows in a report.
func fieldName(name string) string {
	if name != "" && !strings.ContainsFunc(name, notIDChar) {
		return name
	}
	return strconv.Quote(name)
}

// canonical is the order as the store keeps it and hashes it: the same
// order, however it was delivered or formatted, has the same bytes.
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
