// Package eval judges what Steady's agent did: scorers turn one example and
// the model's output into a structured Result, an Evaluation runs a model
// over a dataset and scores every row, and Compare tells two runs apart.
//
// It answers "how good was it?" together with observe, which answers "what
// happened?": every row, model call and scorer is a span, so a run can be
// inspected in the trace store or in W&B Weave like any other call. It never
// imports the memory layer; the agent joins the two by writing scores back
// to interventions.
package eval
