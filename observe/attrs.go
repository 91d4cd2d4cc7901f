// Package observe is Steady's observability layer: it answers "what
// happened, and how good was it?". Any function becomes a traced operation
// (Op), attributes carried by the context label every span under it
// (WithAttributes), and Setup sends the spans to the embedded trace store
// and, when configured, over OTLP to W&B Weave, Langfuse, Phoenix or Jaeger.
//
// It never stores long-term memory, searches semantically or builds prompt
// context: that is the memory layer's job.
package observe

// Span attribute keys. A call is one span: its name is the op name, its span
// id the call id, its trace id the trace id. The keys follow the
// OpenInference and OpenTelemetry GenAI conventions, so that W&B Weave,
// Langfuse, Arize Phoenix and Jaeger all render calls, plus Steady's own.
const (
	AttrInputValue     = "input.value"     // the call's inputs, JSON
	AttrInputMimeType  = "input.mime_type" // "application/json"
	AttrOutputValue    = "output.value"    // the call's output, JSON
	AttrOutputMimeType = "output.mime_type"
	// AttrSpanKind is OpenInference's kind: "TOOL", "AGENT", "LLM",
	// "CHAIN", "EMBEDDING", "RETRIEVER", "EVALUATOR".
	AttrSpanKind = "openinference.span.kind"

	AttrGenAIOperation      = "gen_ai.operation.name" // "execute_tool", "invoke_agent", "chat", "embeddings"
	AttrGenAIToolName       = "gen_ai.tool.name"
	AttrGenAIToolCallID     = "gen_ai.tool.call.id"
	AttrGenAIConversationID = "gen_ai.conversation.id"
	AttrGenAIAgentName      = "gen_ai.agent.name"
	AttrGenAIInputTokens    = "gen_ai.usage.input_tokens"
	AttrGenAIOutputTokens   = "gen_ai.usage.output_tokens"

	AttrSessionID = "session.id"
	AttrUserID    = "user.id"
	// AttrWandbAttributes repeats the context attributes as one JSON object,
	// which W&B Weave shows as the call's attributes.
	AttrWandbAttributes = "wandb.attributes"

	// AttrTruncated is true when an input or output was cut to the size cap.
	AttrTruncated = "steady.content.truncated"
)

// AttrOpName labels the per-op metrics (calls, errors, latency) with the op.
const AttrOpName = "steady.op.name"
