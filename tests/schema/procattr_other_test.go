//go:build !linux

package schemae2e

import "syscall"

func dieWithParent() *syscall.SysProcAttr { return nil }
