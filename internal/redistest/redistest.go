// Package redistest starts private, throwaway redis-server processes for tests
// that need a real Redis (the project never fakes a store).
//
// Each server listens on its own free loopback port, keeps nothing on disk and
// lives in its own temporary directory, so tests may run in parallel, each with
// its own server, and never see — or touch — any other Redis on the machine,
// such as the system one on 6379.
//
// The binary is, in order: $REDISTEST_BIN if set (for example a valkey-server or
// another Redis version), redis-server from PATH, /usr/bin/redis-server,
// /usr/sbin/redis-server (Debian's package: apt-get install -y redis-server).
//
// StartCluster starts three of them as a Redis Cluster, joined with redis-cli
// (Debian's redis-tools, which redis-server depends on).
package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// binEnv names a redis-server binary to use instead of looking one up.
	binEnv = "REDISTEST_BIN"
	// installHint tells a developer how to turn a skip into a run.
	installHint = "apt-get install -y redis-server"

	// startTimeout bounds the wait for the first PONG. Redis answers within
	// milliseconds; the margin is for loaded CI machines running -race.
	startTimeout = 10 * time.Second
	pollInterval = 20 * time.Millisecond
	// ioTimeout keeps one readiness probe from hanging on a listener that
	// accepts but never answers.
	ioTimeout = 2 * time.Second
	// stopGrace is how long SIGTERM gets before SIGKILL. With no persistence
	// Redis has nothing to flush, so this only matters if it is wedged.
	stopGrace = 5 * time.Second
	// maxAttempts bounds the retries when another process takes the port
	// between freePort closing it and redis binding it.
	maxAttempts  = 5
	logTailLines = 20
	// maxBulk caps a bulk reply so garbage from a foreign listener cannot make
	// a probe allocate without bound.
	maxBulk = 1 << 20
)

// errPortTaken means the chosen port turned out to belong to someone else;
// start retries with a fresh port.
var errPortTaken = errors.New("port taken by another process")

// Server is a running private redis-server.
type Server struct {
	port    int
	version string
	cmd     *exec.Cmd
	exited  chan struct{} // closed once cmd.Wait has returned
	waitErr error         // cmd.Wait's result; read only after exited is closed
	once    sync.Once
}

// Start starts a private redis-server and stops it in tb's cleanup, which also
// runs when the test panics.
//
// If no redis-server can be found or started, Start skips the test with the
// reason and an install hint — unless the environment variable CI is true
// ("true", or anything else strconv.ParseBool accepts as true, such as "1"),
// where it fails the test instead, so that CI can never pass by skipping.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, err := start(tb.TempDir(), standalone)
	if err != nil {
		skipOrFail(tb, err)
		return nil // not reached: skipOrFail ends the test
	}
	tb.Cleanup(s.stop)
	return s
}

// StartMain starts a private redis-server for a whole package's run, from
// TestMain. stop stops the server and removes its directory; it is never nil
// and may be called more than once. Call it before os.Exit, which skips
// deferred calls. On Linux the server is also killed if the test binary dies
// without calling stop (a panic, a -timeout).
//
// On error the caller decides what to do, but must follow the rule Start
// applies: when the environment variable CI is "true", fail (CI must never
// pass by skipping); otherwise skip, pointing at
// "apt-get install -y redis-server". One way is to keep the error and let
// each test skip or fail on it:
//
//	var srv *redistest.Server
//	var srvErr error
//
//	func TestMain(m *testing.M) {
//		var stop func()
//		srv, stop, srvErr = redistest.StartMain()
//		code := m.Run()
//		stop()
//		os.Exit(code)
//	}
//
//	func server(t *testing.T) *redistest.Server {
//		t.Helper()
//		if srvErr != nil {
//			if os.Getenv("CI") == "true" {
//				t.Fatal(srvErr)
//			}
//			t.Skip(srvErr, "(apt-get install -y redis-server)")
//		}
//		return srv
//	}
func StartMain() (*Server, func(), error) {
	noop := func() {}
	dir, err := os.MkdirTemp("", "redistest-")
	if err != nil {
		return nil, noop, fmt.Errorf("redistest: %w", err)
	}
	s, err := start(dir, standalone)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, noop, fmt.Errorf("redistest: %w", err)
	}
	stop := sync.OnceFunc(func() {
		s.stop()
		_ = os.RemoveAll(dir)
	})
	return s, stop, nil
}

// Addr returns the server's address, "127.0.0.1:PORT".
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL returns the server's address as a URL, "redis://127.0.0.1:PORT".
func (s *Server) URL() string { return "redis://" + s.Addr() }

// Port returns the server's TCP port.
func (s *Server) Port() int { return s.port }

// Version returns redis_version from INFO server, e.g. "7.0.15", so tests can
// skip features the running server lacks.
func (s *Server) Version() string { return s.version }

func skipOrFail(tb testing.TB, err error) {
	tb.Helper()
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		tb.Fatalf("redistest: %v\n(CI is true: a missing or broken redis-server fails the run instead of skipping)", err)
	}
	tb.Skipf("redistest: %v\n(to run these tests: %s; with CI=true this is a failure)", err, installHint)
}

// mode is what differs between a plain server and a cluster node: the
// ports it needs free, and the arguments that make it one or the other.
type mode struct {
	port  func() (int, error)
	extra func(dir string, port int) []string
}

// standalone is a plain server: one port, no extra arguments.
var standalone = mode{port: freePort, extra: func(string, int) []string { return nil }}

// start launches a server whose files live in dir, retrying on a fresh port
// when the one it picked was taken before redis could bind it.
func start(dir string, m mode) (*Server, error) {
	bin, err := findBinary()
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		s, err := launch(bin, dir, m)
		if errors.Is(err, errPortTaken) && attempt < maxAttempts {
			continue
		}
		return s, err
	}
}

// findBinary falls back to Debian's paths because PATH often lacks /usr/sbin
// (non-root shells, CI images) even when the package is installed.
func findBinary() (string, error) {
	if bin := os.Getenv(binEnv); bin != "" {
		return bin, nil // explicit choice: a wrong path should fail, not fall back
	}
	for _, name := range []string{"redis-server", "/usr/bin/redis-server", "/usr/sbin/redis-server"} {
		if bin, err := exec.LookPath(name); err == nil {
			return bin, nil
		}
	}
	return "", errors.New("redis-server not found in PATH, /usr/bin or /usr/sbin")
}

// launch makes one attempt: a free port, a process, a PONG from it.
func launch(bin, dir string, m mode) (*Server, error) {
	port, err := m.port()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, fmt.Sprintf("redis-%d.log", port))
	args := append(redisArgs(port, dir), m.extra(dir, port)...)
	s, err := spawn(bin, dir, port, args, logPath)
	if err != nil {
		return nil, err
	}
	if err := s.waitReady(logPath); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w\nlast lines of %s:\n%s", err, logPath, logTail(logPath))
	}
	return s, nil
}

// freePort asks the kernel for a free loopback port. It is free only until
// someone else takes it; launch's caller retries when that happens.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func redisArgs(port int, dir string) []string {
	return []string{
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--protected-mode", "no",
		"--daemonize", "no", // we must own the process to stop it
		"--dir", dir,
		"--logfile", "", // stdout, which is the log file
		"--save", "",
		"--appendonly", "no",
	}
}

func spawn(bin, dir string, port int, args []string, logPath string) (*Server, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create redis log: %w", err)
	}
	defer logFile.Close() // the child keeps its own descriptor
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	killWithParent(cmd.SysProcAttr)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s := &Server{port: port, cmd: cmd, exited: make(chan struct{})}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	return s, nil
}

// waitReady polls until our process answers PING, exits, or time runs out.
func (s *Server) waitReady(logPath string) error {
	deadline := time.Now().Add(startTimeout)
	for {
		// Check before dialling: once our process is gone, whatever listens
		// on the port is someone else's and must not be probed.
		if s.hasExited() {
			return s.exitError(logPath)
		}
		err := s.handshake()
		if err == nil || errors.Is(err, errPortTaken) {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server did not answer PING on %s within %v: %w", s.Addr(), startTimeout, err)
		}
		time.Sleep(pollInterval)
	}
}

func (s *Server) hasExited() bool {
	select {
	case <-s.exited:
		return true
	default:
		return false
	}
}

func (s *Server) exitError(logPath string) error {
	err := fmt.Errorf("redis-server exited before answering PING: %w", s.waitErr)
	if s.waitErr == nil {
		err = errors.New("redis-server exited (status 0) before answering PING")
	}
	if log, _ := os.ReadFile(logPath); strings.Contains(string(log), "Address already in use") {
		return fmt.Errorf("%w: %w", errPortTaken, err)
	}
	return err
}

// dial opens a raw RESP conversation with the server, bounded by ioTimeout
// as a whole.
func (s *Server) dial() (*bufio.ReadWriter, func() error, error) {
	conn, err := net.DialTimeout("tcp", s.Addr(), ioTimeout)
	if err != nil {
		return nil, nil, err
	}
	if err := conn.SetDeadline(time.Now().Add(ioTimeout)); err != nil {
		conn.Close()
		return nil, nil, err
	}
	return bufio.NewReadWriter(bufio.NewReader(conn), bufio.NewWriter(conn)), conn.Close, nil
}

// handshake PINGs the server and reads INFO server. The process_id check makes
// sure the answer came from our process: if another program grabbed the port
// before redis bound it, the test must not be handed someone else's Redis.
func (s *Server) handshake() error {
	rw, closeConn, err := s.dial()
	if err != nil {
		return err
	}
	defer closeConn()
	pong, err := command(rw, "PING")
	if err != nil {
		return fmt.Errorf("PING: %w", err)
	}
	if pong != "PONG" {
		return fmt.Errorf("PING: got %q, want PONG", pong)
	}
	info, err := command(rw, "INFO", "server")
	if err != nil {
		return fmt.Errorf("INFO server: %w", err)
	}
	if pid, want := infoField(info, "process_id"), strconv.Itoa(s.cmd.Process.Pid); pid != want {
		return fmt.Errorf("%w: %s answered with process_id %q, want %s", errPortTaken, s.Addr(), pid, want)
	}
	s.version = infoField(info, "redis_version")
	return nil
}

func infoField(info, key string) string {
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// command sends one RESP command and reads a reply that is a simple string,
// an integer or a bulk string — all that the readiness probe needs.
func command(rw *bufio.ReadWriter, args ...string) (string, error) {
	fmt.Fprintf(rw, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(rw, "$%d\r\n%s\r\n", len(a), a)
	}
	if err := rw.Flush(); err != nil {
		return "", err
	}
	line, err := rw.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return "", errors.New("empty reply")
	}
	switch body := line[1:]; line[0] {
	case '+', ':':
		return body, nil
	case '-':
		return "", fmt.Errorf("redis error: %s", body)
	case '$':
		return readBulk(rw.Reader, body)
	default:
		return "", fmt.Errorf("not a RESP reply: %.40q", line)
	}
}

func readBulk(r *bufio.Reader, size string) (string, error) {
	n, err := strconv.Atoi(size)
	if err != nil || n < 0 || n > maxBulk {
		return "", fmt.Errorf("bad bulk length %q", size)
	}
	buf := make([]byte, n+2) // payload and its trailing CRLF
	if _, err := io.ReadFull(r, buf); err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// stop ends the process and waits for it, so no redis outlives its test and
// the temporary directory can be removed. Safe to call more than once.
func (s *Server) stop() {
	s.once.Do(func() {
		if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			_ = s.cmd.Process.Kill() // no SIGTERM on this platform, or already gone
		}
		select {
		case <-s.exited:
		case <-time.After(stopGrace):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	})
}

func logTail(path string) string {
	data, err := os.ReadFile(path) // small: a failed start logs a few lines
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	return tail(string(data))
}

// tail keeps the last lines of a log or a command's output, where the error
// is.
func tail(out string) string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) > logTailLines {
		lines = lines[len(lines)-logTailLines:]
	}
	return strings.Join(lines, "\n")
}
