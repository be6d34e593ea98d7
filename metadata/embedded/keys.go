package embedded

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Pebble key layout. Every stored key starts with a one-byte namespace:
//
//	'n' parent 0x00 name    a key's record: "/a/b" is stored as "n/a\x00b", so the direct
//	                        children of "/a" are exactly the keys with prefix "n/a\x00",
//	                        already sorted by name; deeper descendants sort elsewhere.
//	'e' session(8, BE) key  the ephemeral-key index: which keys a session owns, so its end
//	                        (Close, or the next Open after a crash) deletes them.
//
// Metadata keys may not contain 0x00, or "n/a\x00b\x00c" would be both "/a\x00b/c" and
// the child "b\x00c" of "/a".
const (
	nsData      = 'n'
	nsEphemeral = 'e'
)

// checkKey rejects keys the layout cannot hold.
func checkKey(key string) error {
	if strings.IndexByte(key, 0) >= 0 {
		return fmt.Errorf("metadata: invalid key %q: contains a NUL byte", key)
	}
	return nil
}

// dataKey is where key's record lives.
func dataKey(key string) []byte {
	i := strings.LastIndexByte(key, '/')
	b := make([]byte, 0, len(key)+2)
	b = append(b, nsData)
	b = append(b, key[:i]...)
	b = append(b, 0)
	return append(b, key[i+1:]...)
}

// childrenBounds returns the [lower, upper) range holding the records of key's direct
// children; key "/" is the root.
func childrenBounds(key string) (lower, upper []byte) {
	if key == "/" {
		key = ""
	}
	lower = append(append([]byte{nsData}, key...), 0)
	upper = append(append([]byte{nsData}, key...), 1)
	return lower, upper
}

// ephemeralKey is the index entry saying session owns key.
func ephemeralKey(session uint64, key string) []byte {
	b := make([]byte, 9, 9+len(key))
	b[0] = nsEphemeral
	binary.BigEndian.PutUint64(b[1:], session)
	return append(b, key...)
}

// sessionBounds returns the index range of one session, or of all sessions if all.
func sessionBounds(session uint64, all bool) (lower, upper []byte) {
	if all {
		return []byte{nsEphemeral}, []byte{nsEphemeral + 1}
	}
	lower = ephemeralKey(session, "")
	upper = ephemeralKey(session+1, "")
	return lower, upper
}

// parseEphemeralKey splits an index entry into its session and key.
func parseEphemeralKey(k []byte) (uint64, string, error) {
	if len(k) < 10 || k[0] != nsEphemeral {
		return 0, "", fmt.Errorf("bad ephemeral index entry %q", k)
	}
	return binary.BigEndian.Uint64(k[1:9]), string(k[9:]), nil
}
