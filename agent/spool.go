package agent

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
)

// spool is the Recorder's append-only file of jobs the store has not taken
// yet, one JSON line each, in the order they must be applied.
//
// Progress is kept in a sidecar file (path+".offset"): the byte offset of
// the first entry not yet applied, rewritten after every applied entry.
// Rewriting the spool without its applied head (rewrite-and-rename) would
// also survive a crash, but costs a copy of the whole rest per entry and
// would race the appenders; the sidecar costs one small write, and the
// spool stays append-only until it is empty, when it is truncated.
//
// A crash between the store taking an entry and the offset moving past it
// replays that one entry again, and only that one: a Record comes back as
// Conflict (its id is the caller's, so the store already has it) and is
// counted as done; a SetOutcome sets the same outcome and the same scores
// again, and nothing after it has been applied yet, so the final state is
// the same. No entry is ever skipped: the offset moves only past entries
// the store took, refused for good, or that were moved (re-appended) to the
// tail first.
//
// Appends are not synced one by one: a process crash loses nothing (the
// kernel holds the bytes), and the spool and offset are synced after every
// replay pass and on close, which bounds what a machine crash can lose.
type spool struct {
	path string
	log  *slog.Logger

	mu     sync.Mutex
	f      *os.File // the spool, opened for appending
	off    *os.File // the offset sidecar
	start  int64    // offset of the first entry not yet applied
	size   int64    // end of the last whole line
	dirty  bool     // appended or advanced since the last sync
	closed bool
}

var errSpoolClosed = errors.New("spool closed")

// offsetWidth is the fixed width of the sidecar's one line, so that every
// rewrite overwrites all of it in one small write.
const offsetWidth = 20

// openSpool opens or creates the spool at path, sets aside a torn last line
// left by a crash, and resumes from the sidecar's offset.
func openSpool(path string, log *slog.Logger) (*spool, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	off, err := os.OpenFile(path+".offset", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		f.Close()
		return nil, err
	}
	s := &spool{path: path, log: log, f: f, off: off}
	if err := s.recover(); err != nil {
		f.Close()
		off.Close()
		return nil, fmt.Errorf("spool %s: %w", path, err)
	}
	return s, nil
}

// recover finds the end of the last whole line and the replay offset.
func (s *spool) recover() error {
	st, err := s.f.Stat()
	if err != nil {
		return err
	}
	if s.size, err = s.cutTornTail(st.Size()); err != nil {
		return err
	}
	s.start, err = s.readOffset()
	return err
}

// cutTornTail sets aside bytes after the last newline: a write the process
// died in the middle of. It cannot be parsed, so it is not replayed, but it
// is kept in the .bad file rather than silently dropped.
func (s *spool) cutTornTail(size int64) (int64, error) {
	end, err := lastLineEnd(s.f, size)
	if err != nil || end == size {
		return end, err
	}
	torn := make([]byte, size-end)
	if _, err := s.f.ReadAt(torn, end); err != nil {
		return 0, err
	}
	s.log.Warn("recorder spool: torn last line set aside", "path", s.path, "bytes", len(torn))
	if err := s.quarantine(torn); err != nil {
		return 0, err
	}
	return end, s.f.Truncate(end)
}

// lastLineEnd returns the offset just after the last '\n' in f's first
// size bytes, reading backwards in blocks.
func lastLineEnd(f *os.File, size int64) (int64, error) {
	buf := make([]byte, 4096)
	for end := size; end > 0; {
		n := min(end, int64(len(buf)))
		if _, err := f.ReadAt(buf[:n], end-n); err != nil {
			return 0, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			return end - n + int64(i) + 1, nil
		}
		end -= n
	}
	return 0, nil
}

// readOffset reads the sidecar. An offset past the end means the spool was
// truncated after a full replay and the crash came before the sidecar was
// reset; one that is not at a line start is damage, and replaying from the
// start is the safe reading (records come back as Conflict).
func (s *spool) readOffset() (int64, error) {
	buf := make([]byte, offsetWidth+1)
	n, err := s.off.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, err
	}
	text := strings.TrimSpace(string(buf[:n]))
	if text == "" {
		return 0, nil
	}
	off, err := strconv.ParseInt(text, 10, 64)
	switch {
	case err != nil || off < 0:
		s.log.Warn("recorder spool: unreadable offset, replaying from the start", "path", s.path)
		return 0, nil
	case off >= s.size:
		return s.size, nil
	case off > 0 && !s.lineStart(off):
		s.log.Warn("recorder spool: offset not at a line start, replaying from the start", "path", s.path, "offset", off)
		return 0, nil
	}
	return off, nil
}

func (s *spool) lineStart(off int64) bool {
	b := make([]byte, 1)
	_, err := s.f.ReadAt(b, off-1)
	return err == nil && b[0] == '\n'
}

// append writes one line; line must end in '\n' and hold no other.
func (s *spool) append(line []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errSpoolClosed
	}
	n, err := s.f.Write(line)
	if err != nil {
		// A short write would leave a torn line in the middle: cut it off.
		_ = s.f.Truncate(s.size)
		return err
	}
	s.size += int64(n)
	s.dirty = true
	return nil
}

// window returns the part of the spool not yet applied.
func (s *spool) window() (from, to int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.start, s.size
}

// holds reports whether the spool has entries not yet applied.
func (s *spool) holds() bool {
	from, to := s.window()
	return from < to
}

// scan calls fn with each line in [from, to) and the offset after it,
// stopping at fn's first error.
func (s *spool) scan(from, to int64, fn func(line []byte, end int64) error) error {
	r := bufio.NewReaderSize(io.NewSectionReader(s.f, from, to-from), 64<<10)
	for pos := from; pos < to; {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			line, err = readLongLine(r, line)
		}
		if err != nil {
			return fmt.Errorf("read spool at %d: %w", pos, err)
		}
		pos += int64(len(line))
		if err := fn(line, pos); err != nil {
			return err
		}
	}
	return nil
}

// readLongLine finishes a line longer than the reader's buffer.
func readLongLine(r *bufio.Reader, head []byte) ([]byte, error) {
	rest, err := r.ReadBytes('\n')
	return append(bytes.Clone(head), rest...), err
}

// advance records that every entry before end has been dealt with.
func (s *spool) advance(end int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errSpoolClosed
	}
	s.start, s.dirty = end, true
	return s.writeOffset(end)
}

// writeOffset overwrites the sidecar's one fixed-width line: one write of
// 21 bytes at offset 0, so a crash leaves either the old or the new value.
func (s *spool) writeOffset(off int64) error {
	_, err := s.off.WriteAt(fmt.Appendf(nil, "%0*d\n", offsetWidth, off), 0)
	return err
}

// compact empties the spool once every entry has been applied. The spool
// is truncated before the offset is reset: a crash in between leaves an
// offset past the end, which readOffset understands; the other order could
// replay every entry again.
func (s *spool) compact() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.start != s.size || s.size == 0 {
		return nil
	}
	if err := s.f.Truncate(0); err != nil {
		return err
	}
	s.start, s.size, s.dirty = 0, 0, true
	return s.writeOffset(0)
}

// quarantine appends a line that cannot be applied to the .bad file, for a
// person to look at: it is never silently dropped.
func (s *spool) quarantine(line []byte) error {
	f, err := os.OpenFile(s.path+".bad", os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if !bytes.HasSuffix(line, []byte("\n")) {
		line = append(bytes.Clone(line), '\n')
	}
	_, err = f.Write(line)
	return errors.Join(err, f.Sync(), f.Close())
}

// sync flushes the spool and the offset to disk if they changed.
func (s *spool) sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !s.dirty {
		return nil
	}
	s.dirty = false
	return errors.Join(s.f.Sync(), s.off.Sync())
}

// close syncs and closes both files; later appends fail.
func (s *spool) close() error {
	err := s.sync()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return errors.Join(err, s.f.Close(), s.off.Close())
}
