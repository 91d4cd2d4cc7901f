package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/steady-voice/steady/internal/redistest"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/memory/redisstore"
	"github.com/steady-voice/steady/memory/storetest"
)

// TestConformanceCluster runs the suite on a three-node Redis Cluster: the
// scripts must find every key they touch in the slot of their first key.
func TestConformanceCluster(t *testing.T) {
	url := redistest.StartCluster(t).URL()
	storetest.Run(t, func(t *testing.T, now func() time.Time) memory.Store {
		s, _ := openStore(t, url, redisstore.Options{Now: now})
		return s
	})
}

// TestClusterOneSlotPerUser checks with CLUSTER KEYSLOT, on every node,
// that all keys of a user hash to one slot, and that users spread over the
// nodes.
func TestClusterOneSlotPerUser(t *testing.T) {
	cluster := redistest.StartCluster(t)
	s, opt := openStore(t, cluster.URL(), redisstore.Options{})
	for i, u := range hostileUsers {
		writeEverything(t, s, u, uint64(i))
	}
	slots := map[string]map[int64]bool{} // user → slots of their keys
	nodes := 0
	for _, addr := range cluster.Addrs() {
		raw := rawClient(t, addr)
		keys, err := raw.Do(context.Background(), raw.B().Keys().Pattern(opt.Prefix+":*").Build()).AsStrSlice()
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) > 0 {
			nodes++
		}
		for _, k := range keys {
			if k == opt.Prefix+":users" {
				continue
			}
			user, ok := ownerOf(k, opt.Prefix)
			if !ok {
				t.Errorf("key %q on %s: no user's tag is its hash tag", k, addr)
				continue
			}
			if slots[user] == nil {
				slots[user] = map[int64]bool{}
			}
			slots[user][doInt(t, raw, "CLUSTER", "KEYSLOT", k)] = true
		}
	}
	for _, u := range hostileUsers {
		if len(slots[u]) != 1 {
			t.Errorf("user %q: keys in %d slots, want 1", u, len(slots[u]))
		}
	}
	if nodes < 2 {
		t.Errorf("keys on %d nodes, want users spread over several", nodes)
	}
}
