package memory_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
)

// chosen is an intervention whose id and creation time the caller chose,
// as a recorder that replays a write does.
func chosen(t *testing.T, at time.Time) memory.Intervention {
	t.Helper()
	id, err := uuid.NewV7()
	if err != nil {
		t.Fatal(err)
	}
	return memory.Intervention{ID: id.String(), CreatedAt: at, UserID: "alice", SessionID: "s1", Tool: "micro_step",
		Category: memory.Task, Context: "I keep putting the email off", Text: "Open it and write one line."}
}

func TestRecordKeepsCallersIDAndCreatedAt(t *testing.T) {
	f := newFixture(t)
	now := f.clock.Now()
	tests := []struct {
		name string
		at   time.Time
		want time.Time
	}{
		{"an hour ago", now.Add(-time.Hour), now.Add(-time.Hour)},
		{"nearly the TTL ago", now.Add(-30*24*time.Hour + time.Second), now.Add(-30*24*time.Hour + time.Second)},
		{"a little ahead", now.Add(30 * time.Second), now.Add(30 * time.Second)},
		{"rounded to milliseconds", now.Add(-time.Hour + 1234567), now.Add(-time.Hour + time.Millisecond)},
		{"in another zone", now.Add(-time.Minute).In(time.FixedZone("x", 3600)), now.Add(-time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iv := chosen(t, tt.at)
			got := f.record(t, iv)
			if got.ID != iv.ID {
				t.Errorf("ID: got %s, want the caller's %s", got.ID, iv.ID)
			}
			if !got.CreatedAt.Equal(tt.want) || got.CreatedAt.Location() != time.UTC {
				t.Errorf("CreatedAt: got %v, want %v in UTC", got.CreatedAt, tt.want)
			}
			if want := tt.want.Add(memory.DefaultInterventionTTL); !got.ExpiresAt.Equal(want) {
				t.Errorf("ExpiresAt: got %v, want CreatedAt+TTL %v", got.ExpiresAt, want)
			}
			stored, err := f.svc.Intervention(f.ctx, "alice", iv.ID)
			if err != nil || !stored.CreatedAt.Equal(got.CreatedAt) || !stored.ExpiresAt.Equal(got.ExpiresAt) {
				t.Errorf("stored: got %v–%v, %v; want %v–%v", stored.CreatedAt, stored.ExpiresAt, err, got.CreatedAt, got.ExpiresAt)
			}
		})
	}
}

func TestRecordRefusesBadIDOrCreatedAt(t *testing.T) {
	f := newFixture(t, func(c *memory.Config) { c.InterventionTTL = 24 * time.Hour })
	now := f.clock.Now()
	tests := []struct {
		name string
		mod  func(*memory.Intervention)
		want string
	}{
		{"id not a UUID", func(iv *memory.Intervention) { iv.ID = "not-a-uuid" }, "not a UUID"},
		{"id without dashes", func(iv *memory.Intervention) { iv.ID = strings.ReplaceAll(iv.ID, "-", "") }, "not a UUID"},
		{"id in braces", func(iv *memory.Intervention) { iv.ID = "{" + iv.ID + "}" }, "not a UUID"},
		{"created over a minute ahead", func(iv *memory.Intervention) { iv.CreatedAt = now.Add(time.Minute + time.Second) }, "future"},
		{"created a TTL ago", func(iv *memory.Intervention) { iv.CreatedAt = now.Add(-24 * time.Hour) }, "older than"},
		{"created long ago", func(iv *memory.Intervention) { iv.CreatedAt = now.AddDate(-1, 0, 0) }, "older than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iv := chosen(t, time.Time{})
			tt.mod(&iv)
			_, err := f.svc.Record(f.ctx, iv)
			if !steady.Is(err, steady.Invalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Record: got %v, want code %q mentioning %q", err, steady.Invalid, tt.want)
			}
		})
	}
	if page, _, err := f.svc.Interventions(f.ctx, "alice", "", 10); err != nil || len(page) != 0 {
		t.Errorf("Interventions after refusals: got %d, %v; want none stored", len(page), err)
	}
}

// TestRecordSameIDTwiceIsConflict is what makes a replay exactly once: the
// second write of one id fails with Conflict and leaves the first intact.
func TestRecordSameIDTwiceIsConflict(t *testing.T) {
	f := newFixture(t)
	iv := chosen(t, f.clock.Now().Add(-time.Minute))
	first := f.record(t, iv)
	again := iv
	again.Text = "something else"
	if _, err := f.svc.Record(f.ctx, again); !steady.Is(err, steady.Conflict) {
		t.Fatalf("Record of a taken id: got %v, want code %q", err, steady.Conflict)
	}
	page, _, err := f.svc.Interventions(f.ctx, "alice", "", 10)
	if err != nil || len(page) != 1 || page[0].ID != first.ID || page[0].Text != first.Text {
		t.Errorf("Interventions: got %d records, %v; want only the first, text %q", len(page), err, first.Text)
	}
	// Another user's id space is their own.
	other := iv
	other.UserID = "bob"
	if _, err := f.svc.Record(f.ctx, other); err != nil {
		t.Errorf("Record of the same id for bob: got %v, want nil", err)
	}
}
