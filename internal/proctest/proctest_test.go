//go:build linux

package proctest

import (
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// recorder is a T that records failures and runs its cleanups on demand.
type recorder struct {
	errors   []string
	cleanups []func()
}

func (r *recorder) Helper()          {}
func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) end() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

// A process the test left running fails it, also when its parent ended
// first (an orphan, as a policy pack whose CLI was killed); a process that
// ends within the grace does not; the leftover is killed.
func TestCheck(t *testing.T) {
	for _, c := range []struct {
		name, script string
		fails        bool
	}{
		{"child still running", "exec sleep 30", true},
		{"orphan still running", "sleep 30 & exit 0", true},
		{"orphan that ends within the grace", "sleep 0.2 & exit 0", false},
		{"nothing left", "exit 0", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &recorder{}
			Check(r, 2*time.Second, "")
			cmd := exec.Command("bash", "-c", c.script)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go cmd.Wait()
			time.Sleep(200 * time.Millisecond)
			start := time.Now()
			r.end()
			failed := len(r.errors) > 0
			if failed != c.fails {
				t.Errorf("failed %v (%q), want %v", failed, r.errors, c.fails)
			}
			if c.fails && !strings.Contains(strings.Join(r.errors, ""), "sleep 30") {
				t.Errorf("the failure does not name the process: %q", r.errors)
			}
			if c.fails && time.Since(start) < 2*time.Second {
				t.Errorf("failed after %v, before the grace of 2s", time.Since(start))
			}
			time.Sleep(200 * time.Millisecond)
			if left, _ := Descendants(); len(left) > 0 {
				t.Errorf("still running after the check: %v", left)
			}
		})
	}
}

// With a marker, a process without it (another test's) is not this test's.
func TestCheckWithMarker(t *testing.T) {
	r := &recorder{}
	Check(r, time.Second, "PROCTEST_MARK=mine")
	other := exec.Command("sleep", "30")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { other.Process.Kill(); other.Wait() }()
	mine := exec.Command("bash", "-c", "sleep 30 & exit 0")
	mine.Env = append(mine.Environ(), "PROCTEST_MARK=mine")
	if err := mine.Run(); err != nil {
		t.Fatal(err)
	}
	r.end()
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "1 processes") || !strings.Contains(r.errors[0], "sleep 30") {
		t.Errorf("errors %q, want one naming the marked orphan only", r.errors)
	}
	if err := other.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("the unmarked process was killed: %v", err)
	}
}
