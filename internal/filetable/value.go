package filetable

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// value is one DynamoDB AttributeValue, validated, with numbers in the
// canonical form DynamoDB returns them in.
type value struct {
	typ  string   // S, N, B, SS, NS, BS, M, L, NULL, BOOL
	str  string   // S; N canonical; B's raw bytes
	set  []string // SS; NS canonical; BS raw bytes
	m    item     // M
	list []value  // L
	bool bool     // BOOL
}

// item is an item or a map: attribute name to value.
type item map[string]value

// errValue is a request's AttributeValue that DynamoDB refuses; the
// message is DynamoDB's.
type errValue struct{ msg string }

func (e *errValue) Error() string { return e.msg }

func invalidValue(format string, a ...any) error { return &errValue{fmt.Sprintf(format, a...)} }

// decodeItem reads a map of AttributeValues as DynamoDB's JSON protocol
// sends it.
func decodeItem(raw json.RawMessage) (item, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return nil, &errSerialization{err.Error()}
	}
	it := make(item, len(members))
	for name, r := range members {
		v, err := decodeValue(r)
		if err != nil {
			return nil, err
		}
		it[name] = v
	}
	return it, nil
}

// errSerialization is a body that is no JSON of the shape the operation
// takes: DynamoDB's SerializationException.
type errSerialization struct{ msg string }

func (e *errSerialization) Error() string { return e.msg }

func decodeValue(raw json.RawMessage) (value, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return value{}, &errSerialization{err.Error()}
	}
	var v value
	var first error
	n := 0
	for typ, r := range members {
		if string(r) == "null" || !dataTypes[typ] {
			continue // absent, or no member of AttributeValue: DynamoDB's deserializer ignores those
		}
		n++
		var err error
		v, err = decodeMember(typ, r)
		if err != nil && first == nil {
			first = err
		}
	}
	if n == 0 {
		return value{}, invalidValue("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
	}
	if first != nil {
		return value{}, first
	}
	if n > 1 {
		return value{}, invalidValue("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
	}
	return v, nil
}

var dataTypes = set("S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL")

func decodeMember(typ string, r json.RawMessage) (value, error) {
	v := value{typ: typ}
	var err error
	switch typ {
	case "S":
		err = unmarshal(r, &v.str)
	case "N":
		if err = unmarshal(r, &v.str); err == nil {
			v.str, err = canonicalNumber(v.str)
		}
	case "B":
		v.str, err = decodeBinary(r)
	case "BOOL":
		err = unmarshal(r, &v.bool)
	case "NULL":
		var b bool
		if err = unmarshal(r, &b); err == nil && !b {
			err = invalidValue("One or more parameter values were invalid: Null attribute value types must have the value of true")
		}
	case "SS", "NS", "BS":
		var raws []json.RawMessage
		if err = unmarshal(r, &raws); err != nil {
			break
		}
		v.set, err = decodeSet(typ, raws)
	case "L":
		var raws []json.RawMessage
		if err = unmarshal(r, &raws); err != nil {
			break
		}
		v.list = make([]value, len(raws))
		for i, e := range raws {
			if v.list[i], err = decodeValue(e); err != nil {
				break
			}
		}
	case "M":
		v.m, err = decodeItem(r)
	}
	return v, err
}

func unmarshal(r json.RawMessage, v any) error {
	if err := json.Unmarshal(r, v); err != nil {
		return &errSerialization{err.Error()}
	}
	return nil
}

func decodeBinary(r json.RawMessage) (string, error) {
	var s string
	if err := unmarshal(r, &s); err != nil {
		return "", err
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", &errSerialization{"Base64 encoded value is invalid: " + err.Error()}
	}
	return string(b), nil
}

func decodeSet(typ string, raws []json.RawMessage) ([]string, error) {
	if len(raws) == 0 {
		switch typ {
		case "SS":
			return nil, invalidValue("One or more parameter values were invalid: An string set  may not be empty")
		case "NS":
			return nil, invalidValue("One or more parameter values were invalid: An number set  may not be empty")
		}
		return nil, invalidValue("One or more parameter values were invalid: Binary sets should not be empty")
	}
	set := make([]string, len(raws))
	seen := make(map[string]bool, len(raws))
	dup := false
	for i, r := range raws {
		var err error
		switch typ {
		case "SS":
			err = unmarshal(r, &set[i])
		case "NS":
			if err = unmarshal(r, &set[i]); err == nil {
				set[i], err = canonicalNumber(set[i])
			}
		case "BS":
			set[i], err = decodeBinary(r)
		}
		if err != nil {
			return nil, err
		}
		dup = dup || seen[set[i]]
		seen[set[i]] = true
	}
	if dup {
		switch typ {
		case "SS":
			return nil, invalidValue("One or more parameter values were invalid: Input collection [%s] contains duplicates.", strings.Join(set, ", "))
		case "NS":
			return nil, invalidValue("Input collection contains duplicates")
		}
		return nil, invalidValue("One or more parameter values were invalid: Input collection %sof type BS contains duplicates.", base64List(set))
	}
	return set, nil
}

func base64List(set []string) string {
	enc := make([]string, len(set))
	for i, b := range set {
		enc[i] = base64.StdEncoding.EncodeToString([]byte(b))
	}
	return "[" + strings.Join(enc, ", ") + "]"
}

// DynamoDB's numbers: at most 38 significant digits, magnitudes from
// 1E-130 to below 1E+126 (the Developer Guide's "Number" data type).
const (
	maxDigits   = 38
	maxExponent = 125  // of the first significant digit
	minExponent = -130 // of the first significant digit
)

// canonicalNumber checks a Number as DynamoDB does and writes it as
// DynamoDB returns it: plain decimal notation, no exponent, no leading or
// trailing zeros, no sign on zero.
func canonicalNumber(s string) (string, error) {
	if s == "" {
		return "", invalidValue("The parameter cannot be converted to a numeric value")
	}
	neg, digits, exp, ok := parseNumber(s)
	if !ok {
		return "", invalidValue("The parameter cannot be converted to a numeric value: %s", s)
	}
	if digits == "" {
		return "0", nil
	}
	switch {
	case exp > maxExponent:
		return "", invalidValue("Number overflow. Attempting to store a number with magnitude larger than supported range")
	case exp < minExponent:
		return "", invalidValue("Number underflow. Attempting to store a number with magnitude smaller than supported range")
	case len(digits) > maxDigits:
		return "", invalidValue("Attempting to store more than 38 significant digits in a Number")
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	switch {
	case exp < 0:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -exp-1))
		b.WriteString(digits)
	case exp >= len(digits)-1:
		b.WriteString(digits)
		b.WriteString(strings.Repeat("0", exp-len(digits)+1))
	default:
		b.WriteString(digits[:exp+1])
		b.WriteByte('.')
		b.WriteString(digits[exp+1:])
	}
	return b.String(), nil
}

// parseNumber reads [-]digits[.digits][(e|E)[+|-]digits] (or .digits) into
// its sign, its significant digits without leading or trailing zeros
// (empty for zero), and the exponent of the first of them.
func parseNumber(s string) (neg bool, digits string, exp int, ok bool) {
	i := 0
	if i < len(s) && s[i] == '-' {
		neg = true
		i++
	}
	var mant []byte
	point := -1
	nd := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c == '.' && point < 0 {
			point = nd
			continue
		}
		if c < '0' || c > '9' {
			break
		}
		mant = append(mant, c)
		nd++
	}
	if nd == 0 {
		return false, "", 0, false
	}
	if point < 0 {
		point = nd
	}
	e := 0
	if i < len(s) {
		if s[i] != 'e' && s[i] != 'E' {
			return false, "", 0, false
		}
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		if i == len(s) {
			return false, "", 0, false
		}
		for ; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return false, "", 0, false
			}
			if e < 1e6 {
				e = e*10 + int(s[i]-'0')
			}
		}
		if eneg {
			e = -e
		}
	}
	lead := 0
	for lead < len(mant) && mant[lead] == '0' {
		lead++
	}
	trimmed := bytes.TrimRight(mant[lead:], "0")
	if len(trimmed) == 0 {
		return false, "", 0, true
	}
	return neg, string(trimmed), point - lead - 1 + e, true
}

// size is an attribute value's size by the Developer Guide's "DynamoDB item
// sizes and formats", without its name.
func (v value) size() int {
	switch v.typ {
	case "S", "B":
		return len(v.str)
	case "N":
		return numberSize(v.str)
	case "SS", "BS":
		n := 0
		for _, s := range v.set {
			n += len(s)
		}
		return n
	case "NS":
		n := 0
		for _, s := range v.set {
			n += numberSize(s)
		}
		return n
	case "NULL", "BOOL":
		return 1
	case "L":
		n := 3
		for _, e := range v.list {
			n += 1 + e.size()
		}
		return n
	case "M":
		return 3 + len(v.m) + v.m.size()
	}
	return 0
}

// numberSize is "(1 byte per two significant digits) + (1 byte)".
func numberSize(canonical string) int {
	_, digits, _, _ := parseNumber(canonical)
	return 1 + (len(digits)+1)/2
}

// size is the item's size: its attribute names' UTF-8 bytes and values'
// sizes.
func (it item) size() int {
	n := 0
	for name, v := range it {
		n += len(name) + v.size()
	}
	return n
}

// hasEmptyName reports whether a map at any depth below the item's
// attributes has the empty name as a key: DynamoDB refuses it there as at
// the top.
func (it item) hasEmptyName() bool {
	for _, v := range it {
		if v.hasEmptyName() {
			return true
		}
	}
	return false
}

func (v value) hasEmptyName() bool {
	switch v.typ {
	case "M":
		_, empty := v.m[""]
		return empty || v.m.hasEmptyName()
	case "L":
		for _, e := range v.list {
			if e.hasEmptyName() {
				return true
			}
		}
	}
	return false
}

// marshal writes the value in DynamoDB's JSON.
func (v value) appendJSON(b []byte) []byte {
	b = append(b, `{"`...)
	b = append(b, v.typ...)
	b = append(b, `":`...)
	switch v.typ {
	case "S", "N":
		b = appendString(b, v.str)
	case "B":
		b = appendString(b, base64.StdEncoding.EncodeToString([]byte(v.str)))
	case "BOOL":
		b = fmt.Appendf(b, "%t", v.bool)
	case "NULL":
		b = append(b, "true"...)
	case "SS", "NS", "BS":
		b = append(b, '[')
		for i, s := range v.set {
			if i > 0 {
				b = append(b, ',')
			}
			if v.typ == "BS" {
				s = base64.StdEncoding.EncodeToString([]byte(s))
			}
			b = appendString(b, s)
		}
		b = append(b, ']')
	case "L":
		b = append(b, '[')
		for i, e := range v.list {
			if i > 0 {
				b = append(b, ',')
			}
			b = e.appendJSON(b)
		}
		b = append(b, ']')
	case "M":
		b = v.m.appendJSON(b)
	}
	return append(b, '}')
}

// appendJSON writes the item in DynamoDB's JSON, its names sorted so that
// the same item is always the same bytes.
func (it item) appendJSON(b []byte) []byte {
	names := make([]string, 0, len(it))
	for name := range it {
		names = append(names, name)
	}
	sort.Strings(names)
	b = append(b, '{')
	for i, name := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, name)
		b = append(b, ':')
		b = it[name].appendJSON(b)
	}
	return append(b, '}')
}

func appendString(b []byte, s string) []byte {
	if utf8.ValidString(s) {
		enc, _ := json.Marshal(s)
		return append(b, enc...)
	}
	// json.Marshal would replace invalid bytes silently; DynamoDB's strings
	// are UTF-8, so the decoder never produces these.
	enc, _ := json.Marshal(strings.ToValidUTF8(s, "\uFFFD"))
	return append(b, enc...)
}
