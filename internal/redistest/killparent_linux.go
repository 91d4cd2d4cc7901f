package redistest

import "syscall"

// killWithParent has the kernel kill redis-server if the test binary dies
// without running its cleanups (a `go test -timeout` panic does that).
func killWithParent(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGKILL }
