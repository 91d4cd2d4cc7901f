package server_test

import (
	"testing"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/observe/tracestore"
	"github.com/steady-voice/steady/server"
	"github.com/steady-voice/steady/server/client"
)

func TestOperatorReadsTracesAndOps(t *testing.T) {
	r := newRig(t)
	ana := r.user("Ana", "ana@example.com")
	sess, err := ana.StartSession(r.ctx)
	must(t, err)
	reply, err := ana.Send(r.ctx, sess.ID, "I need to clean my room but I don't know where to start")
	must(t, err)
	r.flushTraces()
	admin := r.admin()

	tool := reply.ToolCalls[0]
	page, err := admin.Traces(r.ctx, client.TraceFilter{Attrs: map[string]string{"gen_ai.tool.name": tool.Name}})
	must(t, err)
	if len(page.Calls) != 1 || page.Calls[0].CallID != tool.CallID {
		t.Fatalf("calls of tool %s: %+v, want its call %s", tool.Name, page.Calls, tool.CallID)
	}
	page, err = admin.Traces(r.ctx, client.TraceFilter{Status: "ok", Op: page.Calls[0].Op})
	must(t, err)
	for _, c := range page.Calls {
		if c.Status != "ok" || c.Op != page.Calls[0].Op {
			t.Errorf("call %s %s in a listing of ok %s calls", c.Op, c.Status, page.Calls[0].Op)
		}
	}
	first, err := admin.Traces(r.ctx, client.TraceFilter{Limit: 1})
	must(t, err)
	next, err := admin.Traces(r.ctx, client.TraceFilter{Limit: 1, Cursor: first.NextCursor})
	must(t, err)
	if first.NextCursor == "" || len(next.Calls) != 1 || next.Calls[0].CallID == first.Calls[0].CallID {
		t.Errorf("paging: first %+v, next %+v; want two different calls", first.Calls, next.Calls)
	}

	calls, err := admin.Trace(r.ctx, reply.TraceID)
	must(t, err)
	if len(calls) < 2 || calls[0].ParentID != "" {
		t.Errorf("trace %s: %d calls, want the turn and its children, root first", reply.TraceID, len(calls))
	}
	_, err = admin.Trace(r.ctx, "0123456789abcdef0123456789abcdef")
	wantCode(t, "unknown trace", err, steady.NotFound)

	ops, err := admin.Ops(r.ctx, time.Time{})
	must(t, err)
	if len(ops) == 0 || ops[0].Count == 0 {
		t.Errorf("ops %+v, want counts", ops)
	}
	_, err = admin.Traces(r.ctx, client.TraceFilter{Status: "maybe"})
	wantCode(t, "status maybe", err, steady.Invalid)
}

func TestFeedbackOnACall(t *testing.T) {
	r := newRig(t)
	ana := r.user("Ana", "ana@example.com")
	sess, err := ana.StartSession(r.ctx)
	must(t, err)
	reply, err := ana.Send(r.ctx, sess.ID, "I need to clean my room but I don't know where to start")
	must(t, err)
	r.flushTraces()
	admin := r.admin()
	callID := reply.ToolCalls[0].CallID
	fb, err := admin.Feedback(r.ctx, callID, tracestore.Feedback{Reaction: "👍", Note: "just right", Scores: map[string]float64{"helpful": 1}})
	must(t, err)
	if fb.ID == "" || fb.CallID != callID {
		t.Errorf("feedback %+v, want an id on call %s", fb, callID)
	}
	_, err = admin.Feedback(r.ctx, callID, tracestore.Feedback{Reaction: "🤷"})
	wantCode(t, "an unknown reaction", err, steady.Invalid)
	_, err = admin.Feedback(r.ctx, "00000000deadbeef", tracestore.Feedback{Reaction: "👍"})
	wantCode(t, "feedback on no call", err, steady.NotFound)
}

func TestEvaluations(t *testing.T) {
	r := newRig(t)
	admin := r.admin()
	dataset := `{"id": "room", "input": "I need to clean my room but I don't know where to start", "expected_tool": "create_microsteps"}
{"id": "thanks", "input": "thanks, that's all", "no_tool": true}
`
	run, err := admin.RunEvaluation(r.ctx, dataset, "smoke")
	must(t, err)
	if run.ID == "" || run.Name != "smoke" || len(run.Rows) != 2 || run.Summary.Rows != 2 {
		t.Fatalf("run %+v, want 2 rows named smoke", run)
	}
	runs, err := admin.Evaluations(r.ctx, 0)
	must(t, err)
	if len(runs) != 1 || runs[0].ID != run.ID {
		t.Errorf("runs %+v, want the one run", runs)
	}
	got, err := admin.Evaluation(r.ctx, run.ID)
	must(t, err)
	if len(got.Rows) != 2 {
		t.Errorf("stored run has %d rows, want 2", len(got.Rows))
	}
	tot, err := admin.Totals(r.ctx)
	must(t, err)
	if tot.Interventions != 0 || tot.Users != 0 {
		t.Errorf("totals after an evaluation %+v, want nothing left in memory", tot)
	}
	_, err = admin.RunEvaluation(r.ctx, `{"input": "hi", "expected_tol": "x"}`, "")
	wantCode(t, "a dataset with a typo", err, steady.Invalid)
	_, err = admin.Evaluation(r.ctx, "no-such-run")
	wantCode(t, "an unknown run", err, steady.NotFound)
}

func TestObservabilityWithoutTraceStore(t *testing.T) {
	r := newRig(t, func(c *server.Config) { c.Traces, c.Runs = nil, nil })
	admin := r.admin()
	_, err := admin.Traces(r.ctx, client.TraceFilter{})
	wantCode(t, "traces without a store", err, steady.Unavailable)
	_, err = admin.Evaluations(r.ctx, 0)
	wantCode(t, "evaluations without a store", err, steady.Unavailable)
	if _, err := admin.Totals(r.ctx); err != nil {
		t.Errorf("totals need only memory: %v", err)
	}
	ready, err := r.client().Ready(r.ctx)
	must(t, err)
	if _, ok := ready.Checks["traces"]; ok {
		t.Errorf("readiness %+v checks a trace store it does not have", ready)
	}
}
