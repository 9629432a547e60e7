//go:build ignore

// outsideorders writes a file of orders for `orderpipe local --orders`,
// written from docs/handler.md's rules and the README by someone who did not
// write the handler (it shares no code with genorders.go), and what each
// line should become. Besides valid orders it writes exact re-sends, re-sends
// formatted differently (member order, whitespace, escapes, trailing zeros,
// createdAt in another offset or with a zero fraction, an SNS envelope
// around a raw order), conflicting re-sends, poison orders of many kinds,
// lines SNS refuses (invalid UTF-8, U+FFFE/U+FFFF, control characters, over
// 256 KiB) and blank lines, CRLF endings and padding.
//
// The expectations go to -expect as JSON: the totals the report must show
// where the order of handling does not matter (stored, refused, the
// handler's rejections) and, where it does, the sum and the range
// (duplicates and conflicts of one id: SQS keeps no order, so a conflicting
// line handled before its id's first line is the one stored); and, per
// poison line, a marker found in the first 100 bytes of its body and the
// field its reason must name.
//
//	go run local/testdata/outsideorders.go -n 10000 -o o10k.jsonl -expect o10k.json
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"
)

type item struct {
	sku   string
	qty   int
	price int64 // minor units
}

type order struct {
	id, customer, currency string
	items                  []item
	created                time.Time // zero: no createdAt
	frac                   int       // digits of fraction written, 0 none
}

var decimals = map[string]int{"EUR": 2, "USD": 2, "GBP": 2, "JPY": 0, "KRW": 0, "CLP": 0, "BHD": 3, "KWD": 3, "IQD": 3, "UYW": 4, "CHF": 2}
var currencies = []string{"EUR", "USD", "GBP", "JPY", "KRW", "CLP", "BHD", "KWD", "IQD", "UYW", "CHF"}

// style is how an order is written; every style of one order is the same
// order by the docs' identity (fields, amounts at the currency's decimals,
// createdAt's instant).
type style struct {
	shuffle  bool   // members in another order
	space    string // between tokens
	trim     bool   // trailing zeros of amounts dropped ("20.00" -> "20")
	offset   string // createdAt offset: "" Z, else "+hh:mm" / "-hh:mm"
	lowerTZ  bool   // "t" and "z"
	zeroFrac int    // extra zero digits appended to the fraction
	escape   bool   // string values with \u escapes for some characters
	envelope bool   // an SNS notification around the order
}

func amount(m int64, d int, trim bool) string {
	if d == 0 {
		return strconv.FormatInt(m, 10)
	}
	p := int64(1)
	for range d {
		p *= 10
	}
	s := fmt.Sprintf("%d.%0*d", m/p, d, m%p)
	if trim {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	return s
}

func str(s string, escape bool) string {
	b, _ := json.Marshal(s)
	out := string(b)
	if escape {
		out = strings.ReplaceAll(out, "-", `\u002d`)
		out = strings.ReplaceAll(out, "/", `\/`)
	}
	return out
}

func (o order) total() int64 {
	var t int64
	for _, it := range o.items {
		t += int64(it.qty) * it.price
	}
	return t
}

func (o order) createdAt(st style) string {
	t := o.created
	loc := time.UTC
	if st.offset != "" {
		sign := 1
		if st.offset[0] == '-' {
			sign = -1
		}
		h, _ := strconv.Atoi(st.offset[1:3])
		m, _ := strconv.Atoi(st.offset[4:6])
		loc = time.FixedZone("x", sign*(h*3600+m*60))
	}
	t = t.In(loc)
	s := t.Format("2006-01-02T15:04:05")
	if o.frac > 0 || st.zeroFrac > 0 {
		f := fmt.Sprintf("%09d", t.Nanosecond())[:o.frac] + strings.Repeat("0", st.zeroFrac)
		s += "." + f
	}
	switch {
	case st.offset == "" && st.lowerTZ:
		s += "z"
	case st.offset == "":
		s += "Z"
	default:
		s += st.offset
	}
	if st.lowerTZ {
		s = strings.Replace(s, "T", "t", 1)
	}
	return s
}

func (o order) members(st style, rnd *rand.Rand) []string {
	d := decimals[o.currency]
	sp := st.space
	kv := func(k, v string) string { return `"` + k + `"` + sp + ":" + sp + v }
	var items []string
	for _, it := range o.items {
		m := []string{kv("sku", str(it.sku, st.escape)), kv("quantity", strconv.Itoa(it.qty)), kv("unitPrice", `"`+amount(it.price, d, st.trim)+`"`)}
		if st.shuffle {
			rnd.Shuffle(len(m), func(i, j int) { m[i], m[j] = m[j], m[i] })
		}
		items = append(items, "{"+sp+strings.Join(m, ","+sp)+sp+"}")
	}
	m := []string{
		kv("orderId", str(o.id, st.escape)),
		kv("customerId", str(o.customer, st.escape)),
		kv("items", "["+sp+strings.Join(items, ","+sp)+sp+"]"),
		kv("currency", str(o.currency, false)),
		kv("total", `"`+amount(o.total(), d, st.trim)+`"`),
	}
	if !o.created.IsZero() {
		m = append(m, kv("createdAt", `"`+o.createdAt(st)+`"`))
	}
	if st.shuffle {
		// orderId stays in the first 100 bytes so that a report's
		// abbreviated body can be told apart.
		rest := m[1:]
		rnd.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
	}
	return m
}

func (o order) json(st style, rnd *rand.Rand) string {
	s := "{" + st.space + strings.Join(o.members(st, rnd), ","+st.space) + st.space + "}"
	if st.envelope {
		return envelope(o.id, s)
	}
	return s
}

// envelope is an SNS notification as SNS writes it, around msg; its
// MessageId carries id, so that a report's abbreviated body shows it.
func envelope(id, msg string) string {
	m, _ := json.Marshal(msg)
	return `{"Type":"Notification","MessageId":"` + id + `-0000-4000-8000-000000000000` +
		`","TopicArn":"arn:aws:sns:us-east-1:000000000000:orderpipe-local-OrderTopic","Message":` + string(m) +
		`,"Timestamp":"2026-11-30T08:00:00.000Z","SignatureVersion":"1"}`
}

type line struct {
	text  string
	kind  string // stored, dup, conflict, rejected, refused, blank
	id    string // group id (orderId) for stored/dup/conflict
	ident string // identity within the group
	// for rejected: marker in the first 100 bytes and the field the reason names
	marker, field string
}

type gen struct {
	rnd   *rand.Rand
	n     int
	lines []line
	valid []order // orders written so far, for re-sends
	seq   int
}

func (g *gen) newOrder() order {
	g.seq++
	cur := currencies[g.rnd.IntN(len(currencies))]
	o := order{id: fmt.Sprintf("o-%06d", g.seq), customer: fmt.Sprintf("c-%d", g.rnd.IntN(5000)), currency: cur}
	for i := range 1 + g.rnd.IntN(4) {
		o.items = append(o.items, item{sku: fmt.Sprintf("SKU-%d-%d", i, g.rnd.IntN(100)), qty: 1 + g.rnd.IntN(20), price: g.rnd.Int64N(1_000_000)})
	}
	if g.rnd.IntN(4) > 0 {
		o.created = time.Date(2026, 1+time.Month(g.rnd.IntN(12)), 1+g.rnd.IntN(28), g.rnd.IntN(24), g.rnd.IntN(60), g.rnd.IntN(60), 0, time.UTC)
		if g.rnd.IntN(3) == 0 {
			o.frac = 1 + g.rnd.IntN(9)
			o.created = o.created.Add(time.Duration(g.rnd.IntN(1e9)))
			// the fraction written has frac digits: drop the rest
			p := 1
			for range 9 - o.frac {
				p *= 10
			}
			o.created = o.created.Truncate(time.Duration(p))
		}
	}
	return o
}

func (g *gen) add(l line) { g.lines = append(g.lines, l) }

func (g *gen) reformatted() style {
	offsets := []string{"+00:00", "-00:00", "+05:30", "-08:00", "+14:00", "-11:45", "+23:59"}
	st := style{shuffle: g.rnd.IntN(2) == 0, trim: g.rnd.IntN(2) == 0, escape: g.rnd.IntN(3) == 0, envelope: g.rnd.IntN(3) == 0, lowerTZ: g.rnd.IntN(4) == 0}
	st.space = []string{"", " ", "\t", "  \t "}[g.rnd.IntN(4)]
	if g.rnd.IntN(2) == 0 {
		st.offset = offsets[g.rnd.IntN(len(offsets))]
	}
	st.zeroFrac = []int{0, 0, 1, 3}[g.rnd.IntN(4)]
	return st
}

// pick is an earlier order: a close one (the last 20) or any.
func (g *gen) pick(close bool) (order, bool) {
	if len(g.valid) == 0 {
		return order{}, false
	}
	if close {
		return g.valid[max(0, len(g.valid)-1-g.rnd.IntN(min(20, len(g.valid))))], true
	}
	return g.valid[g.rnd.IntN(len(g.valid))], true
}

func (g *gen) poison() {
	g.seq++
	id := fmt.Sprintf("p-%06d", g.seq)
	base := order{id: id, customer: "c-1", currency: "EUR", items: []item{{"A-1", 2, 999}}}
	good := base.json(style{}, g.rnd)
	rep := func(old, new string) string { return strings.Replace(good, old, new, 1) }
	cases := []struct{ text, field string }{
		{`{"orderId":"` + id + `","customerId":`, "body"},
		{rep(`"quantity":2`, `"quantity":"2"`), "items[0].quantity"},
		{rep(`"quantity":2`, `"quantity":1.5`), "items[0].quantity"},
		{rep(`"quantity":2`, `"quantity":0`), "items[0].quantity"},
		{rep(`"quantity":2`, `"quantity":1000001`), "items[0].quantity"},
		{rep(`"total":"19.98"`, `"total":19.98`), "total"},
		{rep(`"total":"19.98"`, `"total":"19.99"`), "total"},
		{rep(`,"customerId":"c-1"`, ``), "customerId"},
		{rep(`"customerId":"c-1"`, `"customerId":null`), "customerId"},
		{rep(`"customerId":"c-1"`, `"customerId":"\ud800"`), "customerId"},
		{rep(`"customerId":"c-1"`, `"customerId":"c\uffff"`), "customerId"},
		{rep(`"customerId":"c-1"`, `"customerId":"c\u0001"`), "customerId"},
		{rep(`"customerId":"c-1"`, `"customerId":"`+strings.Repeat("c", 129)+`"`), "customerId"},
		{rep(`"sku":"A-1"`, `"sku":"A\u0007"`), "items[0].sku"},
		{rep(`"currency":"EUR"`, `"currency":"eur"`), "currency"},
		{rep(`"currency":"EUR"`, `"currency":"EURO"`), "currency"},
		{rep(`"currency":"EUR"`, `"currency":"DEM"`), "currency"},
		{rep(`"currency":"EUR"`, `"currency":"HRK"`), "currency"},
		{rep(`"currency":"EUR"`, `"currency":"XTS"`), "currency"},
		{rep(`"currency":"EUR"`, `"currency":"XAU"`), "currency"},
		{rep(`"currency":"EUR"`, `"currency":"CHE"`), "currency"},
		{rep(`"unitPrice":"9.99"`, `"unitPrice":"9.999"`), "items[0].unitPrice"},
		{rep(`"unitPrice":"9.99"`, `"unitPrice":"-9.99"`), "items[0].unitPrice"},
		{rep(`"unitPrice":"9.99"`, `"unitPrice":"9.99e0"`), "items[0].unitPrice"},
		{rep(`"unitPrice":"9.99"`, `"unitPrice":"09.99"`), "items[0].unitPrice"},
		{rep(`"unitPrice":"9.99"`, `"unitPrice":"9."`), "items[0].unitPrice"},
		{rep(`"unitPrice":"9.99"`, `"unitPrice":"1234567890123"`), "items[0].unitPrice"},
		{rep(`"items":[{"sku":"A-1","quantity":2,"unitPrice":"9.99"}]`, `"items":[]`), "items"},
		{rep(`"orderId":"`+id+`"`, `"orderId":"`+id+`","orderId":"`+id+`"`), "orderId"},
		{rep(`"orderId":"`+id+`"`, `"orderId":"`+id+`","colour":"red"`), "colour"},
		{rep(`"orderId":"`+id+`"`, `"OrderId":"`+id+`"`), "OrderId"},
		{rep(`"orderId":"`+id+`"`, `"orderId":"`+id+`","TopicArn":"Type"`), "TopicArn"},
		{rep(`"orderId":"`+id+`"`, `"orderId":"`+id+` x"`), "orderId"},
		{rep(`"total":"19.98"`, `"total":"19.98","createdAt":""`), "createdAt"},
		{rep(`"total":"19.98"`, `"total":"19.98","createdAt":"2026-02-30T10:00:00Z"`), "createdAt"},
		{rep(`"total":"19.98"`, `"total":"19.98","createdAt":"2026-11-26T10:00:00+24:00"`), "createdAt"},
		{rep(`"total":"19.98"`, `"total":"19.98","createdAt":"2026-11-26 10:00:00Z"`), "createdAt"},
		{rep(`"total":"19.98"`, `"total":"19.98","createdAt":"2026-11-26T10:00:00,5Z"`), "createdAt"},
		{rep(`"total":"19.98"`, `"total":"19.98","createdAt":"2026-11-26T10:00:60Z"`), "createdAt"},
		{rep(`"total":"19.98"`, `"total":"19.98","createdAt":"2026-11-26T10:00:00"`), "createdAt"},
		{good + ` x`, "body"},
		{good + `{}`, "body"},
		{envelope(id, rep(`"currency":"EUR"`, `"currency":"EURO"`)), "currency"},
		{envelope(id, `{"orderId":"`+id+`",`), "Message"},
		// Not JSON by RFC 8259: U+00A0 and U+0085 are no JSON whitespace.
		{good + "\u00a0", "body"},
		{"\u0085" + good, "body"},
		{"\u3000" + good, "body"},
	}
	c := cases[g.rnd.IntN(len(cases))]
	g.add(line{text: c.text, kind: "rejected", marker: id, field: c.field})
}

func (g *gen) refused() {
	g.seq++
	id := fmt.Sprintf("r-%06d", g.seq)
	good := order{id: id, customer: "c-1", currency: "EUR", items: []item{{"A-1", 2, 999}}}.json(style{}, g.rnd)
	rep := func(new string) string {
		return strings.Replace(good, `"customerId":"c-1"`, `"customerId":"`+new+`"`, 1)
	}
	cases := []string{
		rep("c\xff1"),
		rep("c\xed\xa0\x80"), // a surrogate in UTF-8's form: not UTF-8
		rep("c\uffff"),
		rep("c\ufffe"),
		rep("c\x01"),
		rep("c\x1b"),
		rep(strings.Repeat("x", 256<<10)),
	}
	g.add(line{text: cases[g.rnd.IntN(len(cases))], kind: "refused", marker: id})
}

func main() {
	n := flag.Int("n", 10000, "lines with something on them")
	seed := flag.Uint64("seed", 7, "random seed")
	out := flag.String("o", "orders.jsonl", "the orders file")
	expect := flag.String("expect", "expect.json", "what the report must say")
	flag.Parse()
	g := &gen{rnd: rand.New(rand.NewPCG(*seed, 99)), n: *n}

	// A few fixed edge orders, all valid.
	edge := []order{
		{id: "e-leap", customer: "c-1", currency: "EUR", items: []item{{"A", 1, 100}}, created: time.Date(2016, 12, 31, 23, 59, 59, 0, time.UTC)},
		{id: "e-iqd", customer: "c-1", currency: "IQD", items: []item{{"A", 1, 1250}}},
		{id: "e-uyw", customer: "c-1", currency: "UYW", items: []item{{"A", 1, 12345}}},
		{id: "e-max", customer: strings.Repeat("Z", 128), currency: "JPY", items: []item{{"A", 1, 999_999_999_999}, {"B", 1000000, 0}}},
		{id: strings.Repeat("x", 64), customer: "Zoë 東京 😀 \u2028", currency: "EUR", items: []item{{"Ä", 1, 1}}},
	}
	hundred := order{id: "e-100", customer: "c-1", currency: "KWD"}
	for i := range 100 {
		hundred.items = append(hundred.items, item{fmt.Sprintf("S%d", i), 1, int64(i)})
	}
	edge = append(edge, hundred)
	for _, o := range edge {
		g.valid = append(g.valid, o)
		g.add(line{text: o.json(style{}, g.rnd), kind: "stored", id: o.id, ident: "a"})
	}
	// Leap seconds, each under an id of its own: the docs take :60 as the
	// last second of a month in UTC, and do not say it is one instant with
	// :59.
	g.add(line{text: `{"orderId":"e-leap60","customerId":"c-1","items":[{"sku":"A","quantity":1,"unitPrice":"1.00"}],"currency":"EUR","total":"1.00","createdAt":"2016-12-31T23:59:60Z"}`, kind: "stored", id: "e-leap60", ident: "a"})
	g.add(line{text: `{"orderId":"e-leap60b","customerId":"c-1","items":[{"sku":"A","quantity":1,"unitPrice":"1.00"}],"currency":"EUR","total":"1.00","createdAt":"1990-12-31T15:59:60-08:00"}`, kind: "stored", id: "e-leap60b", ident: "a"})

	conflicts := 0
	for len(g.lines) < *n {
		switch r := g.rnd.IntN(100); {
		case r < 55:
			o := g.newOrder()
			g.valid = append(g.valid, o)
			g.add(line{text: o.json(style{}, g.rnd), kind: "stored", id: o.id, ident: "a"})
		case r < 63: // exact re-send, close or far
			if o, ok := g.pick(r < 59); ok {
				g.add(line{text: o.json(style{}, g.rnd), kind: "dup", id: o.id, ident: "a"})
			}
		case r < 75: // the same order written another way
			if o, ok := g.pick(r < 69); ok {
				g.add(line{text: o.json(g.reformatted(), g.rnd), kind: "dup", id: o.id, ident: "a"})
			}
		case r < 79: // another order under an earlier id
			if o, ok := g.pick(r < 77); ok {
				conflicts++
				c := o
				c.items = append([]item(nil), o.items...)
				switch conflicts % 3 {
				case 0:
					c.items[0].qty++
				case 1:
					c.customer += "x"
				case 2:
					if c.created.IsZero() {
						c.created = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
					} else {
						c.created = c.created.Add(time.Second)
					}
				}
				g.add(line{text: c.json(style{}, g.rnd), kind: "conflict", id: o.id, ident: fmt.Sprintf("c%d", conflicts)})
			}
		case r < 94:
			g.poison()
		case r < 97:
			g.refused()
		default: // an id first sent broken, then valid
			o := g.newOrder()
			bad := o
			bad.currency = "EURO"
			g.add(line{text: bad.json(style{}, g.rnd), kind: "rejected", marker: o.id, field: "currency"})
			g.valid = append(g.valid, o)
			g.add(line{text: o.json(style{}, g.rnd), kind: "stored", id: o.id, ident: "a"})
		}
	}

	// The file: blank and whitespace-only lines between, CRLF endings on
	// some, a UTF-8 byte order mark nowhere (see the report).
	var b bytes.Buffer
	for i, l := range g.lines {
		switch g.rnd.IntN(40) {
		case 0:
			b.WriteString("\n")
		case 1:
			b.WriteString(" \t \r\n")
		}
		b.WriteString(l.text)
		if i%7 == 3 {
			b.WriteString("\r\n")
		} else {
			b.WriteString("\n")
		}
	}
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	// Expectations. Per id group: the identities in line order. The first
	// identity handled is stored; copies of it are duplicates; every other
	// line is a conflict (DLQ). stored is one per group whatever the order.
	type group struct{ idents []string }
	groups := map[string]*group{}
	var ex struct {
		Published, Refused, Stored, Rejected    int
		DupsIfFirstFirst, ConflictsIfFirstFirst int
		DupsPlusConflicts, DupsMin, DupsMax     int
		Poison                                  []map[string]string
		RefusedMarkers                          []string
	}
	for _, l := range g.lines {
		ex.Published++
		switch l.kind {
		case "refused":
			ex.Refused++
			ex.RefusedMarkers = append(ex.RefusedMarkers, l.marker)
		case "rejected":
			ex.Rejected++
			ex.Poison = append(ex.Poison, map[string]string{"marker": l.marker, "field": l.field})
		default:
			gr := groups[l.id]
			if gr == nil {
				gr = &group{}
				groups[l.id] = gr
			}
			gr.idents = append(gr.idents, l.ident)
		}
	}
	for _, gr := range groups {
		ex.Stored++
		count := map[string]int{}
		for _, id := range gr.idents {
			count[id]++
		}
		ex.DupsPlusConflicts += len(gr.idents) - 1
		ex.DupsIfFirstFirst += count[gr.idents[0]] - 1
		ex.ConflictsIfFirstFirst += len(gr.idents) - count[gr.idents[0]]
		lo, hi := len(gr.idents), 0
		for _, c := range count {
			lo, hi = min(lo, c-1), max(hi, c-1)
		}
		ex.DupsMin += lo
		ex.DupsMax += hi
	}
	j, _ := json.MarshalIndent(ex, "", " ")
	if err := os.WriteFile(*expect, j, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
