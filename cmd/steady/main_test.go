package main

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"strings"
	"testing"
)

// steady runs the program as a user would, with env as its whole
// environment, and returns what it printed.
func steady(t *testing.T, env map[string]string, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	if env["STEADY_DATA"] == "" { // never write traces into the source tree
		env = maps.Clone(env)
		if env == nil {
			env = map[string]string{}
		}
		env["STEADY_DATA"] = t.TempDir()
	}
	getenv := func(k string) string { return env[k] }
	err = run(context.Background(), args, getenv, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), err
}

func mustSteady(t *testing.T, env map[string]string, stdin string, args ...string) string {
	t.Helper()
	out, errOut, err := steady(t, env, stdin, args...)
	if err != nil {
		t.Fatalf("steady %s: %v\nstderr: %s", strings.Join(args, " "), err, errOut)
	}
	return out
}

func TestVersion(t *testing.T) {
	if out := mustSteady(t, nil, "", "version"); !strings.HasPrefix(out, "steady ") {
		t.Errorf("version printed %q, want it to start with \"steady \"", out)
	}
	var v versionInfo
	if err := json.Unmarshal([]byte(mustSteady(t, nil, "", "version", "--json")), &v); err != nil || v.Go == "" {
		t.Errorf("version --json: %+v, %v; want a Go version", v, err)
	}
}

func TestHelpListsCommandsAndEnvironment(t *testing.T) {
	out := mustSteady(t, nil, "", "--help")
	for _, want := range []string{"embed", "version", "--data", "STEADY_DATA", "--redis", "STEADY_REDIS_URL", "--json", "--log-level"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help does not mention %q", want)
		}
	}
}

func TestSettingsComeFromEnvironmentAndFlags(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr string
	}{
		{"json from env", map[string]string{"STEADY_JSON": "true"}, nil, ""},
		{"bad bool in env", map[string]string{"STEADY_JSON": "yes please"}, nil, "STEADY_JSON"},
		{"bad number in env", map[string]string{"STEADY_EMBED_CACHE": "lots"}, nil, "STEADY_EMBED_CACHE"},
		{"negative cache flag", nil, []string{"--embed-cache", "-5"}, "--embed-cache"},
		{"unknown embedder", map[string]string{"STEADY_EMBEDDER": "word2vec"}, nil, "--embedder"},
		{"bad log level", nil, []string{"--log-level", "chatty"}, "--log-level"},
		{"unknown flag", nil, []string{"--colour"}, "unknown flag"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{}, tc.args...), "version")
			out, _, err := steady(t, tc.env, "", args...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid([]byte(out)) {
				t.Errorf("STEADY_JSON=true printed %q, want JSON", out)
			}
		})
	}
}

// TestReadmeDocumentsEverySetting keeps the README's configuration table
// complete as settings are added.
func TestReadmeDocumentsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var c config
	for _, s := range c.settings() {
		row := "| `--" + s.flag + "` | `" + s.env + "` |"
		if !bytes.Contains(readme, []byte(row)) {
			t.Errorf("README.md has no configuration row starting %q", row)
		}
	}
	for _, vars := range apiKeyVars {
		for _, v := range vars {
			if !bytes.Contains(readme, []byte("`"+v+"`")) {
				t.Errorf("README.md does not mention %s", v)
			}
		}
	}
}

// TestCIRunsTheReadmeTestCommand keeps CI honest: it must run the command
// the README gives newcomers.
func TestCIRunsTheReadmeTestCommand(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	var cmd string
	for _, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "go test ") {
			cmd, _, _ = strings.Cut(line, "#")
			cmd = strings.TrimSpace(cmd)
			break
		}
	}
	if cmd == "" || !strings.Contains(cmd, "-race") {
		t.Fatalf("README test command %q: want a go test line with -race", cmd)
	}
	if !strings.Contains(string(ci), "\n"+cmd+"\n") {
		t.Errorf(".ci/run does not run the README's test command %q", cmd)
	}
}
