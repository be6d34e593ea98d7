package schemae2e

import "syscall"

// dieWithParent makes a started process die with the test binary, even if the test
// binary itself is killed before its cleanups run.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
