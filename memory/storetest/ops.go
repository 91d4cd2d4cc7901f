package storetest

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/steady-voice/steady/memory"
)

// The helpers below call the store and end the test if a call that must
// succeed fails, so that test bodies read as the scenario they check.

func (f *fixture) putInterventions(ivs ...memory.Intervention) {
	f.Helper()
	for _, iv := range ivs {
		if err := f.store.PutIntervention(f.ctx, iv); err != nil {
			f.Fatalf("PutIntervention(%s of %q): got %v, want nil", iv.ID, iv.UserID, err)
		}
	}
}

func (f *fixture) get(user string, ids ...string) []memory.Intervention {
	f.Helper()
	got, err := f.store.GetInterventions(f.ctx, user, ids)
	if err != nil {
		f.Fatalf("GetInterventions(%q, %v): got %v, want nil", user, ids, err)
	}
	return got
}

func (f *fixture) candidates(user string) []memory.Candidate {
	f.Helper()
	got, err := f.store.Candidates(f.ctx, user)
	if err != nil {
		f.Fatalf("Candidates(%q): got %v, want nil", user, err)
	}
	return got
}

func (f *fixture) putReflections(rs ...memory.Reflection) {
	f.Helper()
	for _, r := range rs {
		if err := f.store.PutReflection(f.ctx, r); err != nil {
			f.Fatalf("PutReflection(%s of %q): got %v, want nil", r.ID, r.UserID, err)
		}
	}
}

func (f *fixture) reflections(user string, limit int) []memory.Reflection {
	f.Helper()
	got, err := f.store.ListReflections(f.ctx, user, limit)
	if err != nil {
		f.Fatalf("ListReflections(%q, %d): got %v, want nil", user, limit, err)
	}
	return got
}

func (f *fixture) putProfile(p memory.Profile) {
	f.Helper()
	if err := f.store.PutProfile(f.ctx, p); err != nil {
		f.Fatalf("PutProfile(%q): got %v, want nil", p.UserID, err)
	}
}

func (f *fixture) putSession(s memory.SessionState) memory.SessionState {
	f.Helper()
	got, err := f.store.PutSession(f.ctx, s)
	if err != nil {
		f.Fatalf("PutSession(%q, %q, version %d): got %v, want nil", s.UserID, s.SessionID, s.Version, err)
	}
	return got
}

func (f *fixture) forget(user string) memory.Forgotten {
	f.Helper()
	got, err := f.store.Forget(f.ctx, user)
	if err != nil {
		f.Fatalf("Forget(%q): got %v, want nil", user, err)
	}
	return got
}

func (f *fixture) totals() memory.Totals {
	f.Helper()
	got, err := f.store.Totals(f.ctx)
	if err != nil {
		f.Fatalf("Totals: got %v, want nil", err)
	}
	return got
}

// listAll walks every page of user's list with page size limit, checking
// what every page must hold, and returns the records in the order listed.
func (f *fixture) listAll(user string, limit int) []memory.Intervention {
	f.Helper()
	var all []memory.Intervention
	cursor := ""
	for page := 1; ; page++ {
		items, next, err := f.store.ListInterventions(f.ctx, user, cursor, limit)
		if err != nil {
			f.Fatalf("ListInterventions(%q, page %d, limit %d): got %v, want nil", user, page, limit, err)
		}
		what := fmt.Sprintf("ListInterventions(%q) page %d of limit %d", user, page, limit)
		if len(items) > limit {
			f.Fatalf("%s: got %d records, want at most %d", what, len(items), limit)
		}
		if len(items) == 0 && (page > 1 || next != "") {
			// "next is \"\" on the last page": the page that held the last
			// record should have said so, and no page may be a useless stop.
			f.Fatalf("%s: got an empty page (next %q), want the page holding the last record to end the walk with next \"\"", what, next)
		}
		all = append(all, items...)
		if next == "" {
			return all
		}
		if page > 1000 {
			f.Fatalf("%s: still not on the last page, want the walk to end", what)
		}
		cursor = next
	}
}

// newestFirst returns ivs in the order the contract lists them: CreatedAt,
// then ID, descending.
func newestFirst(ivs []memory.Intervention) []memory.Intervention {
	return slices.SortedFunc(slices.Values(ivs), func(a, b memory.Intervention) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
}
