//go:build ignore

// thirdorders writes an orders file for `orderpipe local --orders` and the
// report counts it expects, written from docs/handler.md, docs/local.md and
// the README alone (not from the handler's code or the other generators).
//
//	go run ./local/testdata/thirdorders.go -n 10000 -seed 1 -o o10k.jsonl -expect o10k.expect.json
//	orderpipe local --orders o10k.jsonl | tee out.txt
//	go run ./local/testdata/thirdorders.go -check o10k.expect.json < out.txt
//
// See thirdorders.md for what the file holds and why each count is expected.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

func main() {
	n := flag.Int("n", 10000, "number of lines")
	seed := flag.Uint64("seed", 1, "random seed")
	out := flag.String("o", "", "orders file to write (default stdout)")
	expect := flag.String("expect", "", "write the expected counts to this file (JSON)")
	kinds := flag.String("kinds", "", "write each line's number, kind, expected outcome, id group and class to this file")
	heavy := flag.Float64("heavy", 0, "share of lines (0–1) that are 60 KB orders of 20,000 empty items, poison that is cheap to send and costly to check")
	check := flag.String("check", "", "read a report from stdin and compare its last line with this expect file")
	flag.Parse()
	if *check != "" {
		if err := checkReport(*check, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "thirdorders:", err)
			os.Exit(1)
		}
		return
	}
	g := newGen(*seed)
	g.heavy = *heavy
	lines := g.file(*n)
	w := io.Writer(os.Stdout)
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "thirdorders:", err)
			os.Exit(1)
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	for _, l := range lines {
		bw.Write(l.text)
		if l.crlf {
			bw.WriteString("\r\n")
		} else {
			bw.WriteString("\n")
		}
	}
	if err := bw.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "thirdorders:", err)
		os.Exit(1)
	}
	if *kinds != "" {
		var b bytes.Buffer
		for i, l := range lines {
			fmt.Fprintf(&b, "%d %s %s %d %d\n", i+1, l.kind, [...]string{"skipped", "refused", "dlq", "grouped"}[l.out], l.group, l.class)
		}
		if err := os.WriteFile(*kinds, b.Bytes(), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "thirdorders:", err)
			os.Exit(1)
		}
	}
	e := g.expectation(lines, *n, *seed)
	if *expect != "" {
		b, _ := json.MarshalIndent(e, "", "  ")
		if err := os.WriteFile(*expect, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "thirdorders:", err)
			os.Exit(1)
		}
	}
	fmt.Fprintf(os.Stderr, "thirdorders: %d lines; expect %s\n", *n, e.Line)
}

// Outcome of a line, as the report counts it.
type outcome int

const (
	skipped outcome = iota // a line of JSON whitespace: not published
	refused                // SNS (the local guard) refuses it
	toDLQ                  // rejected by the handler, or moved by SQS after retries
	grouped                // an order of an id group: stored, duplicate or conflict
)

type line struct {
	text  []byte
	crlf  bool
	out   outcome
	kind  string
	group int // id group for out == grouped
	class int // identity class inside the group (0: the first line's)
}

// Expectation is what the report's last line should say. Where SQS's order
// of delivery matters (a conflicting line handled before its id's first
// line is stored, and the first line's class goes to the DLQ; docs/local.md),
// InOrder is the count when each id's first line is handled first and
// Min/Max the range over every order.
type Expectation struct {
	Seed       uint64         `json:"seed"`
	Lines      int            `json:"lines"`
	Published  int            `json:"published"`
	Refused    int            `json:"refused"`
	Stored     int            `json:"stored"`
	Duplicates Range          `json:"duplicates"`
	DLQ        Range          `json:"deadLetterQueue"`
	Lost       int            `json:"lost"`
	Line       string         `json:"line"`
	Kinds      map[string]int `json:"kinds"`
}

type Range struct {
	InOrder int `json:"inOrder"`
	Min     int `json:"min"`
	Max     int `json:"max"`
}

func (g *gen) expectation(lines []line, n int, seed uint64) Expectation {
	e := Expectation{Seed: seed, Lines: n, Kinds: map[string]int{}}
	classes := map[int]map[int]int{}
	poison := 0
	for _, l := range lines {
		e.Kinds[l.kind]++
		switch l.out {
		case refused:
			e.Refused++
		case toDLQ:
			poison++
		case grouped:
			if classes[l.group] == nil {
				classes[l.group] = map[int]int{}
			}
			classes[l.group][l.class]++
		}
		if l.out != skipped {
			e.Published++
		}
	}
	e.Stored = len(classes)
	nGrouped := 0
	for _, cs := range classes {
		lo, hi := -1, 0
		for _, k := range cs {
			nGrouped += k
			hi = max(hi, k-1)
			if lo < 0 || k-1 < lo {
				lo = k - 1
			}
		}
		e.Duplicates.InOrder += cs[0] - 1
		e.Duplicates.Min += lo
		e.Duplicates.Max += hi
	}
	rest := nGrouped - e.Stored // duplicates + conflicts
	e.DLQ = Range{InOrder: poison + rest - e.Duplicates.InOrder, Min: poison + rest - e.Duplicates.Max, Max: poison + rest - e.Duplicates.Min}
	e.Line = fmt.Sprintf("Published %d = refused %d + stored %d + duplicates %d + dead-letter queue %d; lost 0",
		e.Published, e.Refused, e.Stored, e.Duplicates.InOrder, e.DLQ.InOrder)
	return e
}

var reportRE = regexp.MustCompile(`^Published (\d+) = refused (\d+) \+ stored (\d+) \+ duplicates (\d+) \+ dead-letter queue (\d+).*; lost (-?\d+)`)

func checkReport(expectFile string, r io.Reader, w io.Writer) error {
	b, err := os.ReadFile(expectFile)
	if err != nil {
		return err
	}
	var e Expectation
	if err := json.Unmarshal(b, &e); err != nil {
		return fmt.Errorf("%s: %w", expectFile, err)
	}
	var last string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "Published ") {
			last = sc.Text()
		}
	}
	m := reportRE.FindStringSubmatch(last)
	if m == nil {
		return fmt.Errorf("no report line (Published …) in the input")
	}
	v := make([]int, len(m)-1)
	for i := range v {
		v[i], _ = strconv.Atoi(m[i+1])
	}
	pub, ref, sto, dup, dlq, lost := v[0], v[1], v[2], v[3], v[4], v[5]
	var bad []string
	want := func(name string, got, w int) {
		if got != w {
			bad = append(bad, fmt.Sprintf("%s %d, want %d", name, got, w))
		}
	}
	want("published", pub, e.Published)
	want("refused", ref, e.Refused)
	want("stored", sto, e.Stored)
	want("lost", lost, 0)
	if dup < e.Duplicates.Min || dup > e.Duplicates.Max {
		bad = append(bad, fmt.Sprintf("duplicates %d, want %d–%d", dup, e.Duplicates.Min, e.Duplicates.Max))
	}
	if dup+dlq != e.Duplicates.InOrder+e.DLQ.InOrder {
		bad = append(bad, fmt.Sprintf("duplicates + DLQ %d, want %d", dup+dlq, e.Duplicates.InOrder+e.DLQ.InOrder))
	}
	fmt.Fprintf(w, "got:    %s\nexpect: %s (duplicates %d–%d)\n", last, e.Line, e.Duplicates.Min, e.Duplicates.Max)
	if len(bad) > 0 {
		return fmt.Errorf("report differs: %s", strings.Join(bad, "; "))
	}
	if dup == e.Duplicates.InOrder {
		fmt.Fprintln(w, "match (every id's first line handled first)")
	} else {
		fmt.Fprintf(w, "match within the range (%d ids' first lines lost the race)\n", e.Duplicates.InOrder-dup)
	}
	return nil
}

// Currencies and their ISO 4217 minor units (docs/handler.md: List One as
// published, never CLDR's digits; codes added since, CUC and SVC taken).
var currencies = []struct {
	code string
	dec  int
}{
	{"EUR", 2}, {"USD", 2}, {"GBP", 2}, {"CHF", 2}, {"SEK", 2}, {"CNY", 2}, {"INR", 2}, {"BRL", 2},
	{"JPY", 0}, {"KRW", 0}, {"CLP", 0}, {"ISK", 0}, {"VND", 0}, {"XOF", 0}, {"XAF", 0}, {"XPF", 0},
	{"UGX", 0}, {"PYG", 0}, {"RWF", 0}, {"KMF", 0}, {"DJF", 0}, {"GNF", 0}, {"VUV", 0}, {"BIF", 0},
	{"BHD", 3}, {"IQD", 3}, {"JOD", 3}, {"KWD", 3}, {"LYD", 3}, {"OMR", 3}, {"TND", 3},
	{"UYW", 4},
	// CLDR gives these 0 digits, ISO 4217 gives 2.
	{"AFN", 2}, {"ALL", 2}, {"RSD", 2}, {"LBP", 2}, {"IRR", 2}, {"MMK", 2}, {"YER", 2},
	{"LAK", 2}, {"MGA", 2}, {"SOS", 2}, {"SYP", 2}, {"KPW", 2},
	// Added 2018–2025.
	{"MRU", 2}, {"VES", 2}, {"SLE", 2}, {"ZWG", 2}, {"XCG", 2}, {"VED", 2},
	{"CUC", 2}, {"SVC", 2},
}

// Codes the docs say are refused.
var refusedCurrencies = []string{
	// withdrawn
	"DEM", "FRF", "ITL", "ESP", "NLG", "HRK", "VEF", "MRO", "LTL", "LVL", "EEK", "SIT", "BYR", "ANG", "BGN", "SKK", "DDM", "UAK",
	// no minor unit: testing, no currency, metals, SDR, units
	"XTS", "XXX", "XAU", "XAG", "XPT", "XPD", "XDR", "XSU", "XUA", "XBA", "XBB", "XBC", "XBD",
	// funds codes
	"BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN", "UYI",
	// not a code, not upper case
	"AAA", "QQQ", "eur", "Eur", "EU", "EURO", "€", "", "E R",
}

type gen struct {
	r      *rand.Rand
	nextID int
	groups int
	heavy  float64
}

func newGen(seed uint64) *gen {
	return &gen{r: rand.New(rand.NewPCG(seed, seed^0x7468697264))}
}

func (g *gen) id(prefix string) string {
	g.nextID++
	return fmt.Sprintf("%s-%d", prefix, g.nextID)
}

type item struct {
	sku   string
	qty   int64
	price *big.Int // minor units
}

// order is an order's fields; render writes it in one of many forms.
type order struct {
	id, customer string
	items        []item
	cur          string
	dec          int
	// createdAt: utc seconds since the epoch, fraction digits, offset minutes
	hasTime bool
	sec     int64
	frac    string
	offMin  int
	leap    bool // a leap second, :60
}

func (o *order) total() *big.Int {
	t := new(big.Int)
	for _, it := range o.items {
		t.Add(t, new(big.Int).Mul(big.NewInt(it.qty), it.price))
	}
	return t
}

// form is how an order is written; every form of one order has one identity.
type form struct {
	perm      []int // field order
	spaced    bool
	tabs      bool
	zeros     int  // trailing zeros added to amounts, up to the currency's decimals
	trim      bool // amounts without the zeros of their fraction
	offMin    *int // createdAt in another offset
	fracZeros int  // zeros appended to the fraction
	plusZero  bool // +00:00 for Z
	lower     bool // t and z in lower case
	escape    bool // some characters as \u escapes, names included
	envelope  bool // an SNS notification with the order as Message
	pad       int  // spaces after the opening brace
}

func amount(v *big.Int, dec int, f form) string {
	s := v.String()
	if dec == 0 {
		return s
	}
	for len(s) <= dec {
		s = "0" + s
	}
	ip, fp := s[:len(s)-dec], s[len(s)-dec:]
	if f.trim {
		fp = strings.TrimRight(fp, "0")
	}
	if fp == "" {
		return ip
	}
	return ip + "." + fp
}

func (o *order) createdAt(f form) string {
	off := o.offMin
	if f.offMin != nil {
		off = *f.offMin
	}
	var s string
	if o.leap {
		// Only written as first made: the instant of :60 in another offset
		// is not one the docs define.
		t := time.Unix(o.sec, 0).UTC().Add(time.Duration(off) * time.Minute)
		s = t.Format("2006-01-02T15:04:") + "60"
	} else {
		t := time.Unix(o.sec, 0).UTC().Add(time.Duration(off) * time.Minute)
		s = t.Format("2006-01-02T15:04:05")
	}
	if o.frac != "" || f.fracZeros > 0 {
		s += "." + o.frac + strings.Repeat("0", f.fracZeros)
	}
	switch {
	case off == 0 && !f.plusZero:
		s += "Z"
	default:
		sign := "+"
		a := off
		if a < 0 {
			sign, a = "-", -a
		}
		s += fmt.Sprintf("%s%02d:%02d", sign, a/60, a%60)
	}
	if f.lower {
		s = strings.Map(func(r rune) rune {
			if r == 'T' || r == 'Z' {
				return r + 32
			}
			return r
		}, s)
	}
	return s
}

// jstr writes s as a JSON string; with escape, ASCII letters now and then as
// \u escapes (the same string to any JSON reader).
func jstr(s string, escape bool, r *rand.Rand) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteRune(c)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		case escape && c < 0x80 && r.IntN(3) == 0:
			fmt.Fprintf(&b, `\u%04X`, c)
		case escape && c == '/':
			b.WriteString(`\/`)
		default:
			b.WriteRune(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func (o *order) render(f form, r *rand.Rand) []byte {
	type kv struct{ k, v string }
	colon, comma := ":", ","
	if f.spaced {
		colon, comma = ": ", ", "
	}
	if f.tabs {
		colon, comma = "\t:\t", "\t,\t"
	}
	name := func(k string) string { return jstr(k, f.escape, r) }
	var items []string
	for _, it := range o.items {
		items = append(items, "{"+name("sku")+colon+jstr(it.sku, f.escape, r)+comma+
			name("quantity")+colon+strconv.FormatInt(it.qty, 10)+comma+
			name("unitPrice")+colon+`"`+amount(it.price, o.dec, f)+`"`+"}")
	}
	fields := []kv{
		{"orderId", jstr(o.id, f.escape, r)},
		{"customerId", jstr(o.customer, f.escape, r)},
		{"items", "[" + strings.Join(items, comma) + "]"},
		{"currency", jstr(o.cur, f.escape, r)},
		{"total", `"` + amount(o.total(), o.dec, f) + `"`},
	}
	if o.hasTime {
		fields = append(fields, kv{"createdAt", jstr(o.createdAt(f), false, r)})
	}
	perm := f.perm
	if perm == nil || len(perm) != len(fields) {
		perm = make([]int, len(fields))
		for i := range perm {
			perm[i] = i
		}
	}
	var b bytes.Buffer
	b.WriteByte('{')
	b.WriteString(strings.Repeat(" ", f.pad))
	for i, p := range perm {
		if i > 0 {
			b.WriteString(comma)
		}
		b.WriteString(name(fields[p].k) + colon + fields[p].v)
	}
	b.WriteByte('}')
	if !f.envelope {
		return b.Bytes()
	}
	msg, _ := json.Marshal(b.String())
	typ := `"Type"`
	if f.escape {
		typ = `"T\u0079pe"`
	}
	return []byte(`{` + typ + `:"Notification","MessageId":"` + fmt.Sprintf("%08x-0000-4000-8000-%012x", r.Uint32(), r.Uint64()&0xffffffffffff) +
		`","TopicArn":"arn:aws:sns:us-east-1:000000000000:orderpipe-local-OrderTopic","Message":` + string(msg) +
		`,"Timestamp":"2026-11-30T12:00:00.000Z","SignatureVersion":"1"}`)
}

var skuChars = []rune("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./ ")
var wideChars = []rune("äöüßéèçñøåłžšőűΩλπЖЯ中文日本語한국어€£¥₹😀🚀👍�\u00a0\u2028\u2029\u200b")

func (g *gen) str(max int, wide bool) string {
	n := 1 + g.r.IntN(max)
	var b strings.Builder
	for range n {
		if wide && g.r.IntN(3) == 0 {
			b.WriteRune(wideChars[g.r.IntN(len(wideChars))])
		} else {
			b.WriteRune(skuChars[g.r.IntN(len(skuChars))])
		}
	}
	return b.String()
}

// digits is a number of 1 to n digits.
func (g *gen) digits(n int) *big.Int {
	k := 1 + g.r.IntN(n)
	b := []byte{byte('1' + g.r.IntN(9))}
	for len(b) < k {
		b = append(b, byte('0'+g.r.IntN(10)))
	}
	v, _ := new(big.Int).SetString(string(b), 10)
	return v
}

// longer changes a string by one character, within 128 characters.
func longer(s string) string {
	if len([]rune(s)) >= 100 {
		return "Z" + string([]rune(s)[1:])
	}
	return s + "x"
}

// newOrder makes a valid order. Strings stay within their limits in
// characters and in bytes, so either reading of "characters" holds.
func (g *gen) newOrder() *order {
	c := currencies[g.r.IntN(len(currencies))]
	o := &order{id: g.id("t"), cur: c.code, dec: c.dec}
	if g.r.IntN(4) == 0 {
		o.id += "_" + strings.Repeat("x", g.r.IntN(40)) + "-Z"
	}
	o.customer = g.str(30, true)
	if g.r.IntN(20) == 0 {
		o.customer = strings.Repeat("c", 128)
	}
	ni := 1 + g.r.IntN(4)
	if g.r.IntN(30) == 0 {
		ni = 100
	}
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(12+c.dec)), nil) // 12 digits before the point
	for {
		o.items = o.items[:0]
		for range ni {
			it := item{sku: g.str(20, g.r.IntN(3) == 0)}
			switch g.r.IntN(10) {
			case 0:
				it.qty = 1000000
			case 1:
				it.qty = 1 + g.r.Int64N(1000)
			default:
				it.qty = 1 + g.r.Int64N(10)
			}
			switch g.r.IntN(10) {
			case 0:
				it.price = big.NewInt(0)
			case 1:
				it.price = g.digits(12 + c.dec)
			default:
				it.price = big.NewInt(1 + g.r.Int64N(100000))
			}
			o.items = append(o.items, it)
		}
		if o.total().Cmp(limit) < 0 {
			break
		}
		ni = 1
	}
	if g.r.IntN(5) > 0 {
		o.hasTime = true
		o.sec = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Unix() + g.r.Int64N(30*365*86400)
		switch g.r.IntN(4) {
		case 0:
			o.frac = strconv.Itoa(1 + g.r.IntN(9))
		case 1:
			o.frac = strings.TrimRight(fmt.Sprintf("%09d", g.r.IntN(1e9)), "0")
		case 2:
			// more digits than nanoseconds: kept to the last digit sent
			o.frac = fmt.Sprintf("%09d%03d", g.r.IntN(1e9), 1+g.r.IntN(999))
			o.frac = strings.TrimRight(o.frac, "0")
		}
		if g.r.IntN(2) == 0 {
			o.offMin = g.r.IntN(2*24*60-1) - (24*60 - 1) // ±23:59
		}
		if g.r.IntN(50) == 0 {
			// A leap second, the last second of a month in UTC.
			m := time.Date(1972+g.r.IntN(50), time.Month(1+g.r.IntN(12)), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 1, 0)
			o.sec = m.Unix() - 1
			o.frac = ""
			o.leap = true
		}
	}
	return o
}

// randForm is another way of writing the same order.
func (g *gen) randForm(o *order) form {
	f := form{}
	nf := 5
	if o.hasTime {
		nf = 6
	}
	if g.r.IntN(2) == 0 {
		f.perm = g.r.Perm(nf)
	}
	f.spaced = g.r.IntN(2) == 0
	f.tabs = g.r.IntN(6) == 0
	f.trim = g.r.IntN(2) == 0
	f.escape = g.r.IntN(4) == 0
	f.envelope = g.r.IntN(4) == 0
	if o.hasTime && !o.leap {
		switch g.r.IntN(4) {
		case 0:
			off := g.r.IntN(2*24*60-1) - (24*60 - 1)
			f.offMin = &off
		case 1:
			f.fracZeros = 1 + g.r.IntN(4)
		case 2:
			f.plusZero = true
			off := 0
			f.offMin = &off
		}
		f.lower = g.r.IntN(4) == 0
	}
	return f
}

// conflict changes one thing of the order's identity.
func (g *gen) conflict(o *order) *order {
	c := *o
	c.items = append([]item(nil), o.items...)
	switch k := g.r.IntN(5); {
	case k == 0:
		c.customer = longer(c.customer)
	case k == 1:
		c.items[0].price = new(big.Int).Add(c.items[0].price, big.NewInt(1))
	case k == 2:
		c.items[0].qty = c.items[0].qty%1000000 + 1
	case k == 3 && o.hasTime && !o.leap:
		if len(o.frac) >= 10 && g.r.IntN(2) == 0 {
			// differs past the nanoseconds: another instant to the last digit sent
			d := (o.frac[len(o.frac)-1]-'0'+1)%9 + 1
			c.frac = o.frac[:len(o.frac)-1] + string('0'+d)
		} else {
			c.sec++
		}
	case k == 3:
		c.hasTime = true
		c.sec = 1e9
	default:
		c.hasTime = !o.hasTime
		c.leap = false
		if c.hasTime {
			c.sec = 1e9
		}
	}
	if c.total().Cmp(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(12+c.dec)), nil)) >= 0 {
		c.customer = longer(c.customer)
		c.items = o.items
	}
	return &c
}

type pending struct {
	at int
	l  line
}

func (g *gen) file(n int) []line {
	var lines []line
	var queue []pending
	for len(lines) < n {
		i := len(lines)
		if len(queue) > 0 && (queue[0].at <= i || i+len(queue) >= n) {
			lines = append(lines, queue[0].l)
			queue = queue[1:]
			continue
		}
		for _, l := range g.fresh(i, n, &queue) {
			if len(lines) < n {
				lines = append(lines, l)
			}
		}
		// keep the follow-ups sorted by position
		for a := 1; a < len(queue); a++ {
			for b := a; b > 0 && queue[b].at < queue[b-1].at; b-- {
				queue[b], queue[b-1] = queue[b-1], queue[b]
			}
		}
	}
	if len(lines) > 0 && lines[0].out != skipped {
		// A byte order mark before the first line is the file's, not sent.
		lines[0].text = append([]byte("\uFEFF"), lines[0].text...)
		lines[0].kind += "+bom"
	}
	for i := range lines {
		lines[i].crlf = g.r.IntN(10) == 0
	}
	return lines
}

// fresh makes the line at position i (and schedules its follow-ups).
func (g *gen) fresh(i, n int, queue *[]pending) []line {
	if g.heavy > 0 && g.r.Float64() < g.heavy {
		o := g.newOrder()
		o.id = g.id("p")
		return []line{{text: []byte(`{"orderId":"` + o.id + `","customerId":"c","items":[` + strings.Repeat("{},", 19999) + `{}],"currency":"EUR","total":"0"}`), out: toDLQ, kind: "items-20000-empty"}}
	}
	p := g.r.IntN(1000)
	switch {
	case p < 560:
		return []line{g.group(i, n, queue, false)}
	case p < 575:
		return []line{g.group(i, n, queue, true)}
	case p < 830:
		return []line{g.poison()}
	case p < 840:
		return []line{g.poisonLarge()}
	case p < 990:
		return []line{g.resendPoison()}
	case p < 995:
		ws := []string{"", " ", "\t", " \t  ", "\r"}
		return []line{{text: []byte(ws[g.r.IntN(len(ws))]), out: skipped, kind: "blank"}}
	default:
		return []line{g.refusedLine()}
	}
}

// group writes an id's first line and schedules re-sends: exact, written
// differently, and conflicting.
func (g *gen) group(i, n int, queue *[]pending, large bool) line {
	g.groups++
	gid := g.groups
	o := g.newOrder()
	f := form{}
	if g.r.IntN(3) == 0 {
		f = g.randForm(o)
	}
	kind := "valid"
	if large {
		kind = "valid-large"
		f.envelope, f.escape = false, false
		o.items = o.items[:1]
		o.items[0].price = big.NewInt(1)
		for len(o.items) < 100 {
			o.items = append(o.items, item{sku: strings.Repeat("S", 100+g.r.IntN(29)), qty: 1, price: big.NewInt(1)})
		}
		body := o.render(f, g.r)
		target := 20000 + g.r.IntN(65536-20000+1)
		if g.r.IntN(4) == 0 {
			target = 65536 // at most 64 KiB
		}
		f.pad = max(0, target-len(body))
	}
	first := line{text: o.render(f, g.r), out: grouped, kind: kind, group: gid}
	after := func(l line) {
		at := i + 1 + g.r.IntN(3000)
		*queue = append(*queue, pending{at: at, l: l})
	}
	if g.r.IntN(100) < 15 {
		after(line{text: first.text, out: grouped, kind: "resend-exact", group: gid})
	}
	if g.r.IntN(100) < 15 {
		nf := g.randForm(o)
		if large {
			nf.envelope = false
			nf.pad = f.pad / 2
			nf.escape = false
		}
		after(line{text: o.render(nf, g.r), out: grouped, kind: "resend-reformatted", group: gid})
	}
	if g.r.IntN(100) < 7 {
		c := g.conflict(o)
		cf := form{pad: max(0, f.pad-16)}
		if g.r.IntN(2) == 0 && !large {
			cf = g.randForm(c)
		}
		l := line{text: c.render(cf, g.r), out: grouped, kind: "conflict", group: gid, class: 1}
		after(l)
		if g.r.IntN(4) == 0 {
			l.kind = "conflict-resend"
			after(l)
		}
	}
	return first
}

func (g *gen) resendPoison() line {
	if g.r.IntN(10) == 0 {
		l := g.poison()
		l.kind = "poison-small"
		small := []string{`x`, `{}`, `[]`, `null`, `1`, `"a"`, `{"orderId":1}`, `{"orderId":"p"}`, `true`, `{`}
		l.text = []byte(small[g.r.IntN(len(small))])
		return l
	}
	return g.poison()
}

// poison is an order the handler rejects (docs/handler.md's rules).
func (g *gen) poison() line {
	o := g.newOrder()
	o.id = g.id("p")
	// Plain JSON, fields in any order, so that the changes below apply.
	f := form{}
	if g.r.IntN(2) == 0 {
		f.perm = g.randForm(o).perm
	}
	body := func() string { return string(o.render(f, g.r)) }
	replace := func(old, new string) string {
		b := body()
		if !strings.Contains(b, old) {
			return "" // another kind is chosen
		}
		return strings.Replace(b, old, new, 1)
	}
	kinds := []func() (string, string){
		func() (string, string) { return "not-json", "{orderId: " + o.id + "}" },
		func() (string, string) {
			b := body()
			i := len(b) / 2
			for !utf8.RuneStart(b[i]) {
				i--
			}
			return "truncated", b[:i]
		},
		func() (string, string) { return "trailing-data", body() + ` {}` },
		func() (string, string) { return "trailing-comma", strings.TrimSuffix(body(), "}") + ",}" },
		func() (string, string) { return "array", "[" + body() + "]" },
		func() (string, string) { return "string-order", strconv.Quote(body()) },
		func() (string, string) {
			return "null-field", replace(`"customerId"`, `"customerId":null,"x`)
		},
		func() (string, string) {
			o.hasTime = false
			return "null-createdAt", strings.TrimSuffix(body(), "}") + `,"createdAt":null}`
		},
		func() (string, string) {
			return "field-twice", strings.TrimSuffix(body(), "}") + `,"orderId":"` + o.id + `"}`
		},
		func() (string, string) {
			return "field-twice-escaped", strings.TrimSuffix(body(), "}") + `,"order\u0049d":"` + o.id + `"}`
		},
		func() (string, string) {
			return "item-field-twice", replace(`"quantity"`, `"quantity":1,"quantity"`)
		},
		func() (string, string) { return "field-case", replace(`"orderId"`, `"OrderId"`) },
		func() (string, string) { return "unknown-field", strings.TrimSuffix(body(), "}") + `,"note":"gift"}` },
		func() (string, string) {
			return "unknown-field-zwsp", replace(`"orderId"`, "\"order\u200bId\"")
		},
		func() (string, string) {
			return "topicarn-only", strings.TrimSuffix(body(), "}") + `,"TopicArn":"arn:aws:sns:us-east-1:000000000000:t","note":"Type"}`
		},
		func() (string, string) {
			return "type-only", strings.TrimSuffix(body(), "}") + `,"Type":"Notification"}`
		},
		func() (string, string) { return "missing-orderId", replace(`"orderId"`, `"x-orderId"`) },
		func() (string, string) { o.id = ""; return "orderId-empty", body() },
		func() (string, string) { o.id = strings.Repeat("p", 65); return "orderId-65", body() },
		func() (string, string) {
			bad := []string{"p 1", "p.1", "p/1", "p:1", "pé", "p+1", "p#1", "p\u00a01"}
			o.id = bad[g.r.IntN(len(bad))]
			return "orderId-chars", body()
		},
		func() (string, string) { return "orderId-number", replace(`"orderId":"`+o.id+`"`, `"orderId":42`) },
		func() (string, string) { o.customer = strings.Repeat("c", 129); return "customerId-129", body() },
		func() (string, string) {
			ctl := []string{"\u0007", "\u001f", "\u007f", "\u0085", "\u009f"}
			o.customer = "c" + ctl[g.r.IntN(len(ctl))] + "d"
			return "customerId-control", body()
		},
		func() (string, string) {
			o.items[0].sku = "s\tt"
			return "sku-control", body()
		},
		func() (string, string) { o.items[0].sku = strings.Repeat("s", 129); return "sku-129", body() },
		func() (string, string) { return "sku-missing", replace(`"sku"`, `"SKU"`) },
		func() (string, string) { o.items = nil; return "items-empty", body() },
		func() (string, string) {
			for len(o.items) < 101 {
				o.items = append(o.items, item{sku: "s", qty: 1, price: big.NewInt(1)})
			}
			return "items-101", body()
		},
		func() (string, string) { o.items[0].qty = 0; return "quantity-0", body() },
		func() (string, string) { o.items[0].qty = 1000001; return "quantity-1000001", body() },
		func() (string, string) { o.items[0].qty = -1; return "quantity-negative", body() },
		func() (string, string) {
			q := strconv.FormatInt(o.items[0].qty, 10)
			return "quantity-fraction", replace(`"quantity":`+q, `"quantity":`+q+`.5`)
		},
		func() (string, string) {
			q := strconv.FormatInt(o.items[0].qty, 10)
			return "quantity-string", replace(`"quantity":`+q, `"quantity":"`+q+`"`)
		},
		func() (string, string) {
			bad := []string{"-1", "+1", "1e2", "1E2", "01", "00.5", "1,50", "1.5.0", "", " 1", "abc", "0x10", "1234567890123", "NaN", "Infinity", "١"}
			p := amount(o.items[0].price, o.dec, form{})
			return "unitPrice-syntax", replace(`"unitPrice":"`+p+`"`, `"unitPrice":"`+bad[g.r.IntN(len(bad))]+`"`)
		},
		func() (string, string) {
			p := amount(o.items[0].price, o.dec, form{})
			return "unitPrice-number", replace(`"unitPrice":"`+p+`"`, `"unitPrice":`+p)
		},
		func() (string, string) {
			p := amount(o.items[0].price, o.dec, form{})
			x := p + "1"
			if !strings.Contains(p, ".") {
				x = p + "." + strings.Repeat("0", o.dec) + "1"
			}
			return "unitPrice-decimals", replace(`"unitPrice":"`+p+`"`, `"unitPrice":"`+x+`"`)
		},
		func() (string, string) {
			t := amount(o.total(), o.dec, form{})
			x := t + "0"
			if !strings.Contains(t, ".") {
				x = t + "." + strings.Repeat("0", o.dec+1)
			}
			return "total-decimals", replace(`"total":"`+t+`"`, `"total":"`+x+`"`)
		},
		func() (string, string) {
			t := amount(o.total(), o.dec, form{})
			x := amount(new(big.Int).Add(o.total(), big.NewInt(1)), o.dec, form{})
			return "total-wrong", replace(`"total":"`+t+`"`, `"total":"`+x+`"`)
		},
		func() (string, string) {
			o.cur = refusedCurrencies[g.r.IntN(len(refusedCurrencies))]
			o.dec = 0
			for _, it := range o.items {
				it.price.SetInt64(it.price.Int64() % 1000)
			}
			return "currency-refused", body()
		},
		func() (string, string) {
			o.hasTime = false
			return "createdAt-empty", strings.TrimSuffix(body(), "}") + `,"createdAt":""}`
		},
		func() (string, string) {
			bad := []string{
				"2026-11-26T14:37:00", "2026-11-26 14:37:00Z", "2026-11-26T14:37:00,5Z", "2026-11-26T24:00:00Z",
				"2026-11-26T14:60:00Z", "2026-11-26T14:37:61Z", "2026-02-29T14:37:00Z", "2026-04-31T14:37:00Z",
				"2026-11-26T14:37:00+24:00", "2026-11-26T14:37:00-24:00", "2026-11-26T14:37:00+01:60", "2026-11-26T1:37:00Z",
				"2026-11-26T9:37:00+01:00", "2026-11-26T14:37Z", "26-11-26T14:37:00Z", "2026-11-26T14:37:00.Z",
				"2026-11-26T14:37:00+0100", "2026-11-26T14:37:00UTC", "2016-06-15T12:00:60Z", "2016-12-31T23:59:60+01:00",
				"2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-11-00T00:00:00Z", "2026-11-26T14:37:00+01", "2026-11-26",
				"2026-11-26T14:37:00 Z", " 2026-11-26T14:37:00Z", "2026-11-26T14:37:00Z ", "+2026-11-26T14:37:00Z", "2026-11-26T14:37:00.5",
				"1900-02-29T00:00:00Z", "2026-W48-4T14:37:00Z", "2026-330T14:37:00Z", "2026-11-26T14:37:00.1e3Z", "２０２６-11-26T14:37:00Z",
			}
			o.hasTime = false
			return "createdAt-invalid", strings.TrimSuffix(body(), "}") + `,"createdAt":"` + bad[g.r.IntN(len(bad))] + `"}`
		},
		func() (string, string) {
			o.hasTime = false
			return "createdAt-number", strings.TrimSuffix(body(), "}") + `,"createdAt":1764513420}`
		},
		func() (string, string) {
			esc := []string{`\uffff`, `\uFFFE`, `\ud800`, `\udc00`, `\ud800x`}
			return "escape-refused", replace(`"customerId":"`, `"customerId":"`+esc[g.r.IntN(len(esc))])
		},
		func() (string, string) {
			d := 10001 + g.r.IntN(100)
			return "nested-deep", replace(`"customerId":`, `"customerId":`+strings.Repeat("[", d)+strings.Repeat("]", d)+`,"y":`)
		},
		func() (string, string) {
			return "items-20000-empty", `{"orderId":"` + o.id + `","customerId":"c","items":[` + strings.Repeat("{},", 19999) + `{}],"currency":"EUR","total":"0"}`
		},
		func() (string, string) { return "nbsp-around", "\u00a0" + body() + "\u3000" },
		func() (string, string) { return "bom-inside", "\uFEFF" + body() },
		func() (string, string) {
			return "envelope-bad-message", `{"Type":"Notification","TopicArn":"arn:aws:sns:us-east-1:000000000000:t","Message":"{not json"}`
		},
		func() (string, string) {
			m, _ := json.Marshal(body())
			return "envelope-topicarn-number", `{"Type":"Notification","TopicArn":1,"Message":` + string(m) + `}`
		},
		func() (string, string) {
			m, _ := json.Marshal(body())
			return "envelope-message-twice", `{"Type":"Notification","TopicArn":"arn:aws:sns:us-east-1:000000000000:t","Message":` + string(m) + `,"Message":` + string(m) + `}`
		},
		func() (string, string) {
			o.items[0].qty = 0
			m, _ := json.Marshal(body())
			return "envelope-poison-order", `{"Type":"Notification","TopicArn":"arn:aws:sns:us-east-1:000000000000:t","Message":` + string(m) + `}`
		},
		func() (string, string) {
			return "envelope-message-object", `{"Type":"Notification","TopicArn":"arn:aws:sns:us-east-1:000000000000:t","Message":` + body() + `}`
		},
	}
	k, text := "", ""
	for text == "" {
		k, text = kinds[g.r.IntN(len(kinds))]()
	}
	return line{text: []byte(text), out: toDLQ, kind: k}
}

// poisonLarge is an order over 64 KiB in a body SNS takes (at most
// 256 KiB): rejected, the body kept in the DLQ.
func (g *gen) poisonLarge() line {
	o := g.newOrder()
	o.id = g.id("p")
	body := o.render(form{}, g.r)
	target := 65537 + g.r.IntN(240000-65537)
	switch g.r.IntN(4) {
	case 0:
		target = 65537
	case 1:
		target = 262144 // SNS's largest; no room left for a reason's attributes
	}
	pad := target - len(body)
	return line{text: o.render(form{pad: pad}, g.r), out: toDLQ, kind: "poison-large"}
}

// refusedLine is a line SNS refuses: not UTF-8, a character outside SQS's
// set, or over 256 KiB.
func (g *gen) refusedLine() line {
	o := g.newOrder()
	o.id = g.id("r")
	body := string(o.render(form{}, g.r))
	bad := []string{"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xef\xbf\xbe", "\xef\xbf\xbf", "\x01", "\x00", "\x08", "\x1b", "\xf4\x90\x80\x80", "\xe2\x82"}
	var text string
	kind := "refused-chars"
	switch g.r.IntN(8) {
	case 0:
		kind = "refused-size"
		text = string(o.render(form{pad: 262145 - len(body)}, g.r))
	case 1:
		kind = "refused-size-1mib"
		text = string(o.render(form{pad: 1<<20 + 1 + g.r.IntN(1000) - len(body)}, g.r))
	default:
		text = strings.Replace(body, `"customerId":"`, `"customerId":"`+bad[g.r.IntN(len(bad))], 1)
	}
	return line{text: []byte(text), out: refused, kind: kind}
}
