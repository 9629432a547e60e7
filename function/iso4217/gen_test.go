package iso4217

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// table.go is what gen.go writes from the pinned packages: nobody edited it
// by hand, and gen.go's last change was run. It installs the packages with
// npm from the registry, as go generate does.
func TestTableIsGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("installs npm packages")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		t.Fatalf("gen.go needs npm (tools/install's node): %v", err)
	}
	out := filepath.Join(t.TempDir(), "table.go")
	cmd := exec.CommandContext(t.Context(), "go", "run", "gen.go", "-o", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run gen.go: %v\n%s", err, msg)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("table.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("table.go differs from what gen.go writes now: run go generate ./function/iso4217")
	}
}
