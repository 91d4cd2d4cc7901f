package main

import (
	"encoding/json"
	"io"
	"text/tabwriter"
)

// show prints v as indented JSON with --json, or as text written by human.
func (a *app) show(v any, human func(w io.Writer) error) error {
	if a.cfg.JSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	if err := human(tw); err != nil {
		return err
	}
	return tw.Flush()
}
