//go:build unix

package automation

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// running reports whether the process pid, which took a stack's lock, is
// still running: it exists, and where /proc tells, it is a Pulumi CLI (the
// number may have gone to another process since).
func running(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	comm, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return true // no /proc: the process exists
	}
	return strings.Contains(string(comm), "pulumi")
}
