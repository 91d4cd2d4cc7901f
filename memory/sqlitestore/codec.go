package sqlitestore

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"time"
)

// zeroNanos stands for the zero time.Time, whose Unix nanoseconds int64
// cannot hold; as an expiry it sorts before every instant, so a record
// without one is never live.
const zeroNanos = math.MinInt64

var (
	minTime = time.Unix(0, math.MinInt64+1)
	maxTime = time.Unix(0, math.MaxInt64)
)

// nanos returns t as stored: Unix nanoseconds, clamped to what int64 holds.
func nanos(t time.Time) int64 {
	switch {
	case t.IsZero():
		return zeroNanos
	case t.Before(minTime):
		return math.MinInt64 + 1
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// timeOf reads a time stored by nanos, in UTC.
func timeOf(n int64) time.Time {
	if n == zeroNanos {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// encodeVector stores v as little-endian float32s: 4 bytes a dimension,
// bit for bit, and readable by any language without a schema.
func encodeVector(v []float32) []byte {
	if len(v) == 0 {
		return nil
	}
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

// decodeVector reads a vector stored by encodeVector into a new slice.
func decodeVector(b []byte) []float32 {
	if len(b) < 4 {
		return nil
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

// encodeScores returns scores as a JSON object, or nil (NULL) for none.
func encodeScores(scores map[string]float64) (any, error) {
	if len(scores) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(scores)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// decodeScores reads what encodeScores stored; NULL is a nil map.
func decodeScores(s *string) (map[string]float64, error) {
	if s == nil {
		return nil, nil
	}
	var m map[string]float64
	err := json.Unmarshal([]byte(*s), &m)
	return m, err
}

// encodeArgs returns args as JSON text, or nil (NULL) for none.
func encodeArgs(args json.RawMessage) any {
	if len(args) == 0 {
		return nil
	}
	return string(args)
}

func decodeArgs(s *string) json.RawMessage {
	if s == nil {
		return nil
	}
	return json.RawMessage(*s)
}
