package zkstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/magnetar/magnetar/metadata"
)

func stat(st *zk.Stat) metadata.Stat {
	return metadata.Stat{
		Version:    int64(st.Version) + 1,
		CreatedMs:  st.Ctime,
		ModifiedMs: st.Mtime,
		Ephemeral:  st.EphemeralOwner != 0,
	}
}

// begin validates a request. ZooKeeper requests take no context: a cancelled ctx is
// honoured before the request is sent.
func (s *Store) begin(ctx context.Context, key string) error {
	if err := metadata.ValidateKey(key); err != nil {
		return err
	}
	if err := s.check(); err != nil {
		return err
	}
	return ctx.Err()
}

// Get returns key's value and stat.
func (s *Store) Get(ctx context.Context, key string) ([]byte, metadata.Stat, error) {
	if err := s.begin(ctx, key); err != nil {
		return nil, metadata.Stat{}, err
	}
	data, st, err := s.conn.Get(s.full(key))
	if err != nil {
		return nil, metadata.Stat{}, s.mapErr("get", key, err)
	}
	if data == nil {
		data = []byte{}
	}
	return data, stat(st), nil
}

// Put sets the znode (a conditional setData) or creates it, with its parents if needed.
func (s *Store) Put(ctx context.Context, key string, value []byte, expected int64, opts ...metadata.PutOption) (metadata.Stat, error) {
	if err := s.begin(ctx, key); err != nil {
		return metadata.Stat{}, err
	}
	if expected < metadata.AnyVersion {
		return metadata.Stat{}, fmt.Errorf("zkstore: put %s: invalid expected version %d", key, expected)
	}
	if value == nil {
		value = []byte{}
	}
	var flags int32
	if metadata.ApplyPutOptions(opts).Ephemeral {
		flags = zk.FlagEphemeral
	}
	path := s.full(key)
	switch expected {
	case metadata.NotExists:
		st, err := s.create(key, path, value, flags)
		if err != nil {
			return metadata.Stat{}, s.mapErr("put", key, err)
		}
		return st, nil
	case metadata.AnyVersion:
		for {
			st, err := s.conn.Set(path, value, -1)
			if err == nil {
				return stat(st), nil
			}
			if !errors.Is(err, zk.ErrNoNode) {
				return metadata.Stat{}, s.mapErr("put", key, err)
			}
			cst, err := s.create(key, path, value, flags)
			if errors.Is(err, zk.ErrNodeExists) {
				continue // created by someone else meanwhile: set it
			}
			if err != nil {
				return metadata.Stat{}, s.mapErr("put", key, err)
			}
			return cst, nil
		}
	default:
		if expected-1 > math.MaxInt32 {
			return metadata.Stat{}, fmt.Errorf("zkstore: put %s: expected version %d: %w", key, expected, metadata.ErrBadVersion)
		}
		st, err := s.conn.Set(path, value, int32(expected-1))
		if errors.Is(err, zk.ErrNoNode) {
			return metadata.Stat{}, fmt.Errorf("zkstore: put %s: absent, expected version %d: %w", key, expected, metadata.ErrBadVersion)
		}
		if err != nil {
			return metadata.Stat{}, s.mapErr("put", key, err)
		}
		return stat(st), nil
	}
}

// create creates the znode, creating missing parents and retrying if a parent vanishes
// meanwhile. ZooKeeper's create returns no stat: the times are this client's clock.
func (s *Store) create(key, path string, value []byte, flags int32) (metadata.Stat, error) {
	for attempt := 0; ; attempt++ {
		_, err := s.conn.Create(path, value, flags, acl)
		if err == nil {
			now := time.Now().UnixMilli()
			return metadata.Stat{Version: 1, CreatedMs: now, ModifiedMs: now, Ephemeral: flags&zk.FlagEphemeral != 0}, nil
		}
		if !errors.Is(err, zk.ErrNoNode) || attempt == 10 {
			return metadata.Stat{}, err
		}
		for _, p := range metadata.Parents(key) {
			_, err := s.conn.Create(s.full(p), []byte{}, 0, acl)
			if err != nil && !errors.Is(err, zk.ErrNodeExists) {
				return metadata.Stat{}, fmt.Errorf("create parent %s: %w", p, err)
			}
		}
	}
}

// Delete removes the znode if its version matches.
func (s *Store) Delete(ctx context.Context, key string, expected int64) error {
	if err := s.begin(ctx, key); err != nil {
		return err
	}
	version := int32(-1)
	if expected != metadata.AnyVersion {
		if expected < 1 || expected-1 > math.MaxInt32 { // no znode has that version
			if ok, _, err := s.conn.Exists(s.full(key)); err != nil || !ok {
				return s.mapErr("delete", key, cmp.Or(err, zk.ErrNoNode))
			}
			return fmt.Errorf("zkstore: delete %s: expected version %d: %w", key, expected, metadata.ErrBadVersion)
		}
		version = int32(expected - 1)
	}
	if err := s.conn.Delete(s.full(key), version); err != nil {
		return s.mapErr("delete", key, err)
	}
	return nil
}

// Children lists the znode's children, sorted.
func (s *Store) Children(ctx context.Context, key string) ([]string, error) {
	if err := metadata.ValidatePrefix(key); err != nil {
		return nil, err
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	names, _, err := s.conn.Children(s.full(key))
	if errors.Is(err, zk.ErrNoNode) {
		return []string{}, nil
	}
	if err != nil {
		return nil, s.mapErr("children of", key, err)
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		if !s.hidden(key, n) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}

// hidden reports ZooKeeper's own "/zookeeper" tree, which is not metadata.
func (s *Store) hidden(parentKey, name string) bool {
	return s.chroot == "" && parentKey == "/" && name == "zookeeper"
}
