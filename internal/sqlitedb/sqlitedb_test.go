package sqlitedb_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/steady-voice/steady/internal/sqlitedb"
)

func TestCreateFileIsPrivate(t *testing.T) {
	path, err := sqlitedb.CreateFile(filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 || !filepath.IsAbs(path) {
		t.Errorf("file %s mode %v (%v), want an absolute path with mode 0600", path, fi.Mode().Perm(), err)
	}
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	db, err := sqlitedb.Open(path, 1, url.Values{"_txlock": {"immediate"}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v1 := []string{`CREATE TABLE a (x INTEGER)`}
	v2 := append(v1, `ALTER TABLE a ADD COLUMN y TEXT`)
	for _, m := range [][]string{v1, v2, v2} { // the second v2 finds nothing to do
		if err := sqlitedb.Migrate(ctx, db, m); err != nil {
			t.Fatalf("Migrate to %d: %v", len(m), err)
		}
	}
	if _, err := db.Exec(`INSERT INTO a (x, y) VALUES (1, 'ok')`); err != nil {
		t.Errorf("after migrating to version 2: %v", err)
	}
	if err := sqlitedb.Migrate(ctx, db, v1); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("migrating a version-2 file with 1 migration: %v, want a refusal", err)
	}
	bad := append(v2, `NOT SQL`)
	if err := sqlitedb.Migrate(ctx, db, bad); err == nil {
		t.Error("a failing migration was accepted")
	}
	var version int
	db.QueryRow(`PRAGMA user_version`).Scan(&version)
	if version != 2 {
		t.Errorf("user_version %d after a failed migration, want 2 (unchanged)", version)
	}
}
