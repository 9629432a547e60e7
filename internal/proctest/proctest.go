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
// child subreaper), so an orphan still counts as the test's. With marker
// ("KEY=VALUE") only the processes whose environment holds it count, so that
// tests running in parallel, each with its own marker passed to what it
// starts, see only their own; without it, every descendant counts.
func Check(t T, grace time.Duration, marker string) {
	t.Helper()
	if err := adoptOrphans(); err != nil {
		t.Errorf("proctest: %v", err)
		return
	}
	before, err := descendants(marker)
	if err != nil {
		t.Errorf("proctest: %v", err)
		return
	}
	t.Cleanup(func() {
		left := waitForEnd(before, grace, marker)
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
func waitForEnd(before []Process, grace time.Duration, marker string) []Process {
	deadline := time.Now().Add(grace)
	for {
		now, err := descendants(marker)
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

// descendants are the running descendants whose environment holds marker
// (all of them when it is empty).
func descendants(marker string) ([]Process, error) {
	all, err := Descendants()
	if err != nil || marker == "" {
		return all, err
	}
	var out []Process
	for _, p := range all {
		if slices.Contains(environment(p.PID), marker) {
			out = append(out, p)
		}
	}
	return out, nil
}
