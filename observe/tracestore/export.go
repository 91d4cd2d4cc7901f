package tracestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/steady-voice/steady/observe"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
)

const (
	// maxContent caps input.value and output.value; maxAttrValue caps every
	// other string attribute. A call is for reading on a dashboard: past
	// these sizes a value is cut, and AttrTruncated set, rather than let one
	// runaway span crowd thousands of others out of the size cap.
	maxContent   = 64 << 10
	maxAttrValue = 8 << 10
	// maxIndexedValue bounds the values indexed in call_attrs: longer ones
	// are free text nobody filters on by equality.
	maxIndexedValue = 256
)

// row holds what is stored for one call.
type row struct {
	callID, traceID, parentID, op, kind string
	start, end, latency                 int64
	status, errMsg, inputs, output      string
	attributes                          string
	userID, sessionID                   string
	indexed                             [][2]string // (key, value) for call_attrs
}

const sqlInsertCall = `INSERT INTO calls (call_id, trace_id, parent_id, op, kind,
	start_ns, end_ns, latency_ns, status, error, inputs, output, attributes,
	user_id, session_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
	ON CONFLICT (call_id) DO NOTHING`

const sqlInsertAttr = `INSERT OR IGNORE INTO call_attrs (seq, key, value, start_ns) VALUES (?,?,?,?)`

// ExportSpans stores spans, one call each, in one transaction. A span
// exported twice is stored once. On a full disk or an I/O error it returns
// the error, and nothing of the batch is stored, for the span processor to
// count.
func (s *Store) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if len(spans) == 0 {
		return nil
	}
	rows := make([]row, len(spans))
	for i, sp := range spans {
		rows[i] = toRow(sp)
	}
	return s.guard(ctx, "tracestore.ExportSpans", func() error {
		if s.exportsDone.Load() {
			return errShutDown
		}
		return s.write(ctx, func(tx *sql.Tx) error { return insertRows(ctx, tx, rows) })
	})
}

// insertRows inserts rows with statements prepared once per batch.
func insertRows(ctx context.Context, tx *sql.Tx, rows []row) error {
	call, err := tx.PrepareContext(ctx, sqlInsertCall)
	if err != nil {
		return err
	}
	defer call.Close()
	attr, err := tx.PrepareContext(ctx, sqlInsertAttr)
	if err != nil {
		return err
	}
	defer attr.Close()
	for i := range rows {
		if err := insertRow(ctx, call, attr, &rows[i]); err != nil {
			return fmt.Errorf("insert call %s: %w", rows[i].callID, err)
		}
	}
	return nil
}

func insertRow(ctx context.Context, call, attr *sql.Stmt, r *row) error {
	res, err := call.ExecContext(ctx, r.callID, r.traceID, r.parentID, r.op, r.kind,
		r.start, r.end, r.latency, r.status, r.errMsg, r.inputs, r.output, r.attributes,
		r.userID, r.sessionID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err // a duplicate: its attributes are stored already
	}
	seq, err := res.LastInsertId()
	if err != nil {
		return err
	}
	for _, kv := range r.indexed {
		if _, err := attr.ExecContext(ctx, seq, kv[0], kv[1], r.start); err != nil {
			return err
		}
	}
	return nil
}

// toRow turns a span into the row of its call.
func toRow(sp sdktrace.ReadOnlySpan) row {
	sc := sp.SpanContext()
	r := row{
		callID:  sc.SpanID().String(),
		traceID: sc.TraceID().String(),
		op:      clean(sp.Name(), maxAttrValue),
		start:   sp.StartTime().UnixNano(),
		end:     sp.EndTime().UnixNano(),
		status:  "ok",
	}
	if p := sp.Parent(); p.SpanID().IsValid() {
		r.parentID = p.SpanID().String()
	}
	r.latency = max(r.end-r.start, 0)
	if sp.Status().Code == codes.Error {
		r.status, r.errMsg = "error", errorMessage(sp)
	}
	r.setAttributes(sp.Attributes())
	return r
}

// errorMessage is the status description or, failing that, the message of
// the last exception event (what RecordError adds).
func errorMessage(sp sdktrace.ReadOnlySpan) string {
	if d := sp.Status().Description; d != "" {
		return clean(d, maxAttrValue)
	}
	events := sp.Events()
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].Name != semconv.ExceptionEventName {
			continue
		}
		for _, kv := range events[i].Attributes {
			if kv.Key == semconv.ExceptionMessageKey {
				return clean(kv.Value.Emit(), maxAttrValue)
			}
		}
	}
	return ""
}

// setAttributes sorts the span's attributes into columns, the attributes
// JSON and the indexed pairs.
func (r *row) setAttributes(kvs []attribute.KeyValue) {
	attrs := make(map[string]any, len(kvs))
	truncated := false
	for _, kv := range kvs {
		key := clean(string(kv.Key), maxIndexedValue)
		switch key {
		case observe.AttrInputValue:
			r.inputs, truncated = cut(kv.Value.Emit(), maxContent, truncated)
			continue
		case observe.AttrOutputValue:
			r.output, truncated = cut(kv.Value.Emit(), maxContent, truncated)
			continue
		case observe.AttrSpanKind:
			r.kind = clean(kv.Value.Emit(), maxIndexedValue)
			continue
		case observe.AttrUserID:
			r.userID = clean(kv.Value.Emit(), maxIndexedValue)
		case observe.AttrSessionID:
			r.sessionID = clean(kv.Value.Emit(), maxIndexedValue)
		}
		var v any
		v, truncated = jsonValue(kv.Value, truncated)
		attrs[key] = v
		if s, ok := indexValue(kv.Value); ok {
			r.indexed = append(r.indexed, [2]string{key, s})
		}
	}
	if truncated {
		attrs[observe.AttrTruncated] = true
	}
	r.attributes = marshal(attrs)
}

// jsonValue is v as it goes into the attributes JSON, strings capped.
func jsonValue(v attribute.Value, truncated bool) (any, bool) {
	switch v.Type() {
	case attribute.STRING:
		return cut(v.AsString(), maxAttrValue, truncated)
	case attribute.STRINGSLICE:
		ss := v.AsStringSlice()
		out := make([]string, len(ss))
		for i, s := range ss {
			out[i], truncated = cut(s, maxAttrValue, truncated)
		}
		return out, truncated
	}
	return v.AsInterface(), truncated
}

// indexValue is the text a scalar attribute is filtered by: Filter.Attrs
// compares against it, so 42, true and 1.5 match "42", "true" and "1.5".
// Slices and long strings are not indexed.
func indexValue(v attribute.Value) (string, bool) {
	switch v.Type() {
	case attribute.STRING, attribute.BOOL, attribute.INT64, attribute.FLOAT64:
		s := v.Emit()
		if len(s) > maxIndexedValue {
			return "", false
		}
		return strings.ToValidUTF8(s, "\uFFFD"), true
	}
	return "", false
}

// marshal encodes attrs; encoding/json turns invalid UTF-8 into U+FFFD and
// +Inf or NaN are the only values it refuses, which become strings.
func marshal(attrs map[string]any) string {
	b, err := json.Marshal(attrs)
	if err == nil {
		return string(b)
	}
	for k, v := range attrs {
		switch v.(type) {
		case float64, []float64:
			attrs[k] = fmt.Sprint(v)
		}
	}
	b, _ = json.Marshal(attrs)
	return string(b)
}

// cut returns s as valid UTF-8 of at most n bytes, cut at a rune boundary,
// and whether it or anything before it was cut.
func cut(s string, n int, truncated bool) (string, bool) {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s, truncated
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n], true
}

// clean is cut without the report.
func clean(s string, n int) string {
	s, _ = cut(s, n, false)
	return s
}
