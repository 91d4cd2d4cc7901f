package tracestore_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"github.com/steady-voice/steady/internal/steadytest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/observe/tracestore"
)

// record is a small valid run record created at t0 + i seconds.
func record(i int) tracestore.RunRecord {
	return tracestore.RunRecord{
		ID:        fmt.Sprintf("run-%d", i),
		Name:      fmt.Sprintf("prompt v%d", i),
		CreatedAt: t0.Add(time.Duration(i) * time.Second),
		Rows:      i,
		Summary:   json.RawMessage(fmt.Sprintf(`{"score":{"mean":0.%d}}`, i)),
		Body:      json.RawMessage(fmt.Sprintf(`{"id":"run-%d","rows":[]}`, i)),
	}
}

func mustSaveRun(t *testing.T, s *tracestore.Store, r tracestore.RunRecord) {
	t.Helper()
	if err := s.SaveRun(context.Background(), r); err != nil {
		t.Fatalf("SaveRun(%q): %v", r.ID, err)
	}
}

// sameRecord fails unless got is want, times compared as instants.
func sameRecord(t *testing.T, got, want tracestore.RunRecord) {
	t.Helper()
	if got.ID != want.ID || got.Name != want.Name || got.Rows != want.Rows || !got.CreatedAt.Equal(want.CreatedAt) {
		t.Errorf("got run %q %q rows %d at %v, want %q %q rows %d at %v",
			got.ID, got.Name, got.Rows, got.CreatedAt, want.ID, want.Name, want.Rows, want.CreatedAt)
	}
	if !bytes.Equal(got.Summary, want.Summary) {
		t.Errorf("run %q: got summary %s, want %s", want.ID, got.Summary, want.Summary)
	}
	if !bytes.Equal(got.Body, want.Body) {
		t.Errorf("run %q: got body %s, want %s", want.ID, got.Body, want.Body)
	}
}

func TestSaveAndLoadRun(t *testing.T) {
	s, _ := openStore(t, tracestore.Options{})
	want := record(1)
	mustSaveRun(t, s, want)
	got, err := s.LoadRun(context.Background(), want.ID)
	if err != nil {
		t.Fatalf("LoadRun: %v", err)
	}
	sameRecord(t, got, want)
}

func TestSaveRunDefaultsCreatedAtToTheClock(t *testing.T) {
	s, _ := openStore(t, tracestore.Options{Now: func() time.Time { return t0 }})
	r := record(1)
	r.CreatedAt, r.Summary = time.Time{}, nil
	mustSaveRun(t, s, r)
	got, err := s.LoadRun(context.Background(), r.ID)
	if err != nil {
		t.Fatalf("LoadRun: %v", err)
	}
	if !got.CreatedAt.Equal(t0) {
		t.Errorf("got CreatedAt %v, want the clock's %v", got.CreatedAt, t0)
	}
	if got.Summary != nil {
		t.Errorf("got summary %s, want nil", got.Summary)
	}
}

func TestSaveRunRejects(t *testing.T) {
	tests := []struct {
		name   string
		change func(*tracestore.RunRecord)
		code   steady.Code
	}{
		{"empty id", func(r *tracestore.RunRecord) { r.ID = "" }, steady.Invalid},
		{"long id", func(r *tracestore.RunRecord) { r.ID = strings.Repeat("x", tracestore.MaxRunIDBytes+1) }, steady.Invalid},
		{"long name", func(r *tracestore.RunRecord) { r.Name = strings.Repeat("x", tracestore.MaxRunNameBytes+1) }, steady.Invalid},
		{"name not UTF-8", func(r *tracestore.RunRecord) { r.Name = "\xff" }, steady.Invalid},
		{"negative rows", func(r *tracestore.RunRecord) { r.Rows = -1 }, steady.Invalid},
		{"no body", func(r *tracestore.RunRecord) { r.Body = nil }, steady.Invalid},
		{"body not JSON", func(r *tracestore.RunRecord) { r.Body = json.RawMessage(`{"rows":`) }, steady.Invalid},
		{"summary not JSON", func(r *tracestore.RunRecord) { r.Summary = json.RawMessage(`mean`) }, steady.Invalid},
		{"over the size cap", func(r *tracestore.RunRecord) {
			r.Body = json.RawMessage(`"` + strings.Repeat("x", tracestore.MaxRunBytes) + `"`)
		}, steady.Invalid},
		{"duplicate id", func(r *tracestore.RunRecord) { r.ID = "run-0" }, steady.Conflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := openStore(t, tracestore.Options{})
			mustSaveRun(t, s, record(0))
			r := record(1)
			tt.change(&r)
			if err := s.SaveRun(context.Background(), r); !steady.Is(err, tt.code) {
				t.Fatalf("SaveRun = %v, want %s", err, tt.code)
			}
			// Nothing was changed: run-0 is still the one first saved.
			got, err := s.LoadRun(context.Background(), "run-0")
			if err != nil {
				t.Fatalf("LoadRun(run-0): %v", err)
			}
			sameRecord(t, got, record(0))
			if runs := mustListRuns(t, s, 10); len(runs) != 1 {
				t.Errorf("got %d runs, want 1", len(runs))
			}
		})
	}
}

func mustListRuns(t *testing.T, s *tracestore.Store, limit int) []tracestore.RunRecord {
	t.Helper()
	runs, err := s.ListRuns(context.Background(), limit)
	if err != nil {
		t.Fatalf("ListRuns(%d): %v", limit, err)
	}
	return runs
}

func TestListRunsNewestFirstWithoutBody(t *testing.T) {
	s, _ := openStore(t, tracestore.Options{})
	for _, i := range []int{2, 0, 3, 1} {
		mustSaveRun(t, s, record(i))
	}
	tests := []struct {
		limit int
		want  []int
	}{
		{1, []int{3}},
		{3, []int{3, 2, 1}},
		{10, []int{3, 2, 1, 0}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.limit), func(t *testing.T) {
			runs := mustListRuns(t, s, tt.limit)
			if len(runs) != len(tt.want) {
				t.Fatalf("got %d runs, want %d", len(runs), len(tt.want))
			}
			for i, r := range runs {
				want := record(tt.want[i])
				want.Body = nil
				sameRecord(t, r, want)
			}
		})
	}
}

func TestListRunsRejectsLimit(t *testing.T) {
	s, _ := openStore(t, tracestore.Options{})
	for _, limit := range []int{-1, 0, tracestore.MaxListRuns + 1} {
		if _, err := s.ListRuns(context.Background(), limit); !steady.Is(err, steady.Invalid) {
			t.Errorf("ListRuns(%d) = %v, want Invalid", limit, err)
		}
	}
}

func TestListRunsOfAnEmptyStore(t *testing.T) {
	s, _ := openStore(t, tracestore.Options{})
	if runs := mustListRuns(t, s, 10); len(runs) != 0 {
		t.Errorf("got %d runs, want none", len(runs))
	}
}

func TestLoadAndDeleteUnknownRunAreNotFound(t *testing.T) {
	s, _ := openStore(t, tracestore.Options{})
	if _, err := s.LoadRun(context.Background(), "nope"); !steady.Is(err, steady.NotFound) {
		t.Errorf("LoadRun = %v, want NotFound", err)
	}
	if err := s.DeleteRun(context.Background(), "nope"); !steady.Is(err, steady.NotFound) {
		t.Errorf("DeleteRun = %v, want NotFound", err)
	}
}

func TestDeleteRun(t *testing.T) {
	s, _ := openStore(t, tracestore.Options{})
	mustSaveRun(t, s, record(0))
	mustSaveRun(t, s, record(1))
	if err := s.DeleteRun(context.Background(), "run-0"); err != nil {
		t.Fatalf("DeleteRun: %v", err)
	}
	if _, err := s.LoadRun(context.Background(), "run-0"); !steady.Is(err, steady.NotFound) {
		t.Errorf("LoadRun(deleted) = %v, want NotFound", err)
	}
	if runs := mustListRuns(t, s, 10); len(runs) != 1 || runs[0].ID != "run-1" {
		t.Errorf("got runs %+v, want only run-1", runs)
	}
	// The id is free again.
	mustSaveRun(t, s, record(0))
}

func TestRunsSurviveReopen(t *testing.T) {
	s, path := openStore(t, tracestore.Options{})
	mustSaveRun(t, s, record(1))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s2, err := tracestore.Open(context.Background(), path, tracestore.Options{PurgeInterval: -1})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s2.Close()
	got, err := s2.LoadRun(context.Background(), "run-1")
	if err != nil {
		t.Fatalf("LoadRun after reopen: %v", err)
	}
	sameRecord(t, got, record(1))
}

func TestPurgeKeepsRuns(t *testing.T) {
	clk := steadytest.NewClock(t0)
	s, _ := openStore(t, tracestore.Options{Now: clk.Now, Retention: time.Hour})
	_, old := span(context.Background(), tracer(t, s), "old", t0.Add(-2*time.Hour), time.Millisecond)
	r := record(1)
	r.CreatedAt = t0.Add(-30 * 24 * time.Hour) // far older than the retention
	mustSaveRun(t, s, r)
	n, err := s.Purge(context.Background())
	if err != nil {
		t.Fatalf("Purge: %v", err)
	}
	if n != 1 {
		t.Errorf("Purge deleted %d calls, want 1", n)
	}
	if _, err := s.Call(context.Background(), old.SpanContext().SpanID().String()); !steady.Is(err, steady.NotFound) {
		t.Errorf("Call(old) = %v, want NotFound", err)
	}
	got, err := s.LoadRun(context.Background(), r.ID)
	if err != nil {
		t.Fatalf("LoadRun after Purge: %v", err)
	}
	sameRecord(t, got, r)
}

func TestRunCallsOnAClosedStoreAreUnavailable(t *testing.T) {
	s, _ := openStore(t, tracestore.Options{})
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ctx := context.Background()
	if err := s.SaveRun(ctx, record(1)); !steady.Is(err, steady.Unavailable) {
		t.Errorf("SaveRun = %v, want Unavailable", err)
	}
	if _, err := s.LoadRun(ctx, "run-1"); !steady.Is(err, steady.Unavailable) {
		t.Errorf("LoadRun = %v, want Unavailable", err)
	}
	if _, err := s.ListRuns(ctx, 1); !steady.Is(err, steady.Unavailable) {
		t.Errorf("ListRuns = %v, want Unavailable", err)
	}
	if err := s.DeleteRun(ctx, "run-1"); !steady.Is(err, steady.Unavailable) {
		t.Errorf("DeleteRun = %v, want Unavailable", err)
	}
}

func TestConcurrentSavesOfOneIDStoreOne(t *testing.T) {
	s, _ := openStore(t, tracestore.Options{})
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r := record(1)
			r.Name = fmt.Sprintf("writer %d", i)
			errs[i] = s.SaveRun(context.Background(), r)
		})
	}
	wg.Wait()
	saved := 0
	for _, err := range errs {
		switch {
		case err == nil:
			saved++
		case !steady.Is(err, steady.Conflict):
			t.Errorf("SaveRun = %v, want nil or Conflict", err)
		}
	}
	if saved != 1 {
		t.Errorf("%d saves succeeded, want 1", saved)
	}
}

// A file made before runs existed (schema version 1) gains the runs table
// when opened, and keeps its calls.
func TestOpenMigratesAFileWithoutRuns(t *testing.T) {
	s, path := openStore(t, tracestore.Options{})
	_, sp := span(context.Background(), tracer(t, s), "kept", t0, time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	downgrade(t, path)
	s2, err := tracestore.Open(context.Background(), path, tracestore.Options{PurgeInterval: -1})
	if err != nil {
		t.Fatalf("Open of a version 1 file: %v", err)
	}
	defer s2.Close()
	if _, err := s2.Call(context.Background(), sp.SpanContext().SpanID().String()); err != nil {
		t.Errorf("Call after migration: %v, want the call kept", err)
	}
	mustSaveRun(t, s2, record(1))
}

// downgrade turns the file at path back into schema version 1.
func downgrade(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	defer db.Close()
	for _, q := range []string{`DROP TABLE runs`, `PRAGMA user_version = 1`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}
