package observe_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	collectorpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/steady-voice/steady/observe"
)

// receiver is a minimal OTLP/HTTP trace endpoint.
type receiver struct {
	mu      sync.Mutex
	paths   []string
	headers []http.Header
	spans   []*tracepb.Span
	res     []*commonpb.KeyValue
}

func newReceiver(t *testing.T) (*receiver, *httptest.Server) {
	t.Helper()
	r := &receiver{}
	srv := httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(srv.Close)
	return r, srv
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	var msg collectorpb.ExportTraceServiceRequest
	if err != nil || req.Method != http.MethodPost || proto.Unmarshal(body, &msg) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.paths = append(r.paths, req.URL.Path)
	r.headers = append(r.headers, req.Header.Clone())
	for _, rs := range msg.ResourceSpans {
		r.res = append(r.res, rs.GetResource().GetAttributes()...)
		for _, ss := range rs.ScopeSpans {
			r.spans = append(r.spans, ss.Spans...)
		}
	}
	r.mu.Unlock()
	out, _ := proto.Marshal(&collectorpb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func (r *receiver) span(t *testing.T, name string) *tracepb.Span {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.spans {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("receiver got no span %q (%d spans)", name, len(r.spans))
	return nil
}

func pbAttr(kvs []*commonpb.KeyValue, key string) string {
	for _, kv := range kvs {
		if kv.Key == key {
			switch v := kv.Value.Value.(type) {
			case *commonpb.AnyValue_StringValue:
				return v.StringValue
			default:
				return kv.Value.String()
			}
		}
	}
	return "<absent>"
}

func setupOTLP(t *testing.T, exp observe.Export) {
	t.Helper()
	p, err := observe.Setup(context.Background(), observe.Config{Version: "1.2.3", Export: exp})
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = p.Shutdown(ctx)
	})
	ctx := observe.WithAttributes(context.Background(), map[string]any{"user_id": "u7", "session_id": "s7"})
	child := observe.Op("breathing", func(_ context.Context, n int) (string, error) {
		return "", errors.New("interrupted")
	}, observe.Kind("TOOL"), observe.GenAIOperation("execute_tool"), observe.ToolName("breathing"))
	parent := observe.Op("turn", func(ctx context.Context, s string) (string, error) {
		_, _ = child(ctx, 4)
		return "ok " + s, nil
	}, observe.Kind("AGENT"), observe.GenAIOperation("invoke_agent"))
	_, _ = parent(ctx, "hi")
	flushCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.ForceFlush(flushCtx); err != nil {
		t.Fatalf("ForceFlush: %v", err)
	}
}

func TestOTLPExport(t *testing.T) {
	r, srv := newReceiver(t)
	setupOTLP(t, observe.Export{Preset: observe.PresetOTLP, Endpoint: srv.URL + "/v1/traces"})

	turn, tool := r.span(t, "turn"), r.span(t, "breathing")
	if string(tool.ParentSpanId) != string(turn.SpanId) || string(tool.TraceId) != string(turn.TraceId) {
		t.Errorf("breathing's parent = %x, want turn's span %x in the same trace", tool.ParentSpanId, turn.SpanId)
	}
	tests := []struct {
		span *tracepb.Span
		key  string
		want string
	}{
		{turn, observe.AttrInputValue, `"hi"`},
		{turn, observe.AttrOutputValue, `"ok hi"`},
		{turn, observe.AttrInputMimeType, "application/json"},
		{turn, observe.AttrOutputMimeType, "application/json"},
		{turn, observe.AttrSpanKind, "AGENT"},
		{turn, observe.AttrGenAIOperation, "invoke_agent"},
		{tool, observe.AttrInputValue, `4`},
		{tool, observe.AttrSpanKind, "TOOL"},
		{tool, observe.AttrGenAIOperation, "execute_tool"},
		{tool, observe.AttrGenAIToolName, "breathing"},
		{tool, observe.AttrUserID, "u7"},
		{tool, observe.AttrSessionID, "s7"},
		{tool, observe.AttrGenAIConversationID, "s7"},
		{tool, observe.AttrWandbAttributes, `{"session_id":"s7","user_id":"u7"}`},
	}
	for _, tt := range tests {
		t.Run(tt.span.Name+"/"+tt.key, func(t *testing.T) {
			if got := pbAttr(tt.span.Attributes, tt.key); got != tt.want {
				t.Errorf("%s = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
	if tool.Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR || tool.Status.GetMessage() != "interrupted" {
		t.Errorf("status = %v %q, want ERROR interrupted", tool.Status.GetCode(), tool.Status.GetMessage())
	}
	if len(tool.Events) != 1 || tool.Events[0].Name != "exception" ||
		pbAttr(tool.Events[0].Attributes, "exception.message") != "interrupted" {
		t.Errorf("events = %v, want one exception event with the message", tool.Events)
	}
	if got := pbAttr(r.res, "service.name"); got != "steady" {
		t.Errorf("service.name = %q, want steady", got)
	}
	if got := pbAttr(r.res, "service.version"); got != "1.2.3" {
		t.Errorf("service.version = %q, want 1.2.3", got)
	}
}

func TestPresetHeaders(t *testing.T) {
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("pk-1:sk-2"))
	tests := []struct {
		name     string
		exp      observe.Export
		path     string
		headers  map[string]string
		resource map[string]string
	}{
		{
			name:     "weave",
			exp:      observe.Export{Preset: observe.PresetWeave, APIKey: "wk-9", Entity: "ent", Project: "proj"},
			path:     "/otel/v1/traces",
			headers:  map[string]string{"Wandb-Api-Key": "wk-9", "Project_id": "ent/proj"},
			resource: map[string]string{"wandb.entity": "ent", "wandb.project": "proj"},
		},
		{
			name:    "langfuse",
			exp:     observe.Export{Preset: observe.PresetLangfuse, PublicKey: "pk-1", SecretKey: "sk-2"},
			path:    "/api/public/otel/v1/traces",
			headers: map[string]string{"Authorization": basic},
		},
		{
			name:    "phoenix",
			exp:     observe.Export{Preset: observe.PresetPhoenix, Headers: map[string]string{"api_key": "px"}},
			path:    "/v1/traces",
			headers: map[string]string{"Api_key": "px"},
		},
		{name: "jaeger", exp: observe.Export{Preset: observe.PresetJaeger}, path: "/v1/traces"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, srv := newReceiver(t)
			tt.exp.Endpoint = srv.URL // has a port, so jaeger keeps it
			setupOTLP(t, tt.exp)
			r.mu.Lock()
			defer r.mu.Unlock()
			if len(r.paths) == 0 {
				t.Fatalf("receiver got no request")
			}
			if r.paths[0] != tt.path {
				t.Errorf("path = %s, want %s", r.paths[0], tt.path)
			}
			for k, v := range tt.headers {
				if got := r.headers[0].Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			for k, v := range tt.resource {
				if got := pbAttr(r.res, k); got != v {
					t.Errorf("resource %s = %q, want %q", k, got, v)
				}
			}
			for _, s := range r.spans {
				for _, kv := range s.Attributes {
					if v := kv.Value.GetStringValue(); strings.Contains(v, "wk-9") || strings.Contains(v, "sk-2") {
						t.Errorf("span attribute %s carries a secret", kv.Key)
					}
				}
			}
		})
	}
}

func TestPresetErrorsHideSecrets(t *testing.T) {
	tests := []struct {
		name string
		exp  observe.Export
	}{
		{"weave without project", observe.Export{Preset: observe.PresetWeave, APIKey: "zz-s3cr3t"}},
		{"langfuse without public key", observe.Export{Preset: observe.PresetLangfuse, SecretKey: "zz-s3cr3t"}},
		{"unknown preset", observe.Export{Preset: "nope", APIKey: "zz-s3cr3t"}},
		{"jaeger bad endpoint", observe.Export{Preset: observe.PresetJaeger, Endpoint: "::", APIKey: "zz-s3cr3t"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := observe.Setup(context.Background(), observe.Config{Export: tt.exp})
			if !errors.Is(err, observe.ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("err = %q, want no secret in it", err)
			}
		})
	}
}

// stuck is an exporter that never returns until released, like a backend
// that hangs.
type stuck struct{ release chan struct{} }

func (s stuck) ExportSpans(ctx context.Context, _ []sdktrace.ReadOnlySpan) error {
	<-s.release
	return nil
}

func (s stuck) Shutdown(context.Context) error { return nil }

func TestStuckExporterNeverBlocksCaller(t *testing.T) {
	exp := stuck{release: make(chan struct{})}
	const queue, batch, calls = 8, 4, 200
	p, err := observe.Setup(context.Background(), observe.Config{
		Exporters: []sdktrace.SpanExporter{exp}, QueueSize: queue, BatchSize: batch,
	})
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	f := observe.Op("f", func(_ context.Context, n int) (int, error) { return n, nil })

	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range calls {
			_, _ = f(context.Background(), i)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatalf("%d calls did not complete with a stuck exporter", calls)
	}
	// At most one swapped-out buffer is inside the stuck export and one
	// buffer of queue spans waits.
	if got, min := p.Dropped(), uint64(calls-2*queue); got < min {
		t.Errorf("Dropped = %d, want at least %d", got, min)
	}
	short, cancelShort := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancelShort()
	if err := p.Shutdown(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown with a stuck exporter = %v, want DeadlineExceeded", err)
	}
	close(exp.release)
}

func TestOTLPPresetReadsEnvironment(t *testing.T) {
	r, srv := newReceiver(t)
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", srv.URL+"/custom/traces")
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-team=steady")
	setupOTLP(t, observe.Export{Preset: observe.PresetOTLP})
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.paths) == 0 {
		t.Fatalf("receiver got no request")
	}
	if r.paths[0] != "/custom/traces" {
		t.Errorf("path = %s, want /custom/traces", r.paths[0])
	}
	if got := r.headers[0].Get("x-team"); got != "steady" {
		t.Errorf("header x-team = %q, want steady", got)
	}
}

func TestExportFormattingHidesSecrets(t *testing.T) {
	e := observe.Export{Preset: observe.PresetLangfuse, APIKey: "zz-s3cr3t", SecretKey: "zz-s3cr3t",
		Headers: map[string]string{"x": "zz-s3cr3t"}}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "export", e, "cfg", observe.Config{Export: e})
	for _, s := range []string{fmt.Sprint(e), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e), logged.String()} {
		if strings.Contains(s, "s3cr3t") {
			t.Errorf("formatted %q, want no secret", s)
		}
	}
}
