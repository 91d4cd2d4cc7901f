package redistest_test

import (
	"context"
	"fmt"
	"maps"
	"net"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/rueidis"

	"github.com/steady-voice/steady/internal/redistest"
)

func TestStartClusterForms(t *testing.T) {
	t.Parallel()
	addrs := redistest.StartCluster(t).Addrs()
	if len(addrs) != 3 {
		t.Fatalf("Addrs: got %v, want 3 addresses", addrs)
	}
	for i, addr := range addrs {
		if host, port, err := net.SplitHostPort(addr); err != nil || host != "127.0.0.1" || port == "6379" {
			t.Errorf("Addrs()[%d]: got %q, want 127.0.0.1 and a private port", i, addr)
		}
		if slices.Index(addrs, addr) != i {
			t.Errorf("Addrs: got %q twice, want distinct nodes", addr)
		}
		checkNode(t, dial(t, addr))
	}
}

// checkNode checks that a node sees the whole cluster formed and was started
// as the package promises.
func checkNode(t *testing.T, c *respConn) {
	t.Helper()
	info, _ := c.do("CLUSTER", "INFO").(string)
	for _, tt := range []struct{ field, want string }{
		{"cluster_state", "ok"},
		{"cluster_known_nodes", "3"},
		{"cluster_size", "3"},
		{"cluster_slots_assigned", "16384"},
	} {
		if got := infoField(info, tt.field); got != tt.want {
			t.Errorf("CLUSTER INFO %s: got %q, want %q", tt.field, got, tt.want)
		}
	}
	for _, tt := range []struct{ param, want string }{
		{"save", ""},
		{"appendonly", "no"},
		{"cluster-enabled", "yes"},
		{"cluster-node-timeout", "2000"},
	} {
		if got, want := c.do("CONFIG", "GET", tt.param), []any{tt.param, tt.want}; !reflect.DeepEqual(got, want) {
			t.Errorf("CONFIG GET %s: got %#v, want %#v", tt.param, got, want)
		}
	}
}

// TestClusterURLWorksWithRueidis parses the URL as the Redis store does and
// writes through a real cluster client, so keys land on every node.
func TestClusterURLWorksWithRueidis(t *testing.T) {
	t.Parallel()
	c := redistest.StartCluster(t)
	addrs := c.Addrs()
	if got, want := c.URL(), "redis://"+addrs[0]+"?addr="+addrs[1]+"&addr="+addrs[2]; got != want {
		t.Errorf("URL: got %q, want %q", got, want)
	}
	opt, err := rueidis.ParseURL(c.URL())
	if err != nil {
		t.Fatalf("rueidis.ParseURL(%q): %v", c.URL(), err)
	}
	if !slices.Equal(opt.InitAddress, addrs) {
		t.Errorf("InitAddress: got %v, want %v", opt.InitAddress, addrs)
	}
	client, err := rueidis.NewClient(opt)
	if err != nil {
		t.Fatalf("rueidis.NewClient: %v", err)
	}
	defer client.Close()
	if _, ok := client.Nodes()[addrs[0]]; !ok || len(client.Nodes()) != 3 {
		t.Errorf("client nodes: got %d (%v), want the 3 of the cluster", len(client.Nodes()), slices.Sorted(maps.Keys(client.Nodes())))
	}
	ctx := context.Background()
	for i := range 30 {
		key, val := fmt.Sprintf("{u:user-%d}:profile", i), strconv.Itoa(i)
		if err := client.Do(ctx, client.B().Set().Key(key).Value(val).Build()).Error(); err != nil {
			t.Fatalf("SET %s: %v", key, err)
		}
		if got, err := client.Do(ctx, client.B().Get().Key(key).Build()).ToString(); err != nil || got != val {
			t.Errorf("GET %s: got %q, %v; want %q", key, got, err, val)
		}
	}
}

// TestClusterRoutesByHashTag checks what the Redis store relies on: all keys
// of one user share a hash tag, hence a slot and a node, so multi-key
// commands work on them; different users spread over the nodes.
func TestClusterRoutesByHashTag(t *testing.T) {
	t.Parallel()
	c := redistest.StartCluster(t)
	conns := map[string]*respConn{}
	for _, addr := range c.Addrs() {
		conns[addr] = dial(t, addr)
	}
	first := conns[c.Addrs()[0]]

	t.Run("one tag, one slot, one node", func(t *testing.T) {
		userKeys := []string{"{u:alice}:iv:1", "{u:alice}:ivs", "{u:alice}:session:s1"}
		wantSlot := first.do("CLUSTER", "KEYSLOT", "u:alice")
		owner := ownerOf(t, conns, userKeys[0])
		for _, key := range userKeys {
			if got := first.do("CLUSTER", "KEYSLOT", key); got != wantSlot {
				t.Errorf("CLUSTER KEYSLOT %s: got %v, want %v (the slot of its tag)", key, got, wantSlot)
			}
			if got := ownerOf(t, conns, key); got != owner {
				t.Errorf("owner of %s: got %s, want %s", key, got, owner)
			}
		}
		mset := []string{"MSET", userKeys[0], "1", userKeys[1], "2", userKeys[2], "3"}
		if got := conns[owner].do(mset...); got != "OK" {
			t.Errorf("MSET of one user's keys: got %#v, want OK", got)
		}
	})

	t.Run("different tags reach every node", func(t *testing.T) {
		owners := map[string]string{} // node → a key it owns
		for i := 0; i < 100 && len(owners) < 3; i++ {
			key := fmt.Sprintf("{u:user-%d}:ivs", i)
			owners[ownerOf(t, conns, key)] = key
		}
		if len(owners) != 3 {
			t.Errorf("nodes owning the keys of 100 users: got %d (%v), want 3", len(owners), owners)
		}
	})

	t.Run("two tags in one command are refused", func(t *testing.T) {
		a, b := "{u:alice}:ivs", "{u:bob}:ivs"
		if first.do("CLUSTER", "KEYSLOT", a) == first.do("CLUSTER", "KEYSLOT", b) {
			t.Fatalf("%s and %s share a slot, want different slots", a, b)
		}
		_, err := conns[ownerOf(t, conns, a)].try("MSET", a, "1", b, "2")
		if err == nil || !strings.Contains(err.Error(), "CROSSSLOT") {
			t.Errorf("MSET across two tags: got error %v, want CROSSSLOT", err)
		}
	})
}

// ownerOf asks every node for key: its owner answers, and every other node
// must redirect there with MOVED.
func ownerOf(t *testing.T, conns map[string]*respConn, key string) string {
	t.Helper()
	var owners, movedTo []string
	for addr, c := range conns {
		_, err := c.try("GET", key)
		if err == nil {
			owners = append(owners, addr)
			continue
		}
		fields := strings.Fields(err.Error())
		if len(fields) != 5 || fields[2] != "MOVED" {
			t.Fatalf("GET %s on %s: got error %v, want a value or MOVED", key, addr, err)
		}
		movedTo = append(movedTo, fields[4])
	}
	if len(owners) != 1 {
		t.Fatalf("nodes answering GET %s: got %v, want exactly one", key, owners)
	}
	for _, to := range movedTo {
		if to != owners[0] {
			t.Errorf("MOVED for %s: got %s, want the owner %s", key, to, owners[0])
		}
	}
	return owners[0]
}

// try is do for replies that may be errors, such as MOVED.
func (c *respConn) try(args ...string) (any, error) {
	c.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.conn.Write([]byte(b.String())); err != nil {
		c.t.Fatalf("%v: %v", args, err)
	}
	return readReply(c.r)
}

func TestClusterCleanupStopsNodes(t *testing.T) {
	var addrs []string
	t.Run("with cluster", func(t *testing.T) {
		addrs = redistest.StartCluster(t).Addrs()
	})
	if addrs == nil {
		t.Skip("the subtest started no cluster")
	}
	for _, addr := range addrs {
		assertStopped(t, addr)
	}
}

// TestStartClusterWithoutUsableRedis checks that StartCluster follows
// Start's rule: skip outside CI, fail in CI.
func TestStartClusterWithoutUsableRedis(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-redis-server")
	for _, tt := range []struct {
		ci        string
		wantFatal bool
	}{{"", false}, {"true", true}} {
		t.Run("CI="+tt.ci, func(t *testing.T) {
			t.Setenv("REDISTEST_BIN", missing)
			t.Setenv("CI", tt.ci)
			rec := &recordingTB{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				if c := redistest.StartCluster(rec); c != nil {
					t.Errorf("StartCluster returned a cluster at %v, want a skip or a failure", c.Addrs())
				}
			}()
			<-done
			got, other := rec.skip, rec.fatal
			if tt.wantFatal {
				got, other = rec.fatal, rec.skip
			}
			if !strings.Contains(got, missing) || other != "" {
				t.Errorf("got skip %q and fatal %q, want only a %s naming %s", rec.skip, rec.fatal, map[bool]string{false: "skip", true: "fatal"}[tt.wantFatal], missing)
			}
		})
	}
}
