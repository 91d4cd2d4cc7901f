package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/redis/rueidis"

	"github.com/steady-voice/steady/internal/gctune"
)

// Machine is where the figures were measured: they mean little without it.
type Machine struct {
	CPU          string `json:"cpu"`
	LogicalCPUs  int    `json:"logical_cpus"`
	GOMAXPROCS   int    `json:"gomaxprocs"`
	MemoryMiB    int    `json:"memory_mib,omitempty"` // 0 when unknown
	GoVersion    string `json:"go_version"`
	OS           string `json:"os"`
	RedisVersion string `json:"redis_version,omitempty"`
	GC           string `json:"gc"` // the collector's setting, e.g. "GOGC=400, GOMEMLIMIT=2048 MiB"
}

// Describe describes this machine. The CPU model and memory come from /proc
// on Linux; elsewhere the CPU is only the architecture.
func Describe() Machine {
	return Machine{CPU: cpuModel(), LogicalCPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		MemoryMiB: memTotalMiB(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH,
		GC: gctune.Describe()}
}

func (m Machine) String() string {
	s := fmt.Sprintf("%s, %d logical CPUs, GOMAXPROCS %d", m.CPU, m.LogicalCPUs, m.GOMAXPROCS)
	if m.MemoryMiB > 0 {
		s += fmt.Sprintf(", %.1f GiB", float64(m.MemoryMiB)/1024)
	}
	s += ", " + m.GoVersion + " (" + m.GC + "), " + m.OS
	switch {
	case strings.HasPrefix(m.RedisVersion, "Valkey"):
		s += ", " + m.RedisVersion
	case m.RedisVersion != "":
		s += ", Redis " + m.RedisVersion
	}
	return s
}

func cpuModel() string {
	if v := procField("/proc/cpuinfo", "model name"); v != "" {
		return v
	}
	return runtime.GOARCH
}

func memTotalMiB() int {
	v := strings.TrimSuffix(procField("/proc/meminfo", "MemTotal"), " kB")
	kb, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return 0
	}
	return kb / 1024
}

// procField is the value of the first "key: value" line of a /proc file,
// or "" when the file or the key is missing (not Linux, a container
// without /proc).
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// RedisVersion asks the server at url (INFO server) for its version; a
// Valkey server says so.
func RedisVersion(ctx context.Context, url string) (string, error) {
	opt, err := rueidis.ParseURL(url)
	if err != nil {
		return "", fmt.Errorf("redis url: %w", err)
	}
	opt.DisableCache = true
	c, err := rueidis.NewClient(opt)
	if err != nil {
		return "", err
	}
	defer c.Close()
	info, err := c.Do(ctx, c.B().Info().Section("server").Build()).ToString()
	if err != nil {
		return "", err
	}
	return versionFromInfo(info), nil
}

func versionFromInfo(info string) string {
	var redis, valkey string
	for line := range strings.Lines(info) {
		k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
		switch k {
		case "redis_version":
			redis = v
		case "valkey_version":
			valkey = v
		}
	}
	if valkey != "" {
		return "Valkey " + valkey
	}
	return redis
}
