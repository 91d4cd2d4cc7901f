package redistest_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/steady-voice/steady/internal/redistest"
)

func TestStartAnswersPingAndSetGet(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t)
	c := dial(t, s.Addr())
	steps := []struct {
		args []string
		want any
	}{
		{[]string{"PING"}, "PONG"},
		{[]string{"GET", "greeting"}, nil},
		{[]string{"SET", "greeting", "hello"}, "OK"},
		{[]string{"GET", "greeting"}, "hello"},
	}
	for _, st := range steps {
		if got := c.do(st.args...); got != st.want {
			t.Errorf("%v: got %#v, want %#v", st.args, got, st.want)
		}
	}
}

func TestServerAddresses(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t)
	addr := "127.0.0.1:" + strconv.Itoa(s.Port())
	tests := []struct{ name, got, want string }{
		{"Addr", s.Addr(), addr},
		{"URL", s.URL(), "redis://" + addr},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if s.Port() == 6379 {
		t.Errorf("Port: got the default 6379, want a private port")
	}
}

func TestVersionMatchesInfo(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t)
	info, _ := dial(t, s.Addr()).do("INFO", "server").(string)
	want := infoField(info, "redis_version")
	if got := s.Version(); got != want || got == "" {
		t.Errorf("Version: got %q, want %q (non-empty)", got, want)
	}
}

func TestConfigHasNoPersistence(t *testing.T) {
	t.Parallel()
	c := dial(t, redistest.Start(t).Addr())
	tests := []struct{ param, want string }{
		{"save", ""},
		{"appendonly", "no"},
		{"daemonize", "no"},
		{"bind", "127.0.0.1"},
		{"protected-mode", "no"},
	}
	for _, tt := range tests {
		got := c.do("CONFIG", "GET", tt.param)
		if want := []any{tt.param, tt.want}; !reflect.DeepEqual(got, want) {
			t.Errorf("CONFIG GET %s: got %#v, want %#v", tt.param, got, []any{tt.param, tt.want})
		}
	}
}

func TestServersAreIsolated(t *testing.T) {
	t.Parallel()
	a, b := redistest.Start(t), redistest.Start(t)
	if a.Port() == b.Port() {
		t.Fatalf("both servers got port %d, want different ports", a.Port())
	}
	ca, cb := dial(t, a.Addr()), dial(t, b.Addr())
	ca.do("SET", "shared", "from-a")
	ca.do("SET", "only-a", "1")
	cb.do("SET", "shared", "from-b")
	checks := []struct {
		name string
		c    *respConn
		args []string
		want any
	}{
		{"a keeps its value", ca, []string{"GET", "shared"}, "from-a"},
		{"b keeps its value", cb, []string{"GET", "shared"}, "from-b"},
		{"b does not see a's key", cb, []string{"EXISTS", "only-a"}, int64(0)},
	}
	for _, ck := range checks {
		if got := ck.c.do(ck.args...); got != ck.want {
			t.Errorf("%s: %v got %#v, want %#v", ck.name, ck.args, got, ck.want)
		}
	}
}

// TestParallelStarts has several tests start servers at the same time, which
// is how later packages use this one; -race watches the shared code paths.
func TestParallelStarts(t *testing.T) {
	for i := range 4 {
		name := "server-" + strconv.Itoa(i)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := dial(t, redistest.Start(t).Addr())
			if got := c.do("GET", "owner"); got != nil {
				t.Fatalf("GET owner on a fresh server: got %#v, want nil", got)
			}
			c.do("SET", "owner", name)
			if got := c.do("GET", "owner"); got != name {
				t.Errorf("GET owner: got %#v, want %q", got, name)
			}
		})
	}
}

func TestCleanupStopsServer(t *testing.T) {
	var addr string
	t.Run("with server", func(t *testing.T) {
		s := redistest.Start(t)
		addr = s.Addr()
		if got := dial(t, addr).do("PING"); got != "PONG" {
			t.Fatalf("PING: got %#v, want PONG", got)
		}
	})
	if addr == "" {
		t.Skip("the subtest started no server")
	}
	assertStopped(t, addr)
}

func TestStartMain(t *testing.T) {
	t.Parallel()
	s, stop, err := redistest.StartMain()
	if err != nil {
		skipOrFail(t, err)
	}
	t.Cleanup(stop) // in case the test fails before it stops the server
	if got := dial(t, s.Addr()).do("PING"); got != "PONG" {
		t.Fatalf("PING: got %#v, want PONG", got)
	}
	stop()
	assertStopped(t, s.Addr())
}

// TestStartWithoutUsableRedis checks that a missing or broken redis-server
// skips the test outside CI and fails it in CI, with a useful message.
func TestStartWithoutUsableRedis(t *testing.T) {
	failing := filepath.Join(t.TempDir(), "failing-redis-server")
	script := "#!/bin/sh\necho 'fatal: boom from the fake server' >&2\nexit 1\n"
	if err := os.WriteFile(failing, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "no-such-redis-server")
	tests := []struct {
		name, bin, ci string
		wantFatal     bool
		wantIn        []string
	}{
		{"missing binary outside CI skips", missing, "", false, []string{missing, "apt-get install -y redis-server"}},
		{"missing binary in CI fails", missing, "true", true, []string{missing, "CI"}},
		{"early exit shows the log tail", failing, "false", false, []string{"exited before answering PING", "boom from the fake server"}},
		{"early exit in CI fails", failing, "true", true, []string{"boom from the fake server"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.bin == failing && runtime.GOOS == "windows" {
				t.Skip("needs /bin/sh")
			}
			t.Setenv("REDISTEST_BIN", tt.bin)
			t.Setenv("CI", tt.ci)
			rec := startRecorded(t)
			msg, other, want := rec.skip, rec.fatal, "skip"
			if tt.wantFatal {
				msg, other, want = rec.fatal, rec.skip, "fatal"
			}
			if msg == "" || other != "" {
				t.Fatalf("got skip %q and fatal %q, want only a %s", rec.skip, rec.fatal, want)
			}
			for _, want := range tt.wantIn {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not contain %q", msg, want)
				}
			}
		})
	}
}

// recordingTB stands in for a test's TB so a test can watch Start skip or
// fail without skipping or failing itself. Like the real methods, Fatalf and
// Skipf end the calling goroutine.
type recordingTB struct {
	testing.TB
	fatal, skip string
}

func (r *recordingTB) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recordingTB) Skipf(format string, args ...any) {
	r.skip = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// startRecorded runs Start in its own goroutine, because Fatalf and Skipf end
// the goroutine that calls them.
func startRecorded(t *testing.T) *recordingTB {
	t.Helper()
	rec := &recordingTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if s := redistest.Start(rec); s != nil {
			t.Errorf("Start returned a server at %s, want a skip or a failure", s.Addr())
		}
	}()
	<-done
	return rec
}

// skipOrFail applies the rule StartMain leaves to its callers.
func skipOrFail(t *testing.T, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(err)
	}
	t.Skip(err)
}

func assertStopped(t *testing.T, addr string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err == nil {
		conn.Close()
		t.Fatalf("%s still accepts connections after the server was stopped", addr)
	}
}

// respConn is a bare RESP2 client, so these tests check the server without
// depending on the code under test or on a client library.
type respConn struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dial(t *testing.T, addr string) *respConn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	// Not a timing assertion: it only turns a hung server into a failure.
	if err := conn.SetDeadline(time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	return &respConn{t: t, conn: conn, r: bufio.NewReader(conn)}
}

// do sends a command and returns its reply: string, int64, nil or []any.
// An error reply fails the test.
func (c *respConn) do(args ...string) any {
	c.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(c.conn, b.String()); err != nil {
		c.t.Fatalf("%v: %v", args, err)
	}
	reply, err := readReply(c.r)
	if err != nil {
		c.t.Fatalf("%v: %v", args, err)
	}
	return reply
}

func readReply(r *bufio.Reader) (any, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, errors.New("empty reply line")
	}
	body := line[1:]
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return nil, fmt.Errorf("redis error: %s", body)
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		return readBulk(r, body)
	case '*':
		return readArray(r, body)
	}
	return nil, fmt.Errorf("unknown reply %q", line)
}

func readBulk(r *bufio.Reader, size string) (any, error) {
	n, err := strconv.Atoi(size)
	if err != nil || n < 0 {
		return nil, err // a length of -1 is the nil reply
	}
	buf := make([]byte, n+2)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	return string(buf[:n]), nil
}

func readArray(r *bufio.Reader, size string) (any, error) {
	n, err := strconv.Atoi(size)
	if err != nil || n < 0 {
		return nil, err
	}
	items := make([]any, n)
	for i := range items {
		if items[i], err = readReply(r); err != nil {
			return nil, err
		}
	}
	return items, nil
}

func infoField(info, key string) string {
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
