package tracestore_test

import (
	"context"
	"github.com/steady-voice/steady/internal/steadytest"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/observe/tracestore"
)

func TestFeedbackRoundTrip(t *testing.T) {
	clk := steadytest.NewClock(t0.Add(time.Minute))
	s, _ := openStore(t, tracestore.Options{Now: clk.Now})
	tr := tracer(t, s)
	_, sp := span(context.Background(), tr, "tool.breathing", t0, time.Millisecond)
	callID := sp.SpanContext().SpanID().String()

	in := []tracestore.Feedback{
		{Reaction: "👍", Note: "that helped", Scores: map[string]float64{"helpful": 0.9}},
		{Reaction: "👎"},
	}
	for _, f := range in {
		got, err := s.AddFeedback(context.Background(), callID, f)
		if err != nil {
			t.Fatalf("AddFeedback: %v", err)
		}
		if got.ID == "" || got.CallID != callID || !got.CreatedAt.Equal(clk.Now()) {
			t.Errorf("AddFeedback = %+v, want an ID, CallID %s, CreatedAt %v", got, callID, clk.Now())
		}
	}
	call, err := s.Call(context.Background(), callID)
	if err != nil {
		t.Fatalf("Call: %v", err)
	}
	if len(call.Feedback) != 2 {
		t.Fatalf("got %d feedback, want 2", len(call.Feedback))
	}
	first := call.Feedback[0]
	if first.Reaction != "👍" || first.Note != "that helped" || first.Scores["helpful"] != 0.9 || first.CallID != callID {
		t.Errorf("Feedback[0] = %+v, want %+v", first, in[0])
	}
	if call.Feedback[1].Reaction != "👎" || call.Feedback[1].Scores != nil {
		t.Errorf("Feedback[1] = %+v, want %+v", call.Feedback[1], in[1])
	}
	trace, err := s.Trace(context.Background(), call.TraceID)
	if err != nil {
		t.Fatalf("Trace: %v", err)
	}
	if len(trace[0].Feedback) != 2 {
		t.Errorf("Trace gave %d feedback, want 2", len(trace[0].Feedback))
	}
}

func TestFeedbackValidation(t *testing.T) {
	s, _ := openStore(t, tracestore.Options{})
	tr := tracer(t, s)
	_, sp := span(context.Background(), tr, "op", t0, time.Millisecond)
	callID := sp.SpanContext().SpanID().String()
	tests := []struct {
		name string
		f    tracestore.Feedback
	}{
		{"unknown reaction", tracestore.Feedback{Reaction: "🎉"}},
		{"note too long", tracestore.Feedback{Note: strings.Repeat("x", tracestore.MaxNoteBytes+1)}},
		{"note not UTF-8", tracestore.Feedback{Note: "a\xff"}},
		{"empty", tracestore.Feedback{}},
		{"NaN score", tracestore.Feedback{Scores: map[string]float64{"x": math.NaN()}}},
		{"unnamed score", tracestore.Feedback{Scores: map[string]float64{"": 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.AddFeedback(context.Background(), callID, tt.f); !steady.Is(err, steady.Invalid) {
				t.Errorf("AddFeedback = %v, want Invalid", err)
			}
		})
	}
	call, err := s.Call(context.Background(), callID)
	if err != nil {
		t.Fatalf("Call: %v", err)
	}
	if len(call.Feedback) != 0 {
		t.Errorf("got %d feedback after invalid ones, want 0", len(call.Feedback))
	}
	ok := tracestore.Feedback{Note: strings.Repeat("x", tracestore.MaxNoteBytes)}
	if _, err := s.AddFeedback(context.Background(), callID, ok); err != nil {
		t.Errorf("AddFeedback(note of exactly MaxNoteBytes) = %v, want nil", err)
	}
}
