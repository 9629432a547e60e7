package function

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// abnf is RFC 3339 section 5.6's grammar written production by production,
// with section 5.7's ranges where a regular expression can hold them. ABNF's
// quoted strings are case-insensitive (RFC 5234 section 2.3), so "T" and "Z"
// are also "t" and "z"; DIGIT is ASCII 0-9 only (RFC 5234 appendix B.1).
var abnf = func() *regexp.Regexp {
	const (
		digit         = `[0-9]`
		dateFullyear  = `(` + digit + `{4})`
		dateMonth     = `(0[1-9]|1[0-2])`          // 01-12
		dateMday      = `(0[1-9]|[12][0-9]|3[01])` // 01-31, then per month below
		timeHour      = `([01][0-9]|2[0-3])`       // 00-23
		timeMinute    = `([0-5][0-9])`             // 00-59
		timeSecond    = `([0-5][0-9]|60)`          // 00-60, 60 per the leap second rule below
		timeSecfrac   = `(?:\.(` + digit + `+))`
		timeNumoffset = `([+-])([01][0-9]|2[0-3]):([0-5][0-9])`
		timeOffset    = `(?:([Zz])|` + timeNumoffset + `)`
		partialTime   = timeHour + `:` + timeMinute + `:` + timeSecond + timeSecfrac + `?`
		fullDate      = dateFullyear + `-` + dateMonth + `-` + dateMday
		fullTime      = partialTime + timeOffset
		dateTime      = fullDate + `[Tt]` + fullTime
	)
	return regexp.MustCompile(`^` + dateTime + `$`)
}()

// abnfInstant is the reference: whether s is an RFC 3339 date-time and, if
// so, the instant it names, in UTC, written as rfc3339Instant promises. The
// day of the month and the leap second are checked with package time, not
// with the parser's own calendar.
func abnfInstant(s string) (string, bool) {
	m := abnf.FindStringSubmatch(s)
	if m == nil {
		return "", false
	}
	n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
	year, month, day, hour, minute, sec := n(1), n(2), n(3), n(4), n(5), n(6)
	if d := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC); d.Day() != day {
		return "", false // 5.7: mday 01-28, 29, 30 or 31 by month and year
	}
	offset := 0
	if m[8] == "" {
		offset = (n(10)*60 + n(11)) * 60
		if m[9] == "-" {
			offset = -offset
		}
	}
	t := time.Date(year, time.Month(month), day, hour, minute, min(sec, 59), 0, time.FixedZone("", offset)).UTC()
	if sec == 60 {
		// Appendix D: a leap second is the last second of a UTC month.
		if next := t.Add(time.Second); next.Day() != 1 || next.Hour() != 0 || next.Minute() != 0 {
			return "", false
		}
	}
	frac := strings.TrimRight(m[7], "0")
	if frac != "" {
		frac = "." + frac
	}
	return fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d%sZ", t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second()+sec-min(sec, 59), frac), true
}

// The parser agrees with the grammar on every input: what it accepts, what
// it refuses, and the instant it names.
func FuzzRFC3339(f *testing.F) {
	for _, s := range []string{
		"1985-04-12T23:20:50.52Z", "1996-12-19T16:39:57-08:00", "1990-12-31T23:59:60Z", "1990-12-31T15:59:60-08:00",
		"1937-01-01T12:00:27.87+00:20", "2026-11-26t14:37:00z", "2026-11-26T14:37:00.000Z", "0000-01-01T00:00:00+23:59",
		"9999-12-31T23:59:59-23:59", "2024-02-29T00:00:00Z", "2026-11-26T14:37:00,5Z", "2026-11-26T24:00:00Z",
		"2026-11-26T14:37:00+24:00", "2026-11-26T1:37:00Z", "2017-01-01T00:59:60+01:00", "2026-11-26T14:37:00.+01:00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { agreesWithGrammar(t, s) })
}

// agreesWithGrammar checks that the parser takes s when the grammar does,
// as the same instant, and refuses it otherwise.
func agreesWithGrammar(t *testing.T, s string) {
	t.Helper()
	want, ok := abnfInstant(s)
	got, rule := rfc3339Instant(s)
	switch {
	case ok && rule != "":
		t.Errorf("%q refused (%s); the grammar takes it as %s", s, rule, want)
	case !ok && rule == "":
		t.Errorf("%q accepted as %s; the grammar refuses it", s, got)
	case ok && got != want:
		t.Errorf("%q is %s; the grammar's instant is %s", s, got, want)
	}
}

// Every way the grammar allows of writing one instant gives one identity:
// each offset from -23:59 to +23:59 (in steps that cover every hour and
// minute digit), "Z", "z", "t", and trailing zeros in the fraction; and two
// instants a nanosecond or less apart, or a leap second apart, stay two.
func TestRFC3339SameInstantEveryWay(t *testing.T) {
	instants := []struct {
		at   time.Time
		leap bool   // the second is 60: at is its 59th
		frac string // digits after the point, "" for none
	}{
		{time.Date(2026, 11, 26, 14, 37, 0, 0, time.UTC), false, ""},
		{time.Date(2026, 11, 26, 14, 37, 0, 0, time.UTC), false, "123456789123"},
		{time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), false, "5"},
		{time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), false, ""},
		{time.Date(2016, 12, 31, 23, 59, 59, 0, time.UTC), true, ""},
		{time.Date(2016, 12, 31, 23, 59, 59, 0, time.UTC), true, "25"},
		{time.Date(2015, 6, 30, 23, 59, 59, 0, time.UTC), true, ""},
	}
	write := func(at time.Time, leap bool, frac string, offsetMin int, lower bool) string {
		local := at.In(time.FixedZone("", offsetMin*60))
		s := local.Format("2006-01-02T15:04:")
		if leap {
			s += "60"
		} else {
			s += local.Format("05")
		}
		if frac != "" {
			s += "." + frac
		}
		switch {
		case offsetMin == 0 && lower:
			s += "z"
		case offsetMin == 0:
			s += "Z"
		default:
			sign, o := "+", offsetMin
			if o < 0 {
				sign, o = "-", -o
			}
			s += fmt.Sprintf("%s%02d:%02d", sign, o/60, o%60)
		}
		if lower {
			s = strings.Replace(s, "T", "t", 1)
		}
		return s
	}
	seen := map[string]string{} // identity → the form that gave it first
	for _, in := range instants {
		base, rule := rfc3339Instant(write(in.at, in.leap, in.frac, 0, false))
		if rule != "" {
			t.Fatalf("%s: %s", write(in.at, in.leap, in.frac, 0, false), rule)
		}
		if first, ok := seen[base]; ok {
			t.Errorf("%s and %s are one instant", first, write(in.at, in.leap, in.frac, 0, false))
		}
		seen[base] = write(in.at, in.leap, in.frac, 0, false)
		for offset := -(23*60 + 59); offset <= 23*60+59; offset += 37 {
			for _, lower := range []bool{false, true} {
				for _, zeros := range []string{"", "0", "000"} {
					frac := in.frac
					if zeros != "" {
						if frac == "" {
							frac = "0"
						}
						frac += zeros
					}
					s := write(in.at, in.leap, frac, offset, lower)
					if got, rule := rfc3339Instant(s); rule != "" || got != base {
						t.Errorf("%s: %q %s; want %s, the instant of %s", s, got, rule, base, seen[base])
					}
				}
			}
		}
		// "-00:00" (4.3: unknown local offset) and "+00:00" are UTC too.
		for _, z := range []string{"+00:00", "-00:00"} {
			s := strings.TrimSuffix(write(in.at, in.leap, in.frac, 0, false), "Z") + z
			if got, rule := rfc3339Instant(s); rule != "" || got != base {
				t.Errorf("%s: %q %s; want %s", s, got, rule, base)
			}
		}
	}
	// The next nanosecond, and beyond: the fraction is kept to its last digit.
	for _, pair := range [][2]string{
		{"2026-11-26T14:37:00.123456789Z", "2026-11-26T14:37:00.1234567891Z"},
		{"2026-11-26T14:37:00.000000001Z", "2026-11-26T14:37:00Z"},
		{"2016-12-31T23:59:60Z", "2017-01-01T00:00:00Z"},
		{"2016-12-31T23:59:60Z", "2016-12-31T23:59:59Z"},
	} {
		a, _ := rfc3339Instant(pair[0])
		b, _ := rfc3339Instant(pair[1])
		if a == b || a == "" {
			t.Errorf("%s and %s: one instant %q", pair[0], pair[1], a)
		}
	}
}

// The parser and the grammar agree on every string one edit away (a
// character replaced, deleted or inserted, from the characters the grammar
// uses and a few it does not) from valid date-times of every shape: random
// fuzzing seldom lands on the edges of a format this narrow.
func TestRFC3339AgreesWithTheGrammarNearValidInputs(t *testing.T) {
	seeds := []string{
		"1985-04-12T23:20:50.52Z", "1996-12-19T16:39:57-08:00", "1990-12-31T23:59:60Z", "1990-12-31T15:59:60-08:00",
		"2024-02-29T00:00:00+23:59", "2000-02-29t09:09:09.000z", "2026-11-30T19:59:59.9-04:00", "2016-12-31T23:59:60.5+00:00",
		"2017-01-01T00:59:60+01:00", "1900-02-28T10:10:10Z", "2026-04-30T20:30:40-00:00",
	}
	const alphabet = "0123456789-:.+TtZz ,_\u00a0\u0660"
	n := 0
	check := func(s string) {
		n++
		agreesWithGrammar(t, s)
	}
	for _, s := range seeds {
		check(s)
		for i := 0; i <= len(s); i++ {
			if i < len(s) {
				check(s[:i] + s[i+1:])
			}
			for _, c := range alphabet {
				if i < len(s) {
					check(s[:i] + string(c) + s[i+1:])
				}
				check(s[:i] + string(c) + s[i:])
			}
		}
	}
	t.Logf("%d strings checked", n)
}
