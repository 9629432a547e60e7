package filetable

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// lockDir creates path and holds a write lock on it until the file is
// closed; the kernel releases it when the process dies. The lock is one of
// the open file description (F_OFD_SETLK, Linux 3.15), so that two Servers
// of one process conflict too, while a process's F_GETLK (as local's
// removeTablesLeft asks LevelDB's LOCK) sees it as any fcntl lock.
func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0}
	if err := syscall.FcntlFlock(f.Fd(), unix.F_OFD_SETLK, &lk); err != nil {
		f.Close()
		if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EACCES) {
			return nil, fmt.Errorf("%s is held by another running file table", path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}
