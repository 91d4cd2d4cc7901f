//go:build !linux

package redisstore_test

import "syscall"

func dieWithParent(*syscall.SysProcAttr) {}
