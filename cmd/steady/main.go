// Command steady is Steady's one binary: the server, the simulator, the
// benchmarks and the tools to inspect its memory and its embeddings.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "steady:", err)
		os.Exit(1)
	}
}

// run is the whole program; main only supplies the process's environment, so
// tests call run directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	root, a, err := newRoot(getenv, stdin, stdout, stderr)
	if err != nil {
		return err
	}
	root.SetArgs(args)
	err = root.ExecuteContext(ctx)
	return errors.Join(err, a.closeTracing())
}
