// Package proctest fails a test that leaves behind a process it started: a
// Pulumi CLI, a policy pack, an emulator, a shell. Every process a test
// starts must have ended when the test returns, killed runs included.
package proctest

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// T is what Check needs of a test; *testing.T has it.
type T interface {
	Helper()
	Cleanup(func())
	Errorf(format string, args ...any)
}

// Process is a running process.
type Process struct {
	PID     int
	Command string
}

func (p Process) String() string { return fmt.Sprintf("%d %s", p.PID, p.Command) }

// Check records the processes descending from the test binary now and, when
// the test ends (after the cleanups registered after it), waits up to grace
// for every descendant started since to end. It fails the test naming those
// still running, and kills them. Where the system cannot tell (not Linux) it
// checks nothing.
//
// A process whose parent ended is adopted by the test binary (it is made a
// child subreaper), so an orphan still counts as the test's. Tests that run
// in parallel with Check share the binary's descendants: use it in tests
// that start processes one at a time.
func Check(t T, grace time.Duration) {
	t.Helper()
	if err := adoptOrphans(); err != nil {
		t.Errorf("proctest: %v", err)
		return
	}
	before, err := Descendants()
	if err != nil {
		t.Errorf("proctest: %v", err)
		return
	}
	t.Cleanup(func() {
		left := waitForEnd(before, grace)
		if len(left) == 0 {
			return
		}
		var lines []string
		for _, p := range left {
			lines = append(lines, p.String())
			kill(p.PID)
		}
		t.Errorf("proctest: %d processes the test started still run %v after it (killed now):\n%s", len(left), grace, strings.Join(lines, "\n"))
	})
}

// waitForEnd waits up to grace for every descendant not in before to end,
// and returns those that did not.
func waitForEnd(before []Process, grace time.Duration) []Process {
	deadline := time.Now().Add(grace)
	for {
		now, err := Descendants()
		if err != nil {
			return nil
		}
		var left []Process
		for _, p := range now {
			if !slices.ContainsFunc(before, func(b Process) bool { return b.PID == p.PID }) {
				left = append(left, p)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(100 * time.Millisecond)
	}
}
