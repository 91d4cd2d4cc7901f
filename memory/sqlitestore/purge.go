package sqlitestore

import (
	"context"
	"time"
)

// purgeChunk bounds the rows one purge transaction deletes, so that a purge
// after a long pause never holds the writer long enough to delay a caller.
const purgeChunk = 1000

// purgeTables are the tables whose rows expire.
var purgeTables = []string{"interventions", "reflections", "sessions"}

type purgeResult struct {
	n   int
	err error
}

// purgeLoop deletes expired rows every purgeEvery, and whenever a test asks,
// until Close.
func (s *Store) purgeLoop() {
	defer close(s.purgeDone)
	var tick <-chan time.Time
	if s.purgeEvery > 0 {
		t := time.NewTicker(s.purgeEvery)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-s.quit:
			return
		case <-tick:
			// A failed purge leaves rows that reads already hide; the
			// next round deletes them.
			_, _ = s.purge()
		case reply := <-s.purgeReq:
			n, err := s.purge()
			reply <- purgeResult{n, err}
		}
	}
}

// purge deletes every row expired by now, chunk by chunk, and returns how
// many it deleted. It stops early when Close is called.
func (s *Store) purge() (int, error) {
	cutoff := s.now()
	total := 0
	for _, table := range purgeTables {
		for {
			n, err := s.purgeOnce(table, cutoff)
			total += n
			if err != nil {
				return total, err
			}
			if n < purgeChunk {
				break
			}
			select {
			case <-s.quit:
				return total, nil
			default:
			}
		}
	}
	return total, nil
}

// purgeOnce deletes up to purgeChunk rows of table that expired by cutoff.
func (s *Store) purgeOnce(table string, cutoff time.Time) (int, error) {
	var n int64
	err := s.guard(context.Background(), "sqlitestore.purge", func() error {
		return s.w.submit(context.Background(), func(t wtx) error {
			res, err := t.exec(`DELETE FROM `+table+` WHERE rowid IN
				(SELECT rowid FROM `+table+` WHERE expires_at <= ? LIMIT ?)`, nanos(cutoff), purgeChunk)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		}, func() {
			if table == "interventions" && n > 0 {
				s.cache.dropExpired(cutoff)
			}
		})
	})
	if err != nil {
		return 0, err // the transaction that deleted them was rolled back
	}
	return int(n), nil
}
