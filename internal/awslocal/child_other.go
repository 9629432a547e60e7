//go:build !linux

package awslocal

import "os/exec"

// dieWithParent has no portable form: elsewhere a killed run's children are
// left to Close.
func dieWithParent(*exec.Cmd) {}
