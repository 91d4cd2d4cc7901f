package tracestore

import (
	"context"
	"database/sql"
	"time"

	"github.com/steady-voice/steady"
)

// purgeChunk bounds the calls one purge transaction deletes, so that a purge
// after a long pause never holds the writer long enough to stall an export.
const purgeChunk = 1000

// purgeLoop purges every PurgeInterval until Close.
func (s *Store) purgeLoop() {
	defer close(s.purgeDone)
	if s.opt.PurgeInterval < 0 {
		<-s.quit
		return
	}
	t := time.NewTicker(s.opt.PurgeInterval)
	defer t.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-t.C:
			// A failed purge is retried next round; nobody waits on it.
			_, _ = s.Purge(context.Background())
		}
	}
}

// Purge deletes, with their feedback, the calls that started more than
// Retention ago, then the oldest calls until the live pages of the file
// fit in MaxBytes, and returns how many calls it deleted. It runs in the
// background every PurgeInterval; `steady traces purge` and tests call it
// directly.
func (s *Store) Purge(ctx context.Context) (int, error) {
	const op = "tracestore.Purge"
	var total int
	err := s.guard(ctx, op, func() error {
		n, err := s.purgeExpired(ctx)
		total += n
		if err != nil {
			return err
		}
		n, err = s.purgeOversize(ctx)
		total += n
		return err
	})
	return total, err
}

// purgeExpired deletes calls older than the retention, chunk by chunk.
func (s *Store) purgeExpired(ctx context.Context) (int, error) {
	cutoff := s.opt.Now().Add(-s.opt.Retention).UnixNano()
	total := 0
	for {
		n, err := s.deleteOldest(ctx, cutoff, purgeChunk)
		total += n
		if err != nil || n < purgeChunk || s.stopping() {
			return total, err
		}
	}
}

// purgeOversize deletes the oldest calls while the file's live pages
// exceed MaxBytes. Each round deletes the share of calls by which the file
// is over, plus 5%, so that it takes a few rounds rather than hundreds.
func (s *Store) purgeOversize(ctx context.Context) (int, error) {
	total := 0
	for !s.stopping() {
		used, err := s.usedBytes(ctx)
		if err != nil || used <= s.opt.MaxBytes {
			return total, err
		}
		var count int64
		if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM calls`).Scan(&count); err != nil {
			return total, err
		}
		if count == 0 {
			return total, nil // nothing left to delete: the rest is schema
		}
		over := float64(used-s.opt.MaxBytes)/float64(used) + 0.05
		want := max(int(over*float64(count)), 1)
		n, err := s.deleteOldest(ctx, maxInt64, min(want, purgeChunk))
		total += n
		if err != nil {
			return total, err
		}
		if err := s.vacuum(ctx); err != nil {
			return total, err
		}
	}
	return total, nil
}

const maxInt64 = 1<<63 - 1

// deleteOldest deletes up to limit of the oldest calls that started before
// cutoff; foreign keys cascade the delete to their attributes and feedback.
func (s *Store) deleteOldest(ctx context.Context, cutoff int64, limit int) (int, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM calls WHERE seq IN
			(SELECT seq FROM calls WHERE start_ns < ? ORDER BY start_ns LIMIT ?)`, cutoff, limit)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// usedBytes is the size of the file's pages that hold data: free pages are
// handed back by vacuum, so they do not count against the cap.
func (s *Store) usedBytes(ctx context.Context) (int64, error) {
	var pages, free, size int64
	err := s.rdb.QueryRowContext(ctx, `SELECT p.page_count, f.freelist_count, s.page_size
		FROM pragma_page_count() p, pragma_freelist_count() f, pragma_page_size() s`).Scan(&pages, &free, &size)
	if err != nil {
		return 0, steady.Wrap(steady.Internal, "tracestore.usedBytes", err)
	}
	return (pages - free) * size, nil
}

// vacuum returns free pages to the file system (auto_vacuum is incremental)
// and checkpoints the WAL into the database file, so that the file shrinks.
// The checkpoint is PASSIVE: it never waits for readers, which would hold
// the writer, and exports behind it, for up to the busy timeout.
func (s *Store) vacuum(ctx context.Context) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if _, err := s.wdb.ExecContext(ctx, `PRAGMA incremental_vacuum`); err != nil {
		return err
	}
	_, err := s.wdb.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
	return err
}

// stopping reports whether Close has been called.
func (s *Store) stopping() bool {
	select {
	case <-s.quit:
		return true
	default:
		return false
	}
}
