package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// --dynamodb names the table's stand-in; a wrong name or a missing dynalite
// is an error that says which flag and what to do.
func TestLocalTables(t *testing.T) {
	// A PATH with a node in it, and one without.
	withNode := t.TempDir()
	if err := os.WriteFile(filepath.Join(withNode, "node"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cli := filepath.Join(t.TempDir(), "cli.js")
	if err := os.WriteFile(cli, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	const noCLI = "testdata/no-such-cli.js"
	for _, c := range []struct {
		name, path, cli, want, err string
	}{
		{"file", t.TempDir(), noCLI, "on disk, in this process, by orderpipe's file table", ""},
		{"minidyn", t.TempDir(), noCLI, "in this process's memory, by minidyn", ""},
		{"dynalite", withNode, cli, "on disk, by dynalite", ""},
		{"dynalite", withNode, noCLI, "", "--dynamodb dynalite: stat testdata/no-such-cli.js: no such file or directory (run tools/install, or give its cli.js with --dynalite)"},
		{"dynalite", t.TempDir(), cli, "", `--dynamodb dynalite needs Node.js: exec: "node": executable file not found in $PATH`},
		{"auto", withNode, cli, "", `--dynamodb: "auto" is not file, dynalite or minidyn`},
		{"dynamo", withNode, cli, "", `--dynamodb: "dynamo" is not file, dynalite or minidyn`},
	} {
		t.Setenv("PATH", c.path)
		tables, got, err := localTables(c.name, c.cli)
		if c.err != "" {
			if fmt.Sprint(err) != c.err || tables != nil {
				t.Errorf("%s %s: %v, want %q", c.name, c.cli, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want || tables == nil {
			t.Errorf("%s %s: %q, %v; want %q", c.name, c.cli, got, err, c.want)
		}
	}
}
