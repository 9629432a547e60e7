package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/orderpipe/orderpipe/internal/testenv"
)

// The GitHub Actions workflows pass actionlint, which also checks the shell
// of their run steps; a broken workflow fails it.
func TestWorkflows(t *testing.T) {
	lint := testenv.Tool(t, "ORDERPIPE_ACTIONLINT", "bin/actionlint", "tools/install")
	files, err := filepath.Glob(".github/workflows/*.yml")
	if err != nil || len(files) < 2 {
		t.Fatalf("workflows %v, %v", files, err)
	}
	if out, err := exec.Command(lint, append([]string{"-no-color"}, files...)...).CombinedOutput(); err != nil {
		t.Errorf("actionlint: %v\n%s", err, out)
	}

	broken := filepath.Join(t.TempDir(), "broken.yml")
	if err := os.WriteFile(broken, []byte("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := exec.Command(lint, "-no-color", broken).Run(); err == nil {
		t.Error("actionlint passed a broken workflow")
	}
}
