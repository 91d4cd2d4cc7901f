//go:build unix

package redistest_test

import (
	"bufio"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/steady-voice/steady/internal/redistest"
)

// TestSuspendAndResume checks that a suspended server answers nothing,
// keeps its data, and answers again — including what was sent meanwhile —
// once resumed.
func TestSuspendAndResume(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t)
	c := dial(t, s.Addr())
	c.do("SET", "kept", "yes")
	s.Suspend(t)
	probe := rawConn(t, s.Addr())
	if _, err := probe.Write([]byte("*2\r\n$3\r\nGET\r\n$4\r\nkept\r\n")); err != nil {
		t.Fatalf("write to a suspended server: %v", err)
	}
	// Not a timing assertion: 200ms without an answer stands for "none".
	_ = probe.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	r := bufio.NewReader(probe)
	if _, err := r.ReadString('\n'); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read from a suspended server: got %v, want a timeout", err)
	}
	s.Resume(t)
	_ = probe.SetReadDeadline(time.Now().Add(time.Minute))
	if got, err := readReply(r); err != nil || got != "yes" {
		t.Errorf("reply to the GET sent while suspended: got %#v, %v; want \"yes\"", got, err)
	}
	if got := c.do("GET", "kept"); got != "yes" {
		t.Errorf("GET kept after Resume: got %#v, want \"yes\"", got)
	}
}

// TestCleanupStopsSuspendedServer leaves a server suspended: the cleanups
// must still stop it.
func TestCleanupStopsSuspendedServer(t *testing.T) {
	var addr string
	t.Run("suspended", func(t *testing.T) {
		s := redistest.Start(t)
		addr = s.Addr()
		s.Suspend(t)
	})
	if addr == "" {
		t.Skip("the subtest started no server")
	}
	assertStopped(t, addr)
}

func rawConn(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
