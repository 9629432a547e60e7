package stacklock

import (
	"fmt"
	"os"
	"time"
)

// startSlack absorbs the coarseness of a process's start time as the system
// reports it (the boot time in whole seconds, moved by every step of the
// wall clock since boot, and a fresh machine's NTP step can be minutes): a
// lock's holder started before it wrote the lock, so only a process started
// later than the lock's timestamp by more than this is taken for another
// process under a reused pid. Too long only makes a reused pid's lock
// waited for, which is safe.
const startSlack = time.Hour

// Gone says whether the lock's run has certainly ended, and why or why not.
// Only a lock taken on this machine can be judged: its process has ended,
// or its pid now belongs to a process started after the lock was taken.
// A lock of another machine, of an unnamed machine, or one whose holder
// cannot be read may be held by a run that is going: never gone.
//
// This machine is the one whose hostname the lock names: two machines that
// share a hostname and a backend would take each other's locks for their
// own, so they must not share one.
func (l Lock) Gone(now time.Time) (bool, string) {
	if l.Unreadable != "" {
		return false, "its holder cannot be read"
	}
	host, err := os.Hostname()
	switch {
	case err != nil || l.Hostname == "" || l.Hostname == "localhost":
		return false, "the machine that took it is not known by a name of its own"
	case l.Hostname != host:
		return false, fmt.Sprintf("it was taken on another machine (%s) %v ago, whose processes cannot be seen from here", l.Hostname, now.Sub(l.Timestamp).Round(time.Second))
	case l.PID <= 0:
		return false, "it names no process"
	}
	p := process(l.PID)
	switch {
	case !p.exists:
		return true, fmt.Sprintf("its process %d has ended", l.PID)
	case !p.started.IsZero() && p.started.After(l.Timestamp.Add(startSlack)):
		return true, fmt.Sprintf("its process %d has ended: pid %d is now a process started at %s, after the lock was taken",
			l.PID, l.PID, p.started.UTC().Format(time.RFC3339))
	}
	return false, fmt.Sprintf("its process %d is running", l.PID)
}

// proc is what this machine says of a process.
type proc struct {
	exists  bool
	started time.Time // zero when the system does not say
}
