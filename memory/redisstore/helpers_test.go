package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/rueidis"

	"github.com/steady-voice/steady/internal/redistest"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/memory/redisstore"
)

// prefixes makes every store's key prefix unique, so stores sharing a
// server never see each other's keys (or users set).
var prefixes atomic.Uint64

func uniquePrefix() string { return fmt.Sprintf("t%d", prefixes.Add(1)) }

// openStore opens a store with a fresh prefix on url; opt.Prefix is set.
func openStore(t testing.TB, url string, opt redisstore.Options) (*redisstore.Store, redisstore.Options) {
	t.Helper()
	if opt.Prefix == "" {
		opt.Prefix = uniquePrefix()
	}
	s, err := redisstore.Open(context.Background(), url, opt)
	if err != nil {
		t.Fatalf("Open(%s): got %v, want nil", url, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, opt
}

// rawClient is a client of one node, without client-side caching, for
// looking at what the store left in Redis.
func rawClient(t testing.TB, addrs ...string) rueidis.Client {
	t.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: addrs, DisableCache: true, ForceSingleClient: true})
	if err != nil {
		t.Fatalf("rueidis.NewClient(%v): %v", addrs, err)
	}
	t.Cleanup(c.Close)
	return c
}

func do(t testing.TB, c rueidis.Client, args ...string) rueidis.RedisResult {
	t.Helper()
	r := c.Do(context.Background(), c.B().Arbitrary(args...).Build())
	if err := r.Error(); err != nil && !rueidis.IsRedisNil(err) {
		t.Fatalf("%v: %v", args, err)
	}
	return r
}

func doInt(t testing.TB, c rueidis.Client, args ...string) int64 {
	t.Helper()
	n, err := do(t, c, args...).AsInt64()
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return n
}

// eventually polls cond until it holds. The deadline only turns a hang into
// a failure; no test asserts how long anything takes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not true after 20s", what)
		}
	}
}

const dims = 100

// intervention builds a full intervention of user, created now and
// expiring ttl later, with a unit vector drawn from seed.
func intervention(t testing.TB, user string, seed uint64, now time.Time, ttl time.Duration) memory.Intervention {
	t.Helper()
	id, err := uuid.NewV7()
	if err != nil {
		t.Fatal(err)
	}
	return memory.Intervention{
		ID: id.String(), UserID: user, SessionID: "s1", Tool: "breathing", Category: memory.Emotional,
		Context: "I can't start", Text: "Let's breathe", Outcome: memory.Pending,
		Scores:    map[string]float64{"effectiveness": 0.5},
		CreatedAt: now, ExpiresAt: now.Add(ttl),
		Embedding: unitVector(seed), Embedder: "test/100d",
	}
}

func unitVector(seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 7))
	v := make([]float32, dims)
	var norm float64
	for i := range v {
		f := r.NormFloat64()
		v[i], norm = float32(f), norm+f*f
	}
	for i := range v {
		v[i] /= float32(math.Sqrt(norm))
	}
	return v
}

func put(t testing.TB, s memory.Store, ivs ...memory.Intervention) {
	t.Helper()
	for _, iv := range ivs {
		if err := s.PutIntervention(context.Background(), iv); err != nil {
			t.Fatalf("PutIntervention(%s): got %v, want nil", iv.ID, err)
		}
	}
}

// ownServer is a redis-server this package starts itself, because the
// reconnection test must stop it and start it again on the same port,
// which redistest does not offer.
type ownServer struct {
	bin, dir string
	port     int
	cmd      *exec.Cmd
	done     chan struct{}
}

func startOwnServer(t *testing.T) *ownServer {
	t.Helper()
	bin, err := redisBinary()
	if err != nil {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatal(err)
		}
		t.Skip(err, "(apt-get install -y redis-server)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &ownServer{bin: bin, dir: t.TempDir(), port: port}
	s.start(t)
	t.Cleanup(s.stop)
	return s
}

// redisBinary looks where redistest looks.
func redisBinary() (string, error) {
	if bin := os.Getenv("REDISTEST_BIN"); bin != "" {
		return bin, nil
	}
	for _, name := range []string{"redis-server", "/usr/bin/redis-server", "/usr/sbin/redis-server"} {
		if bin, err := exec.LookPath(name); err == nil {
			return bin, nil
		}
	}
	return "", errors.New("redis-server not found")
}

func (s *ownServer) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

func (s *ownServer) start(t *testing.T) {
	t.Helper()
	s.cmd = exec.Command(s.bin, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir, "--daemonize", "no")
	s.cmd.SysProcAttr = &syscall.SysProcAttr{}
	dieWithParent(s.cmd.SysProcAttr)
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(s.cmd, s.done)
	eventually(t, "redis-server answers on "+s.addr(), func() bool { return s.answers() })
}

// answers reports whether our process listens: a PING gets PONG.
func (s *ownServer) answers() bool {
	select {
	case <-s.done:
		return false
	default:
	}
	conn, err := net.DialTimeout("tcp", s.addr(), time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	buf := make([]byte, 7)
	n, _ := conn.Read(buf)
	return strings.HasPrefix(string(buf[:n]), "+PONG")
}

func (s *ownServer) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// shared is the server most tests use, started once for the package; each
// test's store has its own prefix.
var (
	shared    *redistest.Server
	sharedErr error
)

func TestMain(m *testing.M) {
	var stop func()
	shared, stop, sharedErr = redistest.StartMain()
	code := m.Run()
	stop()
	os.Exit(code)
}

func sharedServer(t testing.TB) *redistest.Server {
	t.Helper()
	if sharedErr != nil {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatal(sharedErr)
		}
		t.Skip(sharedErr, "(apt-get install -y redis-server)")
	}
	return shared
}

// commandCalls reads INFO commandstats: calls per command.
func commandCalls(t testing.TB, c rueidis.Client) map[string]int64 {
	t.Helper()
	info, err := do(t, c, "INFO", "commandstats").ToString()
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]int64{}
	for line := range strings.Lines(info) {
		name, rest, ok := strings.Cut(strings.TrimPrefix(line, "cmdstat_"), ":")
		if !ok || !strings.HasPrefix(line, "cmdstat_") {
			continue
		}
		v, _, _ := strings.Cut(strings.TrimPrefix(rest, "calls="), ",")
		calls[name], _ = strconv.ParseInt(v, 10, 64)
	}
	return calls
}

// netOutput reads total_net_output_bytes from INFO stats: every byte the
// server has sent to its clients.
func netOutput(t testing.TB, c rueidis.Client) int64 {
	t.Helper()
	info, err := do(t, c, "INFO", "stats").ToString()
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "total_net_output_bytes:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	t.Fatal("INFO stats has no total_net_output_bytes")
	return 0
}

// sent returns the commands whose call counts grew from before to after,
// leaving out INFO (ours) and PING (rueidis's keep-alive).
func sent(before, after map[string]int64) map[string]int64 {
	d := map[string]int64{}
	for name, n := range after {
		if n > before[name] && name != "info" && name != "ping" {
			d[name] = n - before[name]
		}
	}
	return d
}

type rueidisClient = rueidis.Client

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }
