package eval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	steady "github.com/steady-voice/steady"
)

// Dataset size caps: a dataset is read whole into memory and each row is
// sent to a model, so an accidental multi-gigabyte file must fail early
// rather than exhaust memory or a provider budget.
const (
	MaxDatasetRows = 10_000
	MaxLineBytes   = 1 << 20
)

const opReadDataset = "eval.ReadDataset"

// ReadDataset reads JSONL, one Example object per line; blank lines are
// skipped. Each row needs a non-empty "input"; "id" defaults to
// "line-<n>" and must be unique; unknown fields are errors, so a typo such
// as "expected_tol" is not silently ignored; "no_tool" cannot be combined
// with "expected_tool" or "acceptable_tools". Errors have the code
// steady.Invalid and name the line.
func ReadDataset(r io.Reader) ([]Example, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLineBytes)
	var examples []Example
	lines := map[string]int{} // id → line that first used it
	line := 0
	for sc.Scan() {
		line++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		if len(examples) == MaxDatasetRows {
			return nil, steady.Errorf(steady.Invalid, opReadDataset, "line %d: more than %d rows", line, MaxDatasetRows)
		}
		ex, err := parseRow(sc.Bytes(), line)
		if err != nil {
			return nil, steady.Errorf(steady.Invalid, opReadDataset, "line %d: %w", line, err)
		}
		if first, dup := lines[ex.ID]; dup {
			return nil, steady.Errorf(steady.Invalid, opReadDataset, "line %d: id %q already used on line %d", line, ex.ID, first)
		}
		lines[ex.ID] = line
		examples = append(examples, ex)
	}
	return examples, scanErr(sc.Err(), line+1)
}

func scanErr(err error, line int) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, bufio.ErrTooLong):
		return steady.Errorf(steady.Invalid, opReadDataset, "line %d: longer than %d bytes", line, MaxLineBytes)
	}
	return steady.Wrap(steady.Invalid, opReadDataset, err)
}

func parseRow(b []byte, line int) (Example, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var ex Example
	if err := dec.Decode(&ex); err != nil {
		return Example{}, fmt.Errorf("bad JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Example{}, errors.New("bad JSON: more than one value on the line")
	}
	if strings.TrimSpace(ex.Input) == "" {
		return Example{}, errors.New(`missing field "input"`)
	}
	if err := checkTools(ex); err != nil {
		return Example{}, err
	}
	if ex.ID == "" {
		ex.ID = fmt.Sprintf("line-%d", line)
	}
	return ex, nil
}

// checkTools rejects tool expectations ToolUsage could honour only by
// silently ignoring part of them.
func checkTools(ex Example) error {
	switch {
	case ex.NoTool && (ex.ExpectedTool != "" || len(ex.AcceptableTools) > 0):
		return errors.New(`"no_tool" together with "expected_tool" or "acceptable_tools"`)
	case slices.Contains(ex.AcceptableTools, ""):
		return errors.New(`"acceptable_tools" holds an empty name`)
	}
	return nil
}

// WriteDataset writes examples as JSONL that ReadDataset reads back.
func WriteDataset(w io.Writer, examples []Example) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // datasets are read by people; "<" need not become \u003c
	for _, ex := range examples {
		if err := enc.Encode(ex); err != nil {
			return fmt.Errorf("eval: write example %q: %w", ex.ID, err)
		}
	}
	return nil
}
