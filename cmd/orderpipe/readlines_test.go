package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// `publish --file` reads its file as `local --orders` does (see
// local.OrderLines): only the line's end and JSON whitespace come off, a
// byte order mark before the first line is the file's, and a line longer
// than any message fails the file, naming the line.
func TestReadLines(t *testing.T) {
	const o = `{"orderId":"a"}`
	for _, c := range []struct {
		name, file string
		want       []string
		err        string
	}{
		{"CRLF and blank lines", "\ufeff" + o + "\r\n \t\r\n" + o + "\n", []string{o, o}, ""},
		{"U+00A0 is no JSON whitespace", o + "\u00a0\n\u0085" + o, []string{o + "\u00a0", "\u0085" + o}, ""},
		{"a line too long", o + "\n" + strings.Repeat("x", 2<<20) + "\n", nil, "line 2: 2097152 bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "orders.jsonl")
			if err := os.WriteFile(path, []byte(c.file), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := readLines(path)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Errorf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, c.want) {
				t.Errorf("%q, %v; want %q", got, err, c.want)
			}
		})
	}
}
