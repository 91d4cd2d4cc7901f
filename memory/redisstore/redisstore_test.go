package redisstore_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/internal/redistest"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/memory/redisstore"
	"github.com/steady-voice/steady/memory/storetest"
)

func TestConformanceSingleServer(t *testing.T) {
	url := sharedServer(t).URL()
	storetest.Run(t, func(t *testing.T, now func() time.Time) memory.Store {
		s, _ := openStore(t, url, redisstore.Options{Now: now})
		return s
	})
}

// keyPrefix is what every key of user starts with in a store of prefix p.
func keyPrefix(p, user string) string {
	return p + ":{u:" + base64.RawURLEncoding.EncodeToString([]byte(user)) + "}:"
}

// TestNativeExpiry gives records a real ExpiresAt 300ms away and checks
// that Redis itself holds their expiry and drops them.
func TestNativeExpiry(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	s, opt := openStore(t, srv.URL(), redisstore.Options{})
	raw := rawClient(t, srv.Addr())
	now := time.Now()
	iv := intervention(t, "alice", 1, now, 300*time.Millisecond)
	put(t, s, iv)
	up := keyPrefix(opt.Prefix, "alice")
	for _, key := range []string{up + "iv:" + iv.ID, up + "ivt", up + "ivx", up + "hd", up + "meta", up + "b:0"} {
		if pttl := doInt(t, raw, "PTTL", key); pttl <= 0 {
			t.Errorf("PTTL %s: got %d, want > 0", key, pttl)
		}
	}
	if at, want := doInt(t, raw, "PEXPIRETIME", up+"iv:"+iv.ID), iv.ExpiresAt.UnixMilli(); at < want || at > want+1 {
		t.Errorf("PEXPIRETIME of the record: got %d, want ExpiresAt %d (rounded up)", at, want)
	}
	eventually(t, "the record's key expires", func() bool { return doInt(t, raw, "EXISTS", up+"iv:"+iv.ID) == 0 })
	got, err := s.GetInterventions(context.Background(), "alice", []string{iv.ID})
	if err != nil || len(got) != 0 {
		t.Errorf("GetInterventions after the expiry: got %d records, error %v; want 0, nil", len(got), err)
	}
}

// TestSetOutcomeKeepsPexpireat checks that the merge does not touch the
// key's expiry.
func TestSetOutcomeKeepsPexpireat(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	s, opt := openStore(t, srv.URL(), redisstore.Options{})
	raw := rawClient(t, srv.Addr())
	iv := intervention(t, "alice", 1, time.Now(), time.Hour)
	put(t, s, iv)
	key := keyPrefix(opt.Prefix, "alice") + "iv:" + iv.ID
	before := doInt(t, raw, "PEXPIRETIME", key)
	if _, err := s.SetOutcome(context.Background(), "alice", iv.ID, memory.TaskCompleted, map[string]float64{"x": 1}); err != nil {
		t.Fatal(err)
	}
	if after := doInt(t, raw, "PEXPIRETIME", key); after != before {
		t.Errorf("PEXPIRETIME after SetOutcome: got %d, want %d", after, before)
	}
}

// TestIndexPruning lets records expire natively and checks that the next
// write takes them out of every index and block.
func TestIndexPruning(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	s, opt := openStore(t, srv.URL(), redisstore.Options{})
	raw := rawClient(t, srv.Addr())
	up := keyPrefix(opt.Prefix, "alice")
	now := time.Now()
	for i := range 5 {
		put(t, s, intervention(t, "alice", uint64(i), now, 300*time.Millisecond))
	}
	put(t, s, intervention(t, "alice", 9, now, time.Hour))
	checkCards(t, raw, up, 6)
	eventually(t, "short-lived records expire", func() bool { return doInt(t, raw, "HLEN", up+"b:0") == 6 && keysOf(t, raw, up+"iv:*") == 1 })
	put(t, s, intervention(t, "alice", 10, time.Now(), time.Hour))
	checkCards(t, raw, up, 2)
}

// TestEmptiedBlockComesBack lets every record of the block being filled
// expire, then adds one that expires no later: pruning empties the block,
// and the new record must bring it back, listed and expiring.
func TestEmptiedBlockComesBack(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	s, opt := openStore(t, srv.URL(), redisstore.Options{})
	raw := rawClient(t, srv.Addr())
	up := keyPrefix(opt.Prefix, "alice")
	for i := range 3 {
		put(t, s, intervention(t, "alice", uint64(i), time.Now(), 300*time.Millisecond))
	}
	eventually(t, "the records expire", func() bool { return keysOf(t, raw, up+"iv:*") == 0 })
	iv := intervention(t, "alice", 5, time.Now(), 200*time.Millisecond)
	put(t, s, iv)
	got, err := s.Candidates(context.Background(), "alice")
	if err != nil || len(got) != 1 || got[0].ID != iv.ID {
		t.Fatalf("Candidates: got %d, error %v; want only the new record", len(got), err)
	}
	if pttl := doInt(t, raw, "PTTL", up+"b:0"); pttl <= 0 {
		t.Errorf("PTTL of the block: got %d, want > 0", pttl)
	}
}

// TestPutAlreadyExpired stores a record whose ExpiresAt has passed on the
// server's clock: nothing of it may stay behind.
func TestPutAlreadyExpired(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	s, opt := openStore(t, srv.URL(), redisstore.Options{})
	raw := rawClient(t, srv.Addr())
	put(t, s, intervention(t, "alice", 1, time.Now().Add(-time.Hour), time.Minute))
	if n := keysOf(t, raw, keyPrefix(opt.Prefix, "alice")+"*"); n != 0 {
		t.Errorf("keys of the user: got %d, want 0", n)
	}
}

func checkCards(t *testing.T, raw rueidisClient, up string, want int64) {
	t.Helper()
	for _, c := range []struct{ cmd, key string }{{"ZCARD", "ivt"}, {"ZCARD", "ivx"}, {"HLEN", "b:0"}} {
		if got := doInt(t, raw, c.cmd, up+c.key); got != want {
			t.Errorf("%s %s: got %d, want %d", c.cmd, c.key, got, want)
		}
	}
}

func keysOf(t *testing.T, raw rueidisClient, pattern string) int {
	t.Helper()
	keys, err := do(t, raw, "KEYS", pattern).AsStrSlice()
	if err != nil {
		t.Fatal(err)
	}
	return len(keys)
}

var hostileUsers = []string{"a", "u:a", "{u:a}", "x}:iv:1", "*", "[ab]", "user with spaces", "ünï", "}{", "", "{", "a\x00b"}

// TestHostileUserKeys checks, on a private server, that every key a user's
// records make hashes by the user's tag and by nothing else: the key starts
// with the user's prefix, and Redis's rule (the first '{', the first '}'
// after it) finds the tag there, whatever the user, record and session ids
// hold.
func TestHostileUserKeys(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s, opt := openStore(t, srv.URL(), redisstore.Options{})
	raw := rawClient(t, srv.Addr())
	for i, u := range hostileUsers {
		writeEverything(t, s, u, uint64(i))
	}
	keys, err := do(t, raw, "KEYS", "*").AsStrSlice()
	if err != nil {
		t.Fatal(err)
	}
	perUser := map[string]int{}
	for _, k := range keys {
		if k == opt.Prefix+":users" {
			continue
		}
		user, ok := ownerOf(k, opt.Prefix)
		if !ok {
			t.Errorf("key %q: no user's tag is its hash tag", k)
		}
		perUser[user]++
	}
	for _, u := range hostileUsers {
		if perUser[u] == 0 {
			t.Errorf("user %q: got no keys, want some", u)
		}
		delete(perUser, u)
	}
	if len(perUser) != 0 {
		t.Errorf("keys of no user: %v", perUser)
	}
}

// ownerOf returns the user whose tag is key's hash tag under Redis's rule.
func ownerOf(key, prefix string) (string, bool) {
	open := strings.IndexByte(key, '{')
	end := strings.IndexByte(key[open+1:], '}') + open + 1
	if open < 0 || end <= open+1 {
		return "", false
	}
	enc, ok := strings.CutPrefix(key[open+1:end], "u:")
	user, err := base64.RawURLEncoding.DecodeString(enc)
	if !ok || err != nil || !strings.HasPrefix(key, keyPrefix(prefix, string(user))) {
		return "", false
	}
	return string(user), true
}

// writeEverything stores one record of each kind for user.
func writeEverything(t testing.TB, s memory.Store, user string, seed uint64) {
	t.Helper()
	ctx, now := context.Background(), time.Now()
	iv := intervention(t, user, seed, now, time.Hour)
	put(t, s, iv)
	if _, err := s.SetOutcome(ctx, user, iv.ID, memory.ReEngaged, map[string]float64{"k": 1}); err != nil {
		t.Fatal(err)
	}
	r := memory.Reflection{ID: iv.ID, UserID: user, Insight: "x", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.PutReflection(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := s.PutProfile(ctx, memory.Profile{UserID: user}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutSession(ctx, memory.SessionState{UserID: user, SessionID: "s{1}", ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRefuses(t *testing.T) {
	t.Parallel()
	url := sharedServer(t).URL()
	tests := []struct {
		name, url string
		opt       redisstore.Options
		want      steady.Code
	}{
		{"malformed url", "http://%zz", redisstore.Options{}, steady.Invalid},
		{"prefix with a brace", url, redisstore.Options{Prefix: "a{b"}, steady.Invalid},
		{"nothing listens", "redis://127.0.0.1:1", redisstore.Options{Timeout: 200 * time.Millisecond}, steady.Unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := redisstore.Open(context.Background(), tt.url, tt.opt)
			if s != nil {
				s.Close()
			}
			if got := steady.ErrorCode(err); got != tt.want {
				t.Errorf("Open: got %v (code %q), want code %q", err, got, tt.want)
			}
		})
	}
}

// TestUnavailableAndBack stops the server under an open store: calls fail
// with Unavailable within the store's timeout, and succeed again once a
// server is back on the same port, without reopening the store.
func TestUnavailableAndBack(t *testing.T) {
	srv := startOwnServer(t)
	s, _ := openStore(t, "redis://"+srv.addr(), redisstore.Options{Timeout: 300 * time.Millisecond})
	ctx := context.Background()
	put(t, s, intervention(t, "alice", 1, time.Now(), time.Hour))
	srv.stop()
	calls := []struct {
		name string
		call func() error
	}{
		{"Ping", func() error { return s.Ping(ctx) }},
		{"Candidates", func() error { _, err := s.Candidates(ctx, "alice"); return err }},
		{"PutIntervention", func() error { return s.PutIntervention(ctx, intervention(t, "alice", 2, time.Now(), time.Hour)) }},
		{"GetProfile", func() error { _, err := s.GetProfile(ctx, "alice"); return err }},
	}
	for _, c := range calls {
		if err := c.call(); !steady.Is(err, steady.Unavailable) {
			t.Errorf("%s with the server down: got %v, want code %q", c.name, err, steady.Unavailable)
		}
	}
	srv.start(t)
	eventually(t, "Ping succeeds once the server is back", func() bool { return s.Ping(ctx) == nil })
	iv := intervention(t, "alice", 3, time.Now(), time.Hour)
	put(t, s, iv)
	if got, err := s.Candidates(ctx, "alice"); err != nil || len(got) != 1 || got[0].ID != iv.ID {
		t.Errorf("Candidates on the new server: got %d, error %v; want only %s", len(got), err, iv.ID)
	}
}

// TestCandidatesServedFromCache is the proof that the hot path is a
// client-side cache: the server's own command counters show that a
// repeated Candidates sends no command at all, and that a write and the
// next Candidates re-read one block and nothing else between them — the
// write itself, so the next Candidates sends nothing.
func TestCandidatesServedFromCache(t *testing.T) {
	srv := redistest.Start(t) // private: nothing else moves its counters
	s, opt := openStore(t, srv.URL(), redisstore.Options{})
	raw := rawClient(t, srv.Addr())
	ctx, now := context.Background(), time.Now()
	var ivs []memory.Intervention
	for i := range 500 { // several blocks
		ivs = append(ivs, intervention(t, "alice", uint64(i), now, time.Hour))
	}
	put(t, s, ivs...)
	blocks := doInt(t, raw, "ZCARD", keyPrefix(opt.Prefix, "alice")+"hd")
	if blocks < 3 {
		t.Fatalf("blocks: got %d, want several", blocks)
	}
	candidates := func(what string) []memory.Candidate {
		t.Helper()
		got, err := s.Candidates(ctx, "alice")
		if err != nil || len(got) != len(ivs) {
			t.Fatalf("Candidates %s: got %d, error %v; want %d", what, len(got), err, len(ivs))
		}
		return got
	}
	vectorBytes := int64(len(ivs) * 4 * dims)
	before, out := commandCalls(t, raw), netOutput(t, raw)
	candidates("first")
	if got := sent(before, commandCalls(t, raw)); got["hvals"] != blocks || got["zrange"] != 1 {
		t.Errorf("first Candidates: got commands %v, want hvals %d times and zrange once", got, blocks)
	}
	if got := netOutput(t, raw) - out; got < vectorBytes {
		t.Errorf("first Candidates: the server sent %d bytes, want at least the %d of the vectors", got, vectorBytes)
	} else {
		t.Logf("first Candidates: %d blocks, %d bytes sent", blocks, got)
	}

	before, out = commandCalls(t, raw), netOutput(t, raw)
	candidates("again")
	if got := sent(before, commandCalls(t, raw)); len(got) != 0 {
		t.Errorf("repeated Candidates: got commands %v, want none", got)
	}
	// All the server sent in between is its answer to INFO commandstats.
	if got := netOutput(t, raw) - out; got > 16<<10 {
		t.Errorf("repeated Candidates: the server sent %d bytes, want only the few of INFO", got)
	} else {
		t.Logf("repeated Candidates: no command, %d bytes sent (INFO's answer)", got)
	}

	old := candidates("before SetOutcome")
	before = commandCalls(t, raw)
	if _, err := s.SetOutcome(ctx, "alice", ivs[7].ID, memory.TaskCompleted, map[string]float64{"effectiveness": 1}); err != nil {
		t.Fatal(err)
	}
	written := commandCalls(t, raw)
	for _, c := range candidates("after SetOutcome") {
		if c.ID == ivs[7].ID && (c.Outcome != memory.TaskCompleted || c.Scores["effectiveness"] != 1) {
			t.Errorf("candidate after SetOutcome: got %s %v, want %s and effectiveness 1", c.Outcome, c.Scores, memory.TaskCompleted)
		}
	}
	// The store re-reads the block the write changed as part of the write
	// (see rewarm), so the Candidates after it finds it cached.
	if got := sent(before, commandCalls(t, raw)); got["hvals"] != 1 || got["zrange"] != 0 {
		t.Errorf("SetOutcome and Candidates after it: got commands %v, want hvals once and no zrange", got)
	}
	if got := sent(written, commandCalls(t, raw)); len(got) != 0 {
		t.Errorf("Candidates after SetOutcome: got commands %v, want none", got)
	}
	for _, c := range old { // results already returned are never changed
		if c.ID == ivs[7].ID && (c.Outcome != ivs[7].Outcome || c.Scores["effectiveness"] != 0.5) {
			t.Errorf("a candidate returned before SetOutcome: got %s %v, want it unchanged", c.Outcome, c.Scores)
		}
	}

	ivs = append(ivs, intervention(t, "alice", 1000, now, time.Hour))
	before = commandCalls(t, raw)
	put(t, s, ivs[len(ivs)-1])
	written = commandCalls(t, raw)
	candidates("after PutIntervention")
	if got := sent(before, commandCalls(t, raw)); got["hvals"] != 1 || got["zrange"] > 1 {
		t.Errorf("PutIntervention and Candidates after it: got commands %v, want hvals once and zrange at most once", got)
	}
	if got := sent(written, commandCalls(t, raw)); len(got) != 0 {
		t.Errorf("Candidates after PutIntervention: got commands %v, want none", got)
	}
}

// TestVectorsAreLittleEndianFloat32 looks at a stored candidate: its vector
// is there as raw float32 bytes, not as text.
func TestVectorsAreLittleEndianFloat32(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	s, opt := openStore(t, srv.URL(), redisstore.Options{})
	raw := rawClient(t, srv.Addr())
	iv := intervention(t, "alice", 3, time.Now(), time.Hour)
	put(t, s, iv)
	want := make([]byte, 0, 4*len(iv.Embedding))
	for _, f := range iv.Embedding {
		want = binary.LittleEndian.AppendUint32(want, math.Float32bits(f))
	}
	up := keyPrefix(opt.Prefix, "alice")
	for _, at := range [][]string{{"HGET", up + "iv:" + iv.ID, "c"}, {"HGET", up + "b:0", iv.ID}} {
		got, err := do(t, raw, at...).AsBytes()
		if err != nil || !bytes.Contains(got, want) {
			t.Errorf("%v: got %d bytes (error %v), want them to hold the vector's %d little-endian float32 bytes", at, len(got), err, len(want))
		}
	}
}

// TestCandidatesAfterForgetOfWarmCache: Forget must invalidate a warm
// cache at once for the process that forgot.
func TestCandidatesAfterForgetOfWarmCache(t *testing.T) {
	t.Parallel()
	s, _ := openStore(t, sharedServer(t).URL(), redisstore.Options{})
	ctx := context.Background()
	for i := range 50 {
		put(t, s, intervention(t, "alice", uint64(i), time.Now(), time.Hour))
		if got, err := s.Candidates(ctx, "alice"); err != nil || len(got) != i+1 {
			t.Fatalf("Candidates after %d writes: got %d, error %v", i+1, len(got), err)
		}
	}
	if _, err := s.Forget(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Candidates(ctx, "alice"); err != nil || len(got) != 0 {
		t.Errorf("Candidates after Forget: got %d, error %v; want 0, nil", len(got), err)
	}
}
