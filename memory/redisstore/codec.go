package redisstore

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/steady-voice/steady/memory"
)

// An intervention's candidate is stored as its head — what never changes:
// ids, times, the vector — followed by its tail: outcome and scores, which
// SetOutcome rewrites inside Redis. The head is binary so the vector stays
// little-endian float32 (4 bytes a dimension, exact); the tail is a run of
// netstrings ("<len>:<bytes>") because Lua builds it.
//
//	head: 0x01, then uvarint-length strings id, tool, category, embedder,
//	      then created and expires (int64 ns, little-endian), then uvarint
//	      dim and dim float32s
//	tail: outcome, then name, value pairs (value as strconv 'g' -1, exact)
const headTag = "\x01" // the format's version

func encodeHead(iv memory.Intervention) string {
	b := make([]byte, 0, 64+len(iv.ID)+len(iv.Tool)+len(iv.Embedder)+4*len(iv.Embedding))
	b = append(b, headTag...)
	for _, s := range []string{iv.ID, iv.Tool, string(iv.Category), iv.Embedder} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.LittleEndian.AppendUint64(b, uint64(iv.CreatedAt.UnixNano()))
	b = binary.LittleEndian.AppendUint64(b, uint64(iv.ExpiresAt.UnixNano()))
	b = binary.AppendUvarint(b, uint64(len(iv.Embedding)))
	for _, f := range iv.Embedding {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	return string(b)
}

// reader walks an encoded candidate; the first malformed read sets bad and
// every later read returns zero values.
type reader struct {
	s   string
	bad bool
}

func (r *reader) uvarint() uint64 {
	var x uint64
	for i, shift := 0, uint(0); i < len(r.s) && shift < 64; i, shift = i+1, shift+7 {
		c := r.s[i]
		x |= uint64(c&0x7f) << shift
		if c < 0x80 {
			r.s = r.s[i+1:]
			return x
		}
	}
	r.bad = true
	return 0
}

// take returns the next n bytes. Strings share the encoded value's memory,
// which is immutable.
func (r *reader) take(n uint64) string {
	if r.bad || n > uint64(len(r.s)) {
		r.bad = true
		return ""
	}
	s := r.s[:n]
	r.s = r.s[n:]
	return s
}

func (r *reader) str() string { return r.take(r.uvarint()) }

func (r *reader) time() time.Time {
	b := r.take(8)
	if r.bad {
		return time.Time{}
	}
	return time.Unix(0, int64(leUint64(b))).UTC()
}

func (r *reader) vector() []float32 {
	n := r.uvarint()
	b := r.take(4 * n)
	if r.bad || n == 0 {
		return nil
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = math.Float32frombits(leUint32(b[4*i:]))
	}
	return v
}

// netstring reads "<len>:<bytes>", the tail's unit.
func (r *reader) netstring() string {
	i := strings.IndexByte(r.s, ':')
	n, err := strconv.ParseUint(r.s[:max(i, 0)], 10, 32)
	if i < 0 || err != nil {
		r.bad = true
		return ""
	}
	r.s = r.s[i+1:]
	return r.take(n)
}

func leUint64(s string) uint64 {
	return uint64(leUint32(s)) | uint64(leUint32(s[4:]))<<32
}

func leUint32(s string) uint32 {
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// decodeCandidate reads a block entry, head then tail.
func decodeCandidate(entry string) (memory.Candidate, bool) { return decodeEntry(entry, nil) }

// decodeEntry is decodeCandidate, but if like is given — a candidate
// decoded from an entry equal to this one — it shares like's vector and
// scores, which are read-only, instead of decoding them again.
func decodeEntry(entry string, like *memory.Candidate) (memory.Candidate, bool) {
	r := reader{s: entry}
	c, ok := r.head(like)
	if !ok {
		return c, false
	}
	c.Outcome = memory.Outcome(r.netstring())
	if like != nil {
		c.Scores = like.Scores
		return c, !r.bad
	}
	for !r.bad && r.s != "" {
		name, value := r.netstring(), r.netstring()
		f, err := strconv.ParseFloat(value, 64)
		if r.bad || err != nil {
			return memory.Candidate{}, false
		}
		if c.Scores == nil {
			c.Scores = map[string]float64{}
		}
		c.Scores[name] = f
	}
	return c, !r.bad
}

// head reads a candidate's head, sharing like's vector if like is given.
func (r *reader) head(like *memory.Candidate) (memory.Candidate, bool) {
	if r.take(1) != headTag {
		return memory.Candidate{}, false
	}
	c := memory.Candidate{ID: r.str(), Tool: r.str(), Category: memory.Category(r.str()), Embedder: intern(r.str())}
	c.CreatedAt, c.ExpiresAt = r.time(), r.time()
	if like != nil {
		r.take(4 * r.uvarint())
		c.Vector = like.Vector
	} else {
		c.Vector = r.vector()
	}
	return c, !r.bad
}

// intern returns the one copy of s kept for all who ask: every candidate
// then holds the same few embedder names, which search compares with its
// embedder's on every candidate, and equal strings at one address compare
// without reading their bytes. (Not package unique: its weak pointers make
// a caller wait for the garbage collector's mark phase, milliseconds.)
func intern(s string) string {
	if v, ok := interned.Load(s); ok {
		return v.(string)
	}
	if internedN.Load() >= maxInterned { // not embedder names: leave them be
		return s
	}
	s = strings.Clone(s) // not the record's bytes, which it would keep alive
	v, loaded := interned.LoadOrStore(s, s)
	if !loaded {
		internedN.Add(1)
	}
	return v.(string)
}

var (
	interned  sync.Map // string → the same string
	internedN atomic.Int32
)

// maxInterned bounds interned: a process sees a handful of embedders.
const maxInterned = 64

// lexMember orders a user's records newest first under ZRANGE BYLEX REV:
// the creation time as 16 hex digits (sign bit flipped, so that the bytes
// sort as the signed number does), then the id, which breaks ties the way
// the contract does.
func lexMember(created time.Time, id string) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(created.UnixNano())^(1<<63))
	return hex.EncodeToString(b[:]) + id
}

// lexID is the id in a lexMember.
func lexID(m string) string { return m[min(16, len(m)):] }

// expiryMS is ExpiresAt in whole milliseconds, rounded up so that Redis
// never drops a record before its time.
func expiryMS(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.Sub(time.UnixMilli(ms)) > 0 {
		ms++
	}
	return ms
}

// scoreArgs flattens scores into the name, value pairs the scripts take.
func scoreArgs(args []string, scores map[string]float64) []string {
	for name, v := range scores {
		args = append(args, name, strconv.FormatFloat(v, 'g', -1, 64))
	}
	return args
}

// doc is the JSON part of an intervention: all but what has its own field.
func doc(iv memory.Intervention) (string, error) {
	iv.Embedding, iv.Args, iv.Scores, iv.Outcome = nil, nil, nil, ""
	b, err := json.Marshal(iv)
	return string(b), err
}

// decodeIntervention rebuilds an intervention from its hash. The returned
// record shares nothing with f's strings that the caller could change.
func decodeIntervention(f map[string]string) (memory.Intervention, error) {
	iv, err := decodeDoc(f["j"])
	if err != nil {
		return iv, err
	}
	return withFields(iv, f)
}

func decodeDoc(j string) (memory.Intervention, error) {
	var iv memory.Intervention
	if err := json.Unmarshal([]byte(j), &iv); err != nil {
		return iv, errCorrupt
	}
	return iv, nil
}

// withFields completes iv, decoded from f's doc, with f's other fields.
func withFields(iv memory.Intervention, f map[string]string) (memory.Intervention, error) {
	r := reader{s: f["c"]}
	c, ok := r.head(nil)
	if !ok {
		return iv, errCorrupt
	}
	iv.Embedding = c.Vector // decoded into a fresh slice
	iv.Outcome = memory.Outcome(f["o"])
	if a := f["a"]; a != "" {
		iv.Args = json.RawMessage(a)
	}
	for k, v := range f {
		name, ok := strings.CutPrefix(k, "s:")
		if !ok {
			continue
		}
		score, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return iv, errCorrupt
		}
		if iv.Scores == nil {
			iv.Scores = map[string]float64{}
		}
		iv.Scores[name] = score
	}
	return iv, nil
}
