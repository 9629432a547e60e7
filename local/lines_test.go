package local

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// What a line of an orders file publishes. JSON's whitespace is space,
// tab, LF and CR (RFC 8259 section 2): only it, and the line's end (LF or
// CRLF), is taken off; any other character is part of the order, so that a
// line the handler would refuse is not made valid on the way. A UTF-8 byte
// order mark at the start of the file marks its encoding and is no part of
// its first order (RFC 8259 section 8.1 lets a parser ignore it); a line
// longer than a message can be is refused, and the file read on.
func TestOrderLines(t *testing.T) {
	const o = `{"orderId":"a"}`
	for _, c := range []struct {
		name, file string
		want       []OrderLine
	}{
		{"LF", o + "\n" + o, []OrderLine{{1, o, len(o)}, {2, o, len(o)}}},
		{"CRLF", o + "\r\n" + o + "\r\n", []OrderLine{{1, o, len(o)}, {2, o, len(o)}}},
		{"blank lines are no orders", "\n \t\r\n" + o + "\n\n", []OrderLine{{3, o, len(o)}}},
		{"JSON whitespace around", " \t" + o + " \t\r\n", []OrderLine{{1, o, len(o)}}},
		{"a byte order mark at the start", "\ufeff" + o + "\n" + o, []OrderLine{{1, o, len(o)}, {2, o, len(o)}}},
		{"a byte order mark later is sent", o + "\n\ufeff" + o, []OrderLine{{1, o, len(o)}, {2, "\ufeff" + o, len(o) + 3}}},
		{"U+00A0 is no JSON whitespace", o + "\u00a0", []OrderLine{{1, o + "\u00a0", len(o) + 2}}},
		{"U+0085 is no JSON whitespace", "\u0085" + o, []OrderLine{{1, "\u0085" + o, len(o) + 2}}},
		{"U+3000 alone is a line", "\u3000\n" + o, []OrderLine{{1, "\u3000", 3}, {2, o, len(o)}}},
		{"U+2028 does not end a line", o + "\u2028" + o, []OrderLine{{1, o + "\u2028" + o, 2*len(o) + 3}}},
		{"a CR alone does not end a line", o + "\r" + o, []OrderLine{{1, o + "\r" + o, 2*len(o) + 1}}},
		{"a line too long is cut and read past", o + "\n" + strings.Repeat("x", maxLine+10) + "\n" + o,
			[]OrderLine{{1, o, len(o)}, {2, strings.Repeat("x", maxLine), maxLine + 10}, {3, o, len(o)}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(c.file), iotest.OneByteReader(strings.NewReader(c.file))} {
				var got []OrderLine
				if err := OrderLines(r, func(l OrderLine) error { got = append(got, l); return nil }); err != nil {
					t.Fatal(err)
				}
				if len(got) != len(c.want) {
					t.Fatalf("%d lines, want %d: %v", len(got), len(c.want), got)
				}
				for i := range got {
					if got[i] != c.want[i] {
						t.Errorf("line %d: %d %q (%d bytes), want %d %q (%d bytes)", i, got[i].Number, abbreviate(got[i].Text, 40), got[i].Size,
							c.want[i].Number, abbreviate(c.want[i].Text, 40), c.want[i].Size)
					}
				}
			}
		})
	}
}

// A file that cannot be read fails the feed, naming the line it got to.
func TestOrderLinesReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("{}\n{}\n"), iotest.ErrReader(boom))
	n := 0
	err := OrderLines(r, func(OrderLine) error { n++; return nil })
	if !errors.Is(err, boom) || n != 2 || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("err %v after %d lines: want boom at line 3", err, n)
	}
}

// The backlog a file's feed leaves in the queue is bounded in bytes too:
// goaws holds a queue in this process's memory.
func TestBacklog(t *testing.T) {
	for _, tt := range []struct{ mean, want int }{
		{0, feedBacklog},
		{200, feedBacklog},
		{feedBytes / feedBacklog, feedBacklog},
		{feedBytes/feedBacklog + 1000, feedBytes / (feedBytes/feedBacklog + 1000)},
		{256 << 10, 32},
		{feedBytes, 1},
		{feedBytes * 4, 1},
	} {
		if got := backlog(tt.mean); got != tt.want {
			t.Errorf("backlog(%d) = %d, want %d", tt.mean, got, tt.want)
		}
	}
}
