package sqlitedb_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/internal/sqlitedb"
)

func TestClassify(t *testing.T) {
	gone := errors.New("closed")
	mine := steady.Errorf(steady.NotFound, "x", "no such thing")
	tests := []struct {
		err  error
		want steady.Code
	}{
		{nil, ""},
		{mine, steady.NotFound},
		{context.Canceled, steady.Unavailable},
		{gone, steady.Unavailable},
		{errors.New("something odd"), steady.Internal},
	}
	for _, tt := range tests {
		if got := steady.ErrorCode(sqlitedb.Classify("op", tt.err, gone)); got != tt.want {
			t.Errorf("Classify(%v) code %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestWriteAndDuplicate(t *testing.T) {
	ctx := context.Background()
	path, err := sqlitedb.CreateFile(filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlitedb.OpenWriter(path, "1000", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	insert := func(ctx context.Context) error {
		return sqlitedb.Write(ctx, &mu, db, func(tx *sql.Tx) error { _, err := tx.Exec(`INSERT INTO t VALUES (1)`); return err })
	}
	if err := insert(ctx); err != nil {
		t.Fatal(err)
	}
	err = insert(ctx)
	if !sqlitedb.Duplicate(err) || sqlitedb.Code(err) == 0 {
		t.Errorf("second insert: %v, want a primary key violation", err)
	}
	if sqlitedb.Transient(err) {
		t.Errorf("a duplicate is not transient")
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d rows, %v; want the failed write rolled back", n, err)
	}
}
