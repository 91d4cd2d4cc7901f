package sqlitestore

import "context"

// Purge runs a purge in the store's purge goroutine, as its ticker does,
// and returns how many rows it deleted.
func Purge(s *Store) (int, error) {
	reply := make(chan purgeResult, 1)
	select {
	case s.purgeReq <- reply:
		r := <-reply
		return r.n, r.err
	case <-s.purgeDone:
		return 0, errClosed
	}
}

// PurgeStopped is closed once the purge goroutine has returned.
func PurgeStopped(s *Store) <-chan struct{} { return s.purgeDone }

// DisableGroupCommit makes the writer commit every write on its own, to
// measure what group commit gains. Call it before the first write.
func DisableGroupCommit(s *Store) { s.w.maxGroup = 1 }

// HoldWriter keeps the writer goroutine busy until release is called, so
// that the writes submitted meanwhile queue up and commit as one group.
func HoldWriter(s *Store) (release func()) {
	entered, hold := make(chan struct{}), make(chan struct{})
	go s.guard(context.Background(), "test", func() error {
		return s.w.submit(context.Background(), func(wtx) error {
			close(entered)
			<-hold
			return nil
		}, nil)
	})
	<-entered
	return func() { close(hold) }
}

// Queued reports how many writes wait for the writer.
func Queued(s *Store) int { return len(s.w.queue) }

// Commits reports how many transactions the writer has committed.
func Commits(s *Store) uint64 {
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	return s.cache.commits
}
