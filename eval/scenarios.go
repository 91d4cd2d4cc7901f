package eval

import (
	"bytes"
	_ "embed"
)

//go:embed scenarios.jsonl
var scenarios []byte

// Scenarios is Steady's built-in evaluation dataset: what users say, each
// with the support tool that is right for it (and others that are also
// right), or no tool for small talk. Its tests prove it parses.
func Scenarios() []Example {
	ex, err := ReadDataset(bytes.NewReader(scenarios))
	if err != nil {
		panic("eval: the embedded scenarios do not parse: " + err.Error())
	}
	return ex
}
