// Package agent is where Steady's two layers meet: a tool call is checked,
// run on the session's state, traced by observe and recorded into memory;
// once its outcome is known, eval judges it and the score flows back into
// memory, so later searches prefer what worked.
//
// The 13 support tools are declared once, in the table behind Tools:
// LLMTools turns it into the declarations a model reads, Tool.Validate
// checks a model's arguments against it, and Execute runs a tool on one
// session's state.
package agent
