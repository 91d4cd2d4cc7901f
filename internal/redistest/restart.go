//go:build unix

package redistest

import (
	"syscall"
	"testing"
)

// Suspend freezes the server with SIGSTOP until Resume (or tb's cleanup,
// which resumes it so that the stop in Start's cleanup is not left waiting
// on a frozen process). Nothing is lost: the data stays in memory, and the
// kernel keeps accepting connections and buffering what clients send, but
// no command gets an answer. To a client that is a hung or unreachable
// server, the hard kind of outage: a write that times out may still be
// applied once the server resumes.
func (s *Server) Suspend(tb testing.TB) {
	tb.Helper()
	tb.Cleanup(func() { _ = s.cmd.Process.Signal(syscall.SIGCONT) })
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		tb.Fatalf("redistest: suspend %s: %v", s.Addr(), err)
	}
}

// Resume lets a suspended server run again; it answers what was sent to it
// meanwhile, on connections the clients have not given up on.
func (s *Server) Resume(tb testing.TB) {
	tb.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		tb.Fatalf("redistest: resume %s: %v", s.Addr(), err)
	}
}
