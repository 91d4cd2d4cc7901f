package memory

import (
	"encoding/base64"
	"encoding/binary"
	"hash/fnv"
	"time"

	"github.com/steady-voice/steady"
)

// Cursors mark a position in a user's newest-first list: the creation time
// and id of the last item returned. They are opaque to callers and bound to
// the user, so a cursor from one user's listing is rejected in another's.
// Stores use EncodeCursor and DecodeCursor so every store pages alike.

// EncodeCursor returns the cursor that resumes after the item (createdAt, id)
// of userID's list.
func EncodeCursor(userID string, createdAt time.Time, id string) string {
	b := make([]byte, 0, 16+len(id))
	b = binary.BigEndian.AppendUint64(b, cursorTag(userID))
	b = binary.BigEndian.AppendUint64(b, uint64(createdAt.UnixNano()))
	b = append(b, id...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor made by EncodeCursor for userID. Anything else
// is an Invalid error.
func DecodeCursor(userID, cursor string) (createdAt time.Time, id string, err error) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(cursor)
	if err != nil || len(b) < 17 || len(b) > 16+maxIDBytes ||
		binary.BigEndian.Uint64(b) != cursorTag(userID) {
		return time.Time{}, "", steady.Errorf(steady.Invalid, "memory.cursor", "malformed cursor")
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(b[8:]))).UTC(), string(b[16:]), nil
}

// maxIDBytes bounds the record ids a cursor may carry.
const maxIDBytes = 64

func cursorTag(userID string) uint64 {
	h := fnv.New64a()
	h.Write([]byte("steady-cursor\x00" + userID))
	return h.Sum64()
}
