package awslocal

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill the child when this process dies,
// however it dies: a local run killed with SIGKILL must not leave its
// stand-ins running.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
