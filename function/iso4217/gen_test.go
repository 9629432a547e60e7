package iso4217

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// table.go is what gen.go writes from the pinned packages: nobody edited it
// by hand, and gen.go's last change was run. It installs the packages with
// npm from the registry, as go generate does.
func TestTableIsGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("installs npm packages")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Fatalf("gen.go needs npm (tools/install's node): %v", err)
	}
	dir := t.TempDir()
	gen := filepath.Join(dir, "gen")
	run(t, "go", "build", "-o", gen, "gen.go")
	packages := strings.Fields(run(t, gen, "-packages"))
	run(t, npm, append([]string{"install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error", "--prefix", dir}, packages...)...)
	out := filepath.Join(dir, "table.go")
	run(t, gen, "-modules", filepath.Join(dir, "node_modules"), "-o", out)

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

// run runs a command to its end and returns its output. Its process group
// is killed when the test is cancelled, and the command when the test's
// process dies, so no npm outlives the test.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.Bytes())
	}
	return string(out)
}
