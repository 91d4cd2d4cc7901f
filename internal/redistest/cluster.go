package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	clusterNodes = 3
	// busOffset is where Redis puts a node's cluster bus: its port + 10000.
	busOffset = 10000
	// nodeTimeout is short because nodes never fail over here (no replicas),
	// and it bounds how long a node takes to notice a stopped peer.
	nodeTimeout = "2000"
	// createTimeout bounds `redis-cli --cluster create`, which polls once a
	// second until the nodes agree on the configuration.
	createTimeout = 30 * time.Second
	// formTimeout bounds the wait for every node to report cluster_state:ok
	// after the create command returned.
	formTimeout = 30 * time.Second
	// maxPortTries bounds the search for a port whose bus port is also free.
	maxPortTries = 50
)

// Cluster is a running private Redis Cluster of three masters on loopback,
// each owning a third of the hash slots, with no replicas and no persistence.
type Cluster struct {
	nodes []*Server
}

// StartCluster starts a private three-node Redis Cluster and stops it in tb's
// cleanup. It needs redis-cli (Debian's redis-tools, which redis-server
// depends on) next to redis-server. Like Start, it skips the test when Redis
// is missing or broken, unless CI is true, where it fails it.
func StartCluster(tb testing.TB) *Cluster {
	tb.Helper()
	c, err := startCluster(tb.TempDir())
	if err != nil {
		skipOrFail(tb, err)
		return nil // not reached: skipOrFail ends the test
	}
	tb.Cleanup(c.stop)
	return c
}

// Addrs returns the nodes' addresses, "127.0.0.1:PORT", in a new slice.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		addrs[i] = n.Addr()
	}
	return addrs
}

// URL returns every node's address in the form rueidis.ParseURL reads as its
// InitAddress: "redis://127.0.0.1:P1?addr=127.0.0.1:P2&addr=127.0.0.1:P3".
// A client needs only one seed to discover the others; giving all three
// lets it start while any one answers.
func (c *Cluster) URL() string {
	addrs := c.Addrs()
	return "redis://" + addrs[0] + "?addr=" + strings.Join(addrs[1:], "&addr=")
}

func (c *Cluster) stop() {
	for _, n := range c.nodes {
		n.stop()
	}
}

// startCluster starts the nodes, each in its own directory under dir, joins
// them with redis-cli and waits until every node says the cluster is ok.
func startCluster(dir string) (*Cluster, error) {
	c := &Cluster{}
	if err := c.startNodes(dir); err != nil {
		c.stop()
		return nil, err
	}
	if err := c.create(); err != nil {
		c.stop()
		return nil, err
	}
	if err := c.waitFormed(); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) startNodes(dir string) error {
	for i := range clusterNodes {
		nodeDir := filepath.Join(dir, fmt.Sprintf("node-%d", i))
		if err := os.Mkdir(nodeDir, 0o700); err != nil {
			return fmt.Errorf("redistest: %w", err)
		}
		n, err := start(nodeDir, clusterNode)
		if err != nil {
			return fmt.Errorf("cluster node %d: %w", i, err)
		}
		c.nodes = append(c.nodes, n)
	}
	return nil
}

// clusterNode is a cluster-enabled server whose nodes.conf lives in its own
// directory, so parallel clusters never share one. The file is named after
// the port: a retry on another port must not load the identity a failed
// attempt wrote.
var clusterNode = mode{
	port: freeClusterPort,
	extra: func(dir string, port int) []string {
		return []string{
			"--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(dir, fmt.Sprintf("nodes-%d.conf", port)),
			"--cluster-node-timeout", nodeTimeout,
		}
	},
}

// freeClusterPort finds a free port whose cluster bus port is free too.
// Both stay free only until someone else takes them; start retries then.
func freeClusterPort() (int, error) {
	for range maxPortTries {
		port, err := freePort()
		if err != nil {
			return 0, err
		}
		if port+busOffset > 65535 {
			continue
		}
		bus, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port+busOffset))
		if err != nil {
			continue
		}
		bus.Close()
		return port, nil
	}
	return 0, fmt.Errorf("no free port with a free cluster bus port after %d tries", maxPortTries)
}

// create assigns the hash slots evenly to the nodes, as masters without
// replicas, and has them meet.
func (c *Cluster) create() error {
	cli, err := findCLI()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), createTimeout)
	defer cancel()
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", cli, strings.Join(args, " "), err, tail(string(out)))
	}
	return nil
}

// findCLI prefers the client next to the server binary (valkey-cli beside
// valkey-server, a source build's redis-cli beside its redis-server), so
// that the two speak the same cluster protocol.
func findCLI() (string, error) {
	candidates := []string{"redis-cli", "/usr/bin/redis-cli"}
	if bin, err := findBinary(); err == nil {
		sibling := filepath.Join(filepath.Dir(bin), strings.Replace(filepath.Base(bin), "-server", "-cli", 1))
		candidates = append([]string{sibling}, candidates...)
	}
	for _, name := range candidates {
		if cli, err := exec.LookPath(name); err == nil {
			return cli, nil
		}
	}
	return "", errors.New("redis-cli not found beside redis-server, in PATH or in /usr/bin (apt-get install -y redis-tools)")
}

// waitFormed polls CLUSTER INFO until every node reports the cluster ok and
// knows all its peers: only then is a client's first slot map complete.
func (c *Cluster) waitFormed() error {
	deadline := time.Now().Add(formTimeout)
	for _, n := range c.nodes {
		for {
			err := n.clusterOK()
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("cluster did not form within %v: %w", formTimeout, err)
			}
			time.Sleep(pollInterval)
		}
	}
	return nil
}

// clusterOK asks one node for CLUSTER INFO over raw RESP.
func (s *Server) clusterOK() error {
	rw, closeConn, err := s.dial()
	if err != nil {
		return err
	}
	defer closeConn()
	info, err := command(rw, "CLUSTER", "INFO")
	if err != nil {
		return fmt.Errorf("CLUSTER INFO on %s: %w", s.Addr(), err)
	}
	state, known := infoField(info, "cluster_state"), infoField(info, "cluster_known_nodes")
	if state != "ok" || known != fmt.Sprint(clusterNodes) {
		return fmt.Errorf("%s: got cluster_state %q and cluster_known_nodes %q, want ok and %d", s.Addr(), state, known, clusterNodes)
	}
	return nil
}
