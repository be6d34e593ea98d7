package embedded

import (
	"context"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble"

	"github.com/magnetar/magnetar/metadata"
)

func validate(key string) error {
	if err := metadata.ValidateKey(key); err != nil {
		return err
	}
	return checkKey(key)
}

// Get returns key's value and stat.
func (s *Store) Get(ctx context.Context, key string) ([]byte, metadata.Stat, error) {
	if err := validate(key); err != nil {
		return nil, metadata.Stat{}, err
	}
	release, err := s.enter(ctx)
	if err != nil {
		return nil, metadata.Stat{}, err
	}
	defer release()
	rec, found, err := s.d.read(key)
	if err != nil {
		return nil, metadata.Stat{}, fmt.Errorf("metadata: get %s: %w", key, err)
	}
	if !found {
		return nil, metadata.Stat{}, fmt.Errorf("metadata: get %s: %w", key, metadata.ErrNotFound)
	}
	return rec.value, rec.stat(), nil
}

// Put writes key if its version matches, creating missing parents in the same batch.
func (s *Store) Put(ctx context.Context, key string, value []byte, expectedVersion int64, opts ...metadata.PutOption) (metadata.Stat, error) {
	if err := validate(key); err != nil {
		return metadata.Stat{}, err
	}
	if expectedVersion < metadata.AnyVersion {
		return metadata.Stat{}, fmt.Errorf("metadata: put %s: invalid expected version %d", key, expectedVersion)
	}
	o := metadata.ApplyPutOptions(opts)
	release, err := s.enter(ctx)
	if err != nil {
		return metadata.Stat{}, err
	}
	defer release()
	stat, err := s.put(key, value, expectedVersion, o)
	if err != nil {
		return metadata.Stat{}, fmt.Errorf("metadata: put %s: %w", key, err)
	}
	return stat, nil
}

func (s *Store) put(key string, value []byte, expected int64, o metadata.PutOptions) (metadata.Stat, error) {
	d := s.d
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	cur, found, err := d.read(key)
	if err != nil {
		return metadata.Stat{}, err
	}
	switch {
	case expected == metadata.NotExists && found:
		return metadata.Stat{}, fmt.Errorf("exists at version %d: %w", cur.version, metadata.ErrBadVersion)
	case expected > 0 && !found:
		return metadata.Stat{}, fmt.Errorf("absent, expected version %d: %w", expected, metadata.ErrBadVersion)
	case expected > 0 && cur.version != expected:
		return metadata.Stat{}, fmt.Errorf("at version %d, expected %d: %w", cur.version, expected, metadata.ErrBadVersion)
	}

	now := time.Now().UnixMilli()
	b := d.pdb.NewBatch()
	defer b.Close()
	var events []metadata.Event
	rec := record{version: 1, created: now, modified: now, value: value}
	if found {
		// The key's parents exist, and are persistent, since it was created.
		rec.version, rec.created, rec.session = cur.version+1, cur.created, cur.session
	} else {
		for _, p := range metadata.Parents(key) {
			prec, pfound, err := d.read(p)
			if err != nil {
				return metadata.Stat{}, err
			}
			if pfound && prec.session != 0 {
				return metadata.Stat{}, fmt.Errorf("parent %s: %w", p, metadata.ErrEphemeralParent)
			}
			if pfound {
				continue
			}
			parent := record{version: 1, created: now, modified: now}
			if err := b.Set(dataKey(p), parent.encode(), nil); err != nil {
				return metadata.Stat{}, err
			}
			events = append(events, metadata.Event{Type: metadata.EventPut, Key: p, Value: []byte{}, Version: 1})
		}
		if o.Ephemeral {
			if d.live[s.id] == nil {
				return metadata.Stat{}, fmt.Errorf("session %d: %w", s.id, metadata.ErrClosed)
			}
			rec.session = s.id
			if err := b.Set(ephemeralKey(s.id, key), nil, nil); err != nil {
				return metadata.Stat{}, err
			}
		}
	}
	if err := b.Set(dataKey(key), rec.encode(), nil); err != nil {
		return metadata.Stat{}, err
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return metadata.Stat{}, fmt.Errorf("commit: %w", err)
	}
	events = append(events, metadata.Event{Type: metadata.EventPut, Key: key, Value: append([]byte{}, value...), Version: rec.version})
	d.publish(events)
	return rec.stat(), nil
}

// Delete removes key if its version matches and it has no children.
func (s *Store) Delete(ctx context.Context, key string, expectedVersion int64) error {
	if err := validate(key); err != nil {
		return err
	}
	release, err := s.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	if err := s.delete(key, expectedVersion); err != nil {
		return fmt.Errorf("metadata: delete %s: %w", key, err)
	}
	return nil
}

func (s *Store) delete(key string, expected int64) error {
	d := s.d
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	cur, found, err := d.read(key)
	if err != nil {
		return err
	}
	if !found {
		return metadata.ErrNotFound
	}
	if expected != metadata.AnyVersion && cur.version != expected {
		return fmt.Errorf("at version %d, expected %d: %w", cur.version, expected, metadata.ErrBadVersion)
	}
	children, err := d.hasChildren(key)
	if err != nil {
		return err
	}
	if children {
		return metadata.ErrNotEmpty
	}
	b := d.pdb.NewBatch()
	defer b.Close()
	if err := b.Delete(dataKey(key), nil); err != nil {
		return err
	}
	if cur.session != 0 {
		if err := b.Delete(ephemeralKey(cur.session, key), nil); err != nil {
			return err
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	d.publish([]metadata.Event{{Type: metadata.EventDelete, Key: key}})
	return nil
}

// Children lists key's direct children by iterating their contiguous key range.
func (s *Store) Children(ctx context.Context, key string) ([]string, error) {
	if err := metadata.ValidatePrefix(key); err != nil {
		return nil, err
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	release, err := s.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	lower, upper := childrenBounds(key)
	it, err := s.d.pdb.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, fmt.Errorf("metadata: children of %s: %w", key, err)
	}
	names := []string{}
	for it.First(); it.Valid(); it.Next() {
		names = append(names, string(it.Key()[len(lower):]))
	}
	if err := it.Close(); err != nil {
		return nil, fmt.Errorf("metadata: children of %s: %w", key, err)
	}
	return names, nil
}
