// Package testenv finds the external tools that some tests need (the Lambda
// runtime interface emulator, dynalite, the Pulumi CLI). A missing tool fails
// the test in CI (CI=true) and skips it elsewhere, saying how to install it.
package testenv

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// ModuleRoot is the directory of the orderpipe go.mod, found upwards from
// the working directory of the test.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testenv: no go.mod above the test's directory")
		}
		dir = parent
	}
}

// Tool returns the path of a tool: the value of the environment variable
// env when set, else path relative to the module root. When the file is not
// there, the test fails in CI and is skipped elsewhere.
func Tool(t testing.TB, env, path, install string) string {
	t.Helper()
	p := os.Getenv(env)
	if p == "" {
		p = filepath.Join(ModuleRoot(t), path)
	}
	if _, err := os.Stat(p); err != nil {
		msg := "needs " + p + " (" + errors.Unwrap(err).Error() + "); install it with `" + install + "` or set " + env
		if os.Getenv("CI") != "" {
			t.Fatal("testenv: in CI every test runs: " + msg)
		}
		t.Skip("testenv: " + msg)
	}
	return p
}
