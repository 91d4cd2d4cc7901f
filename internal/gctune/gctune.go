// Package gctune sets the Go garbage collector for serving voice turns.
//
// Steady's live heap is small (tens of MiB: the embedding table, caches),
// so with Go's default GOGC=100 the collector starts a cycle every few
// hundred kilobytes of garbage, a few times a second under load; a turn
// that meets a cycle's mark phase on a two-core machine waits for it, and
// that is what sets a turn's p99 (measured: the offline turn's p99 on
// Redis 2.7–3.2 ms at GOGC=100, 1.6–1.8 ms at 400, same machine and
// sitting). Letting the heap grow to five times the live data before
// collecting costs a few tens of MiB and removes most of those waits; a
// soft memory limit keeps a large heap from growing without bound.
//
// The standard GOGC and GOMEMLIMIT environment variables still win: Apply
// leaves a setting alone when its variable is set.
package gctune

import (
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
)

// Serving settings.
const (
	Percent     = 400     // GOGC while serving
	MemoryLimit = 2 << 30 // soft limit while serving (GOMEMLIMIT), bytes
)

// Apply sets the collector for serving, unless GOGC or GOMEMLIMIT say
// otherwise, and returns a function that puts back what was there.
func Apply() (restore func()) {
	pct, limit := -2, int64(-1) // -2: not changed
	if os.Getenv("GOGC") == "" {
		pct = debug.SetGCPercent(Percent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		limit = debug.SetMemoryLimit(MemoryLimit)
	}
	return func() {
		if pct != -2 {
			debug.SetGCPercent(pct)
		}
		if limit >= 0 {
			debug.SetMemoryLimit(limit)
		}
	}
}

// Describe says how the collector is set now, e.g. "GOGC=400,
// GOMEMLIMIT=2048 MiB" (read from runtime/metrics, which changes nothing).
func Describe() string {
	m := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}}
	metrics.Read(m)
	pct, limit := int64(m[0].Value.Uint64()), m[1].Value.Uint64()
	s := "GOGC=off"
	if pct >= 0 && pct < 1<<31 {
		s = "GOGC=" + strconv.FormatInt(pct, 10)
	}
	if limit < math.MaxInt64 {
		s += ", GOMEMLIMIT=" + strconv.FormatUint(limit>>20, 10) + " MiB"
	}
	return s
}
