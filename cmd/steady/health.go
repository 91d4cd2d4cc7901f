package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
)

// healthTimeout bounds how long `steady health` waits for a store.
const healthTimeout = 5 * time.Second

type healthReport struct {
	Memory   backend `json:"memory"`
	OK       bool    `json:"ok"`
	Error    string  `json:"error,omitempty"`
	Embedder string  `json:"embedder,omitempty"`
}

var errUnhealthy = errors.New("unhealthy")

func (a *app) healthCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "health",
		Short: "Check that the memory store and the embedder are reachable",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), healthTimeout)
			defer cancel()
			r := a.checkHealth(ctx)
			err := a.show(r, func(w io.Writer) error {
				status := "ok"
				if !r.OK {
					status = "UNAVAILABLE: " + r.Error
				}
				_, err := fmt.Fprintf(w, "memory\t%s %s\t%s\nembedder\t%s\n", r.Memory.Kind, r.Memory.Location, status, r.Embedder)
				return err
			})
			if err == nil && !r.OK {
				return errUnhealthy
			}
			return err
		},
	}
}

func (a *app) checkHealth(ctx context.Context) healthReport {
	st, b, err := a.openStore(ctx)
	r := healthReport{Memory: b}
	if err == nil {
		err = st.Ping(ctx)
		st.Close()
	}
	if err != nil {
		r.Error = err.Error()
		return r
	}
	e, err := a.embedder(ctx)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.OK, r.Embedder = true, e.Name()
	return r
}
