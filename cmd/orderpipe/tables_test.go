package main

import (
	"fmt"
	"testing"
)

// --dynamodb names the table's stand-in; a wrong name or a missing dynalite
// is an error that says which flag and what to do.
func TestLocalTables(t *testing.T) {
	for _, c := range []struct {
		name, cli, err string
	}{
		{"minidyn", "", ""},
		{"dynalite", "testdata/no-such-cli.js", "--dynamodb dynalite: stat testdata/no-such-cli.js: no such file or directory (run tools/install, or give its cli.js with --dynalite)"},
		{"dynamo", "", `--dynamodb: "dynamo" is not minidyn or dynalite`},
	} {
		_, err := localTables(c.name, c.cli)
		if got := fmt.Sprint(err); c.err == "" && err != nil || c.err != "" && got != c.err {
			t.Errorf("%s: %v, want %q", c.name, err, c.err)
		}
	}
}
