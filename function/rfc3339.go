package function

import (
	"fmt"
	"strings"
	"time"
)

// createdAtRule is the rule createdAt follows, named in every reason.
const createdAtRule = "must be an RFC 3339 date-time such as 2026-11-26T14:37:00Z (section 5.6)"

// rfc3339Instant reads s by RFC 3339 section 5.6's grammar, with the ranges
// of section 5.7, and returns the instant it names written one way: in UTC,
// with "T" and "Z", and the fraction without trailing zeros. Two ways of
// writing the same instant ("…00.000Z", "…+00:00", another offset) give
// the same string. When s breaks the grammar, rule says where.
//
// Go's time.Parse is not used: it takes one-digit hours, offsets of ±24:00
// and minutes of 60, and a comma for the decimal point, none of which
// RFC 3339 allows, and it cannot hold a leap second.
func rfc3339Instant(s string) (instant, rule string) {
	// date-time = full-date "T" full-time; "T" and "Z" may be lower case.
	// 2006-01-02T15:04:05 is 19 characters; then the fraction and offset.
	const layout = "YYYY-MM-DDThh:mm:ss"
	if len(s) < len(layout)+1 {
		return "", createdAtRule + ": it is too short"
	}
	num := func(at, n int) (int, bool) {
		v := 0
		for _, c := range []byte(s[at : at+n]) {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	for _, sep := range []struct {
		at int
		c  byte
	}{{4, '-'}, {7, '-'}, {13, ':'}, {16, ':'}} {
		if s[sep.at] != sep.c {
			return "", fmt.Sprintf("%s: expected %q at character %d", createdAtRule, sep.c, sep.at+1)
		}
	}
	if s[10] != 'T' && s[10] != 't' {
		return "", createdAtRule + `: the date and the time must be separated by "T"`
	}
	year, okY := num(0, 4)
	month, okM := num(5, 2)
	day, okD := num(8, 2)
	hour, okh := num(11, 2)
	minute, okm := num(14, 2)
	sec, oks := num(17, 2)
	switch {
	case !okY || !okM || !okD:
		return "", createdAtRule + ": the date must be YYYY-MM-DD, in digits"
	case !okh || !okm || !oks:
		return "", createdAtRule + ": the time must be hh:mm:ss, two digits each"
	case month < 1 || month > 12:
		return "", createdAtRule + ": the month must be 01–12"
	case day < 1 || day > daysIn(year, month):
		return "", fmt.Sprintf("%s: the day must be 01–%02d in %04d-%02d", createdAtRule, daysIn(year, month), year, month)
	case hour > 23:
		return "", createdAtRule + ": the hour must be 00–23"
	case minute > 59:
		return "", createdAtRule + ": the minute must be 00–59"
	case sec > 60:
		return "", createdAtRule + ": the second must be 00–60 (60 only for a leap second)"
	}

	rest := s[len(layout):]
	frac := ""
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 1 {
			return "", createdAtRule + ": a decimal point must be followed by digits"
		}
		frac, rest = strings.TrimRight(rest[1:n], "0"), rest[n:]
	}
	var offset int // minutes east of UTC
	switch {
	case rest == "Z" || rest == "z":
	case len(rest) == len("+hh:mm") && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, ok1 := num(len(s)-5, 2)
		om, ok2 := num(len(s)-2, 2)
		switch {
		case !ok1 || !ok2:
			return "", createdAtRule + ": the offset must be Z or ±hh:mm, in digits"
		case oh > 23:
			return "", createdAtRule + ": the offset's hour must be 00–23"
		case om > 59:
			return "", createdAtRule + ": the offset's minute must be 00–59"
		}
		offset = oh*60 + om
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return "", createdAtRule + ": it must end with the offset, Z or ±hh:mm"
	}

	// A leap second is inserted at the end of a UTC month (section 5.7 and
	// Appendix D): 23:59:60Z on a month's last day, whatever offset it is
	// written in. Which months had one only a leap-second table knows; none
	// is kept here, so 23:59:60Z at the end of any month is taken.
	t := time.Date(year, time.Month(month), day, hour, minute, min(sec, 59), 0, time.UTC).Add(-time.Duration(offset) * time.Minute)
	if sec == 60 && (t.Hour() != 23 || t.Minute() != 59 || t.Day() != daysIn(t.Year(), int(t.Month()))) {
		return "", createdAtRule + ": a leap second (:60) is the last second of a month in UTC, such as 2016-12-31T23:59:60Z"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%04d-%02d-%02dT%02d:%02d:%02d", t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second()+sec-min(sec, 59))
	if frac != "" {
		b.WriteString("." + frac)
	}
	b.WriteByte('Z')
	return b.String(), ""
}

// daysIn is the number of days of the month in the proleptic Gregorian
// calendar, as RFC 3339 section 5.7 and its Appendix C count them.
func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
