package llm_test

import (
	"testing"

	"github.com/steady-voice/steady/llm"
)

const sampleGeminiDecl = `{"name":"breathing","description":"Guide a short breathing exercise.",
	"parametersJsonSchema":` + sampleSchema + `}`

func TestToolConversions(t *testing.T) {
	noParams := llm.Tool{Name: "check_in"}
	tests := []struct {
		name       string
		tools      []llm.Tool
		wantOpenAI string
		wantGemini string
	}{
		{"none", nil, `null`, `null`},
		{
			name:       "bounds, enum and required pass through",
			tools:      []llm.Tool{sampleTool},
			wantOpenAI: `[` + sampleOpenAITool + `]`,
			wantGemini: `[{"functionDeclarations":[` + sampleGeminiDecl + `]}]`,
		},
		{
			name:       "no parameters",
			tools:      []llm.Tool{noParams},
			wantOpenAI: `[{"type":"function","function":{"name":"check_in","parameters":{"type":"object","properties":{}}}}]`,
			wantGemini: `[{"functionDeclarations":[{"name":"check_in"}]}]`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkJSON(t, "OpenAITools", llm.OpenAITools(tt.tools), tt.wantOpenAI)
			checkJSON(t, "GeminiTools", llm.GeminiTools(tt.tools), tt.wantGemini)
		})
	}
}
