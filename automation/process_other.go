//go:build !unix

package automation

// running cannot tell here whether a lock's process is gone: it waits for it.
func running(int) bool { return true }
