package evalstore

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/eval"
	"github.com/steady-voice/steady/observe"
	"github.com/steady-voice/steady/observe/tracestore"
)

// CallConverter turns a stored call into what a scorer judges. It returns
// an error when the call lacks what the scorer needs; ScoreCall then stores
// nothing.
type CallConverter func(tracestore.Call) (eval.Example, eval.Output, error)

var _ CallConverter = DefaultConverter

// ScoreCall loads the call callID, turns it into an Example and Output with
// conv, runs s, and stores s's flattened result (see eval.Result.Flatten) as
// one feedback on the call whose scores are named "<scorer>.<key>", e.g.
// "effectiveness.score", and whose note names the scorer. Prefixing with
// the scorer keeps the scores of several scorers on one call apart.
//
// This is online scoring: judging calls that already happened in production
// rather than a dataset run through a model. An unknown call is NotFound;
// a conversion error is returned as conv made it (Invalid when it has no
// code); a result without a number or boolean to store is Invalid.
func ScoreCall(ctx context.Context, st *tracestore.Store, callID string, s eval.Scorer, conv CallConverter) (eval.Result, error) {
	const op = "evalstore.ScoreCall"
	if s == nil || conv == nil {
		return nil, steady.Errorf(steady.Invalid, op, "no scorer or converter")
	}
	call, err := st.Call(ctx, callID)
	if err != nil {
		return nil, err
	}
	ex, out, err := conv(call)
	if err != nil {
		return nil, withCode(steady.Invalid, op, err)
	}
	res, err := s.Score(ctx, ex, out)
	if err != nil {
		return nil, steady.Errorf(steady.Internal, op, "scorer %q on call %s: %w", s.Name(), callID, err)
	}
	scores := prefixed(s.Name(), res.Flatten())
	if len(scores) == 0 {
		return nil, steady.Errorf(steady.Invalid, op, "scorer %q gave call %s no number to store", s.Name(), callID)
	}
	fb := tracestore.Feedback{Note: note(s.Name()), Scores: scores}
	if _, err := st.AddFeedback(ctx, callID, fb); err != nil {
		return nil, err
	}
	return res, nil
}

// withCode keeps err's code when it has one, so a converter can report
// NotFound or Unavailable itself.
func withCode(code steady.Code, op string, err error) error {
	if _, ok := errors.AsType[*steady.Error](err); ok {
		return err
	}
	return steady.Wrap(code, op, err)
}

func prefixed(scorer string, flat map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(flat))
	for k, v := range flat {
		out[scorer+"."+k] = v
	}
	return out
}

// note says who gave the scores, so a person reading the feedback can tell
// a scorer's verdict from a colleague's. Scorer names are short, but a
// note over the store's cap would lose the scores with it.
func note(scorer string) string {
	n := "scored by " + scorer
	if len(n) > tracestore.MaxNoteBytes {
		n = strings.ToValidUTF8(n[:tracestore.MaxNoteBytes], "")
	}
	return n
}

// Field names DefaultConverter looks for, in order of preference: what the
// agent's ops and most tracing SDKs call the user's words and the reply.
var (
	inputFields  = []string{"input", "text", "utterance", "context"}
	outputFields = []string{"reply", "response", "result", "text"}
)

// outcomeKey is the attribute or output field holding the memory layer's
// outcome of an intervention.
const outcomeKey = "outcome"

// DefaultConverter reads any call generically, from what observe captured.
// Example.ID is the call id and Example.Input the input's first string
// field among input, text, utterance and context, or else the input JSON
// as recorded. Output.Response is a string output, or the output's first
// string field among reply, response, result and text, or else "": a
// structured result is not something a person heard. A call with a
// gen_ai.tool.name attribute (an execute_tool span) becomes one tool call
// of that name. Output.Outcome comes from an "outcome" attribute, or else
// an "outcome" field of the output; Output.Latency is the call's.
//
// A call without captured content (capture was off) is Invalid: scoring
// it would judge an empty reply, not the call.
func DefaultConverter(c tracestore.Call) (eval.Example, eval.Output, error) {
	if c.Inputs == "" && c.Output == "" {
		return eval.Example{}, eval.Output{}, steady.Errorf(steady.Invalid, "evalstore.DefaultConverter",
			"call %s has no captured input or output (content capture was off)", c.CallID)
	}
	in, out := decodeContent(c.Inputs), decodeContent(c.Output)
	ex := eval.Example{ID: c.CallID, Input: textOf(in, c.Inputs, inputFields)}
	o := eval.Output{Response: textOf(out, "", outputFields), Latency: c.Latency}
	if tool := stringAttr(c.Attributes, observe.AttrGenAIToolName); tool != "" {
		o.ToolCalls = []eval.ToolCall{{Name: tool}}
	}
	o.Outcome = stringAttr(c.Attributes, outcomeKey)
	if o.Outcome == "" {
		o.Outcome = field(out, outcomeKey)
	}
	return ex, o, nil
}

// decodeContent parses captured JSON; content cut at the size cap is not
// JSON and decodes to nil, so callers fall back to the text as recorded.
func decodeContent(s string) any {
	var v any
	if s == "" || json.Unmarshal([]byte(s), &v) != nil {
		return nil
	}
	return v
}

// textOf is v itself when it is a string, else its first string field
// among names, else fallback.
func textOf(v any, fallback string, names []string) string {
	if s, ok := v.(string); ok {
		return s
	}
	for _, name := range names {
		if s := field(v, name); s != "" {
			return s
		}
	}
	return fallback
}

// field is the string field name of a JSON object, or "".
func field(v any, name string) string {
	obj, _ := v.(map[string]any)
	s, _ := obj[name].(string)
	return s
}

func stringAttr(attrs map[string]any, key string) string {
	s, _ := attrs[key].(string)
	return s
}
