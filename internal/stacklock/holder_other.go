//go:build !linux

package stacklock

// process cannot tell here whether a process has ended: it is taken to be
// running, so its lock is waited for.
func process(int) proc { return proc{exists: true} }
