package local

import (
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// removeTablesLeft removes the table directories in dir of runs that ended
// without removing them (killed with SIGKILL: the kernel kills dynalite
// with them, but nobody removes the store). LevelDB, and orderpipe's file
// table likewise, hold an fcntl lock on the directory's LOCK file while the
// store is open, which the kernel releases when the process dies: a
// directory whose LOCK no process holds belongs to no running table. One
// without a LOCK file (its table not started yet) or whose LOCK is younger
// than lockGrace (the file is created, then locked) is left.
func removeTablesLeft(dir string) {
	dirs, _ := filepath.Glob(filepath.Join(dir, tableDirPrefix+"*"))
	for _, d := range dirs {
		lock := filepath.Join(d, "LOCK")
		fi, err := os.Stat(lock)
		if err != nil || time.Since(fi.ModTime()) < lockGrace {
			continue
		}
		if held, err := lockHeld(lock); err == nil && !held {
			os.RemoveAll(d)
		}
	}
}

const lockGrace = 10 * time.Second

// lockHeld says whether another process holds an fcntl lock on the file.
func lockHeld(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	lk := syscall.Flock_t{Type: syscall.F_WRLCK}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk); err != nil {
		return false, err
	}
	return lk.Type != syscall.F_UNLCK, nil
}
