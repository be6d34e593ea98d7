// Package metadata is the one interface Magnetar's components use for coordination state:
// versioned keys with compare-and-set, children listing, watches, and sessions whose
// ephemeral keys vanish when their holder dies. Implementations: embedded (pebble, for
// standalone), etcd and ZooKeeper (clusters); package conformance tests all of them alike.
//
// Keys are absolute slash-separated paths ("/ledgers/42"). A Put creates missing parents
// (as empty values), so Children works on every implementation the same way.
package metadata

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// Versions: every key's version starts at 1 when created and grows by one per Put.
const (
	// AnyVersion makes a Put or Delete unconditional.
	AnyVersion int64 = -1
	// NotExists makes a Put succeed only if the key does not exist yet.
	NotExists int64 = 0
)

// Errors every implementation returns (wrapped with context); test with errors.Is.
var (
	ErrNotFound    = errors.New("metadata: key not found")
	ErrBadVersion  = errors.New("metadata: version mismatch")
	ErrNotEmpty    = errors.New("metadata: key has children")
	ErrClosed      = errors.New("metadata: store closed")
	ErrSessionLost = errors.New("metadata: session lost")
	// ErrEphemeralParent: ephemeral keys cannot have children (ZooKeeper's rule, kept by
	// every implementation so that a session's end never leaves orphaned keys behind).
	ErrEphemeralParent = errors.New("metadata: ephemeral keys cannot have children")
)

// Stat describes a stored value.
type Stat struct {
	Version    int64
	CreatedMs  int64
	ModifiedMs int64
	// Ephemeral keys belong to this store's session and are deleted when it ends.
	Ephemeral bool
}

// EventType says what happened to a key.
type EventType int

const (
	EventPut EventType = iota + 1
	EventDelete
)

func (t EventType) String() string {
	switch t {
	case EventPut:
		return "put"
	case EventDelete:
		return "delete"
	}
	return "unknown"
}

// Event is a change under a watched prefix.
type Event struct {
	Type    EventType
	Key     string
	Value   []byte // nil for EventDelete
	Version int64  // 0 for EventDelete
}

// SessionEvent reports the health of the store's session (ephemeral keys' owner).
type SessionEvent int

const (
	// SessionReconnected: the connection came back and ephemeral keys are intact.
	SessionReconnected SessionEvent = iota + 1
	// SessionExpired: the session ended; this store's ephemeral keys are gone and the
	// holder must give up whatever they stood for (bundle ownership, bookie registration).
	SessionExpired
)

// PutOption modifies a Put.
type PutOption func(*PutOptions)

// PutOptions is what PutOption functions set; implementations read it via ApplyPutOptions.
type PutOptions struct {
	Ephemeral bool
}

// Ephemeral ties the key to this store's session: it is deleted when the session ends
// (process death, lost connection past the session timeout, or Close). It applies when
// the Put creates the key: later Puts, by any session, keep the key's owner.
func Ephemeral() PutOption { return func(o *PutOptions) { o.Ephemeral = true } }

// ApplyPutOptions folds options into a PutOptions.
func ApplyPutOptions(opts []PutOption) PutOptions {
	var o PutOptions
	for _, f := range opts {
		f(&o)
	}
	return o
}

// Store is a metadata store. Implementations are safe for concurrent use.
type Store interface {
	// Get returns a key's value and stat, or ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, Stat, error)
	// Put writes value if the key's version equals expectedVersion (AnyVersion: always;
	// NotExists: only if absent), creating missing parents. It returns the new stat, or
	// ErrBadVersion.
	Put(ctx context.Context, key string, value []byte, expectedVersion int64, opts ...PutOption) (Stat, error)
	// Delete removes a key if its version matches (AnyVersion: always). ErrNotFound if
	// absent, ErrNotEmpty if it has children.
	Delete(ctx context.Context, key string, expectedVersion int64) error
	// Children returns the sorted names (last path element) of a key's direct children;
	// an empty list (no error) if there are none or the key does not exist. key may be
	// "/" to list the top-level keys.
	Children(ctx context.Context, key string) ([]string, error)
	// Watch streams changes to keys under prefix (the prefix key itself and all
	// descendants; "/" watches everything) until ctx is done or the store is closed; the
	// channel is then closed. Events of one key arrive in order; ZooKeeper may coalesce
	// quick successive changes of a key into one event carrying the latest value.
	Watch(ctx context.Context, prefix string) (<-chan Event, error)
	// SessionEvents reports session health; the channel is closed with the store.
	SessionEvents() <-chan SessionEvent
	// Close ends the session (deleting its ephemeral keys) and releases resources.
	Close() error
}

// ValidateKey checks a key is absolute, clean and not the root.
func ValidateKey(key string) error {
	if key == "" || key[0] != '/' || key == "/" || path.Clean(key) != key {
		return fmt.Errorf("metadata: invalid key %q: want a clean absolute path", key)
	}
	return nil
}

// ValidatePrefix checks a Children or Watch argument: a valid key, or "/" for the root.
func ValidatePrefix(key string) error {
	if key == "/" {
		return nil
	}
	return ValidateKey(key)
}

// Parents returns the ancestors of key, outermost first, excluding "/" and key itself.
func Parents(key string) []string {
	var out []string
	for i := 1; i < len(key); i++ {
		if key[i] == '/' {
			out = append(out, key[:i])
		}
	}
	return out
}

// DeleteRecursive removes key and everything under it; a missing key is not an error.
func DeleteRecursive(ctx context.Context, s Store, key string) error {
	children, err := s.Children(ctx, key)
	if err != nil {
		return err
	}
	for _, c := range children {
		if err := DeleteRecursive(ctx, s, key+"/"+c); err != nil {
			return err
		}
	}
	if err := s.Delete(ctx, key, AnyVersion); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}

// NextID atomically increments the counter stored at key (created at 0) and returns the
// new value; used for ledger ids and the like. It retries on version conflicts.
func NextID(ctx context.Context, s Store, key string) (int64, error) {
	for {
		val, st, err := s.Get(ctx, key)
		expected := st.Version
		var cur int64
		switch {
		case errors.Is(err, ErrNotFound):
			expected = NotExists
		case err != nil:
			return 0, fmt.Errorf("next id %s: %w", key, err)
		default:
			if s := strings.TrimSpace(string(val)); s != "" {
				if cur, err = strconv.ParseInt(s, 10, 64); err != nil {
					return 0, fmt.Errorf("next id %s: bad counter %q: %w", key, val, err)
				}
			}
		}
		next := cur + 1
		_, err = s.Put(ctx, key, []byte(strconv.FormatInt(next, 10)), expected)
		if errors.Is(err, ErrBadVersion) {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("next id %s: %w", key, err)
		}
		return next, nil
	}
}
