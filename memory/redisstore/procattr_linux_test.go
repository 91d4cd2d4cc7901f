package redisstore_test

import "syscall"

// dieWithParent has the kernel kill a redis-server a test started if the
// test binary dies without running its cleanups.
func dieWithParent(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGKILL }
