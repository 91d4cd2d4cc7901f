package main

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/steady-voice/steady/observe"
	"github.com/steady-voice/steady/observe/tracestore"
)

// app holds what every command shares: the global settings and the streams.
type app struct {
	cfg     config
	traces  *tracestore.Store // nil until a traced command runs
	tracing *observe.Provider
	getenv  func(string) string
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
	log     *slog.Logger
}

func newRoot(getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) (*cobra.Command, *app, error) {
	a := &app{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "steady",
		Short: "A self-improving voice assistant for people with ADHD and autism",
		Long: `Steady helps through small support tools (micro-steps, breathing,
grounding, check-ins…) and remembers, for each user, what helped before.

Every flag can also be set by the environment variable named in its help.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.setup(); err != nil {
				return err
			}
			return a.setupTracing(cmd.Context(), cmd)
		},
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := a.cfg.bind(root.PersistentFlags(), getenv); err != nil {
		return nil, nil, err
	}
	root.AddCommand(a.versionCmd(), a.embedCmd(), a.memoryCmd(), a.healthCmd(), a.tracesCmd(), a.evalCmd(), a.chatCmd(), a.simCmd(), a.serveCmd(), a.benchCmd())
	traceCommands(root)
	return root, a, nil
}

// setup runs before any command, once the flags are parsed.
func (a *app) setup() error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(a.cfg.LogLevel)); err != nil {
		return fmt.Errorf("--log-level %q: want debug, info, warn or error", a.cfg.LogLevel)
	}
	a.log = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
	return a.cfg.check()
}
