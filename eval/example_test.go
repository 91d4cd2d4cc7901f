package eval_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/steady-voice/steady/eval"
)

func ExampleEvaluation_Run() {
	data := `{"id":"1","input":"I can't start my essay","expected_tool":"create_microsteps"}
{"id":"2","input":"everything is too loud","expected_tool":"sensory_check"}`
	examples, err := eval.ReadDataset(strings.NewReader(data))
	if err != nil {
		panic(err)
	}
	// A stand-in for the agent: always breaks the task down.
	model := func(_ context.Context, ex eval.Example) (eval.Output, error) {
		return eval.Output{
			Response:  "That's okay. Let's find one small step.",
			ToolCalls: []eval.ToolCall{{Name: "create_microsteps"}},
		}, nil
	}
	e := &eval.Evaluation{Dataset: examples, Scorers: []eval.Scorer{eval.ToolUsage{}, eval.Brevity{}}}
	run, err := e.Run(context.Background(), model, eval.RunOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println("tool_usage:", run.Summary.Scorers["tool_usage"]["score"])
	fmt.Println("brevity:", run.Summary.Scorers["brevity"]["score"])
	// Output:
	// tool_usage: map[mean:0.75]
	// brevity: map[mean:1]
}
