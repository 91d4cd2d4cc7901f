package observe_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/steady-voice/steady/observe"
)

type inner struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

type outer struct {
	inner
	ID     int               `json:"id"`
	Skip   string            `json:"-"`
	Empty  string            `json:"empty,omitempty"`
	Nested map[string]any    `json:"nested"`
	Tags   []string          `json:"tags"`
	Auth   map[string]string `json:"Authorization"`
	hidden int
}

type node struct {
	Next *node `json:"next"`
}

type badJSON struct{}

func (badJSON) MarshalJSON() ([]byte, error) { return nil, errors.New("no") }

type panicky struct{}

func (panicky) MarshalJSON() ([]byte, error) { panic("boom") }

func TestEncodeKinds(t *testing.T) {
	var nilPtr *int
	ch := make(chan int)
	cyc := &node{}
	cyc.Next = cyc
	cycMap := map[string]any{}
	cycMap["self"] = cycMap
	cycSlice := []any{nil}
	cycSlice[0] = cycSlice
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"nil", nil, `null`},
		{"bool", true, `true`},
		{"int", -3, `-3`},
		{"int8", int8(-8), `-8`},
		{"uint64", uint64(math.MaxUint64), `18446744073709551615`},
		{"uintptr", uintptr(7), `7`},
		{"float32", float32(1.5), `1.5`},
		{"float64", 0.1, `0.1`},
		{"NaN", math.NaN(), `"NaN"`},
		{"+Inf", math.Inf(1), `"+Inf"`},
		{"-Inf", math.Inf(-1), `"-Inf"`},
		{"complex", complex(1, 2), `"(1+2i)"`},
		{"string", "a\"b\\c\n", `"a\"b\\c\n"`},
		{"invalid utf8", "ok\xffok", `"ok\ufffdok"`},
		{"unicode", "héllo ✓", `"héllo ✓"`},
		{"bytes", []byte("hi"), `"aGk="`},
		{"array", [2]int{1, 2}, `[1,2]`},
		{"nil slice", []int(nil), `null`},
		{"nil map", map[string]int(nil), `null`},
		{"nil pointer", nilPtr, `null`},
		{"pointer", new(5), `5`},
		{"int keys sorted", map[int]string{2: "b", 1: "a"}, `{"1":"a","2":"b"}`},
		{"chan", ch, `"<chan int>"`},
		{"func", func() {}, `"<func()>"`},
		{"unsafe pointer", unsafe.Pointer(nil), `"<unsafe.Pointer>"`},
		{"pointer cycle", cyc, `{"next":"<cycle>"}`},
		{"map cycle", cycMap, `{"self":"<cycle>"}`},
		{"slice cycle", cycSlice, `["<cycle>"]`},
		{"time", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), `"2026-01-02T03:04:05Z"`},
		{"error", errors.New("bad"), `"bad"`},
		{"failing marshaler", badJSON{}, `"<unserialisable observe_test.badJSON>"`},
		{"panicking marshaler", panicky{}, `"<unserialisable: panic: boom>"`},
		{"raw json", json.RawMessage(`{"a":1}`), `{"a":1}`},
		{
			"struct",
			outer{inner: inner{Name: "n", Password: "p"}, ID: 1, Skip: "x", Nested: map[string]any{"x": 1}, Tags: []string{"t"}, hidden: 3},
			`{"name":"n","password":"[REDACTED]","id":1,"nested":{"x":1},"tags":["t"],"Authorization":"[REDACTED]"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, truncated := observe.Capture{}.Encode(tt.in)
			if got != tt.want {
				t.Errorf("Encode(%s) = %s, want %s", tt.name, got, tt.want)
			}
			if truncated {
				t.Errorf("truncated = true, want false")
			}
		})
	}
}

func TestEncodeDeepNesting(t *testing.T) {
	var v any = "leaf"
	for range 1000 {
		v = []any{v}
	}
	got, _ := observe.Capture{}.Encode(v)
	if !strings.Contains(got, "<max depth>") {
		t.Errorf("Encode(1000 levels) = %.80s…, want a <max depth> placeholder", got)
	}
}

func TestRedaction(t *testing.T) {
	tests := []struct {
		key    string
		redact bool
	}{
		{"password", true},
		{"PASSWORD", true},
		{"user_password", true},
		{"passwordHash", true},
		{"token", true},
		{"access_token", true},
		{"refreshToken", true},
		{"input_tokens", false},
		{"tokenizer", false},
		{"api_key", true},
		{"apiKey", true},
		{"apikey", true},
		{"X-Api-Key", true},
		{"wandb-api-key", true},
		{"authorization", true},
		{"Authorization", true},
		{"client_secret", true},
		{"secrets", false},
		{"name", false},
		{"key", false},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			got, _ := observe.Capture{}.Encode(map[string]any{tt.key: "s3cr3t"})
			if leaked := strings.Contains(got, "s3cr3t"); leaked == tt.redact {
				t.Errorf("Encode({%q: secret}) = %s, want redacted %v", tt.key, got, tt.redact)
			}
		})
	}
}

func TestRedactionAtDepth(t *testing.T) {
	in := map[string]any{"a": []any{map[string]any{"b": &inner{Name: "x", Password: "s3cr3t"}}}}
	got, _ := observe.Capture{}.Encode(in)
	if strings.Contains(got, "s3cr3t") {
		t.Errorf("Encode = %s, want the nested password redacted", got)
	}
}

// A json.Marshaler's output (json.RawMessage arguments of a tool call) is
// walked like any value: redaction applies inside it, and its numbers stay
// numbers.
func TestRedactionInsideMarshalers(t *testing.T) {
	in := struct {
		Args json.RawMessage `json:"args"`
		Raw  json.RawMessage `json:"raw"`
	}{json.RawMessage(`{"count": 3, "api_key": "s3cr3t", "deep": [{"password": "s3cr3t"}]}`), json.RawMessage(`42`)}
	got, _ := observe.Capture{}.Encode(in)
	if strings.Contains(got, "s3cr3t") {
		t.Errorf("Encode = %s, want the keys inside the raw JSON redacted", got)
	}
	if !strings.Contains(got, `"count":3`) || !strings.Contains(got, `"raw":42`) {
		t.Errorf("Encode = %s, want numbers kept as numbers", got)
	}
}

func TestRedactKeysConfigurable(t *testing.T) {
	c := observe.Capture{RedactKeys: []string{"ssn"}}
	got, _ := c.Encode(map[string]string{"SSN": "1", "password": "2"})
	if want := `{"SSN":"[REDACTED]","password":"2"}`; got != want {
		t.Errorf("Encode = %s, want %s", got, want)
	}
}

func TestTruncation(t *testing.T) {
	tests := []struct {
		name string
		in   any
	}{
		{"long string", strings.Repeat("a", 100)},
		{"multibyte at cut", strings.Repeat("é", 100)},
		{"long slice", make([]int, 1000)},
		{"huge slice stops early", make([]int, 1_000_000)},
		{"huge nested string", map[string]any{"a": strings.Repeat("x", 1<<20)}},
		{"escaped string", strings.Repeat("\n", 100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, truncated := observe.Capture{MaxBytes: 50}.Encode(tt.in)
			if !truncated {
				t.Errorf("truncated = false, want true")
			}
			if !strings.HasSuffix(got, "…[truncated]") {
				t.Errorf("Encode = %q, want the truncation marker at the end", got)
			}
			if n := len(strings.TrimSuffix(got, "…[truncated]")); n > 50 {
				t.Errorf("kept %d bytes, want at most 50", n)
			}
			if !utf8.ValidString(got) {
				t.Errorf("Encode = %q, want valid UTF-8", got)
			}
		})
	}
}

func TestDefaultCap(t *testing.T) {
	got, truncated := observe.Capture{}.Encode(strings.Repeat("a", observe.DefaultMaxBytes))
	if !truncated || len(got) > observe.DefaultMaxBytes+len("…[truncated]") {
		t.Errorf("Encode(16 KiB string): len %d truncated %v, want ≤ %d and true", len(got), truncated, observe.DefaultMaxBytes)
	}
}

func FuzzEncode(f *testing.F) {
	f.Add("plain", int64(1), 1.5, []byte("x"))
	f.Add("\xff\xfe", int64(-1), math.NaN(), []byte{0xff})
	f.Fuzz(func(t *testing.T, s string, i int64, fl float64, b []byte) {
		in := map[string]any{s: []any{s, i, fl, b, map[string]string{"token": s}}, "k": s}
		got, truncated := observe.Capture{MaxBytes: 4096}.Encode(in)
		if !utf8.ValidString(got) {
			t.Fatalf("Encode = %q, want valid UTF-8", got)
		}
		if !truncated && !json.Valid([]byte(got)) {
			t.Fatalf("Encode = %s, want valid JSON", got)
		}
	})
}

type Base struct {
	Token string
	Note  string
}

type withNilEmbedded struct {
	*Base
	ID int
}

type point struct{ X, Y int }

func (p point) MarshalText() ([]byte, error) { return []byte("p"), nil }

func TestEncodeStructsAndKeys(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"nil embedded pointer", withNilEmbedded{ID: 1}, `{"ID":1}`},
		{"embedded pointer flattened", withNilEmbedded{Base: &Base{Token: "t", Note: "n"}, ID: 1}, `{"Token":"[REDACTED]","Note":"n","ID":1}`},
		{"text marshaler keys", map[point]int{{1, 2}: 3}, `{"p":3}`},
		{"bool keys", map[bool]int{true: 1}, `{"true":1}`},
		{"struct with no exported fields", struct{ a int }{1}, `{}`},
		{"pointer to pointer", func() any { i := 3; p := &i; return &p }(), `3`},
		{"interface slice", []any{nil, 1.5, "x", []int{1}}, `[null,1.5,"x",[1]]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := (observe.Capture{}).Encode(tt.in); got != tt.want {
				t.Errorf("Encode = %s, want %s", got, tt.want)
			}
		})
	}
}
