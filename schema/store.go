package schema

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/magnetar/magnetar/metadata"
)

// record is the stored value of one topic's schemas: its versions in order. A soft delete
// replaces every entry with one tombstone carrying the next version number; versions before
// a tombstone are unreachable in Pulsar too, so nothing is lost by dropping them, and the
// value stays as small as the live history.
type record struct {
	Versions []entry `json:"versions"`
}

// entry is one version, or a tombstone.
type entry struct {
	Version    int64             `json:"version"`
	Deleted    bool              `json:"deleted,omitempty"`
	Name       string            `json:"name,omitempty"`
	Type       Type              `json:"type"`
	Data       []byte            `json:"data,omitempty"`
	Properties map[string]string `json:"properties,omitempty"`
	Timestamp  int64             `json:"timestamp"`
}

func (e entry) versioned() Versioned {
	return Versioned{
		SchemaInfo: SchemaInfo{Name: e.Name, Type: e.Type, Data: e.Data, Properties: e.Properties},
		Version:    e.Version,
		Timestamp:  e.Timestamp,
	}
}

// live returns the versions after the last tombstone, oldest first.
func (r *record) live() []entry {
	for i := len(r.Versions) - 1; i >= 0; i-- {
		if r.Versions[i].Deleted {
			return r.Versions[i+1:]
		}
	}
	return r.Versions
}

// deleted reports whether the newest entry is a tombstone.
func (r *record) deleted() bool {
	n := len(r.Versions)
	return n > 0 && r.Versions[n-1].Deleted
}

// next is the number the next entry gets.
func (r *record) next() int64 {
	if n := len(r.Versions); n > 0 {
		return r.Versions[n-1].Version + 1
	}
	return 0
}

func infos(es []entry) []SchemaInfo {
	out := make([]SchemaInfo, len(es))
	for i, e := range es {
		out[i] = e.versioned().SchemaInfo
	}
	return out
}

// load reads a topic's record and its metadata version (metadata.NotExists if absent).
func (r *Registry) load(ctx context.Context, id TopicID) (record, int64, error) {
	val, st, err := r.store.Get(ctx, id.key())
	if errors.Is(err, metadata.ErrNotFound) {
		return record{}, metadata.NotExists, nil
	}
	if err != nil {
		return record{}, 0, fmt.Errorf("schema: read %s: %w", id, err)
	}
	var rec record
	if len(val) > 0 {
		if err := json.Unmarshal(val, &rec); err != nil {
			return record{}, 0, fmt.Errorf("schema: decode %s: %w", id, err)
		}
	}
	return rec, st.Version, nil
}

// update applies change to the topic's record and writes it back with compare-and-set,
// retrying from a fresh read when another writer got there first. change reports whether
// it modified the record; an error from change aborts and is returned as is.
func (r *Registry) update(ctx context.Context, id TopicID, change func(*record) (bool, error)) error {
	for {
		rec, ver, err := r.load(ctx, id)
		if err != nil {
			return err
		}
		changed, err := change(&rec)
		if err != nil || !changed {
			return err
		}
		val, err := json.Marshal(&rec)
		if err != nil {
			return fmt.Errorf("schema: encode %s: %w", id, err)
		}
		_, err = r.store.Put(ctx, id.key(), val, ver)
		if errors.Is(err, metadata.ErrBadVersion) {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("schema: write %s: %w", id, err)
		}
		return nil
	}
}
