//go:build !linux

package redistest

import "syscall"

// killWithParent is a no-op where the kernel offers no parent-death signal;
// the test's cleanups still stop the server.
func killWithParent(*syscall.SysProcAttr) {}
