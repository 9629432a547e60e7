//go:build !linux

package filetable

import "os"

// lockDir creates path; elsewhere than Linux it holds no lock, so a live
// directory cannot be told from a killed run's.
func lockDir(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
}
