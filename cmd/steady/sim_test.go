package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/steady-voice/steady/sim"
)

func TestSimPrintsTableAndWritesFiles(t *testing.T) {
	data, out := t.TempDir(), filepath.Join(t.TempDir(), "report")
	env := map[string]string{"STEADY_DATA": data}
	table := mustSteady(t, env, "", "sim", "--users", "3", "--sessions", "2", "--seed", "5", "--out", out)
	for _, want := range []string{"session", "memory", "no-memory", "oracle", "random", "paired t-test", "memory/oracle"} {
		if !strings.Contains(table, want) {
			t.Errorf("table does not mention %q:\n%s", want, table)
		}
	}
	svg, err := os.ReadFile(filepath.Join(out, "learning.svg"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		XMLName   xml.Name
		Polylines []struct{} `xml:"polyline"`
		Polygons  []struct{} `xml:"polygon"`
	}
	if err := xml.Unmarshal(svg, &doc); err != nil {
		t.Fatalf("learning.svg is not XML: %v", err)
	}
	if doc.XMLName.Local != "svg" || len(doc.Polylines) != 4 || len(doc.Polygons) != 4 {
		t.Errorf("learning.svg: <%s> with %d curves and %d bands, want <svg> with 4 and 4", doc.XMLName.Local, len(doc.Polylines), len(doc.Polygons))
	}
	var res sim.Result
	b, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err == nil {
		err = json.Unmarshal(b, &res)
	}
	if err != nil || res.Users != 3 || len(res.Policies) != 4 {
		t.Errorf("results.json: %d users, %d policies, %v; want 3 and 4", res.Users, len(res.Policies), err)
	}
	if left, _ := filepath.Glob(filepath.Join(data, "sim-*")); len(left) != 0 {
		t.Errorf("the run left %v under --data", left)
	}
}

func TestSimJSON(t *testing.T) {
	out := mustSteady(t, nil, "", "sim", "--users", "2", "--sessions", "1", "--json")
	var res sim.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Sessions != 1 {
		t.Fatalf("--json printed %q (%v), want a result of 1 session", out, err)
	}
}

func TestSimRejectsBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--users", "0"}, "--users 0"},
		{[]string{"--users", "20000"}, "--users 20000"},
		{[]string{"--sessions", "101"}, "--sessions 101"},
		{[]string{"--sessions", "0"}, "--sessions 0"},
		{[]string{"--situations", "6"}, "--situations 6"},
		{[]string{"--workers", "0"}, "--workers 0"},
		{[]string{"--seed", "-1"}, "--seed"},
		{[]string{"--spread", "0"}, "--spread 0"},
		{[]string{"--spread", "7"}, "--spread 7"},
		{[]string{"--spread", "NaN"}, "--spread NaN"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, _, err := steady(t, nil, "", append([]string{"sim"}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error naming %q", err, tc.want)
			}
		})
	}
}
