package etcdstore

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/magnetar/magnetar/metadata"
)

// Watch streams changes under prefix. It reads the current revision first and watches
// from the next one, so no change made after Watch returns is missed. If etcd ends the
// watch (compaction, lost leader) the channel is closed early: the caller re-reads and
// watches again.
func (s *Store) Watch(ctx context.Context, prefix string) (<-chan metadata.Event, error) {
	if err := metadata.ValidatePrefix(prefix); err != nil {
		return nil, err
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	exact, under := "", s.childPrefix(prefix)
	watchFrom := under
	if prefix != "/" {
		exact, watchFrom = s.full(prefix), s.full(prefix)
	}
	resp, err := s.cli.Get(ctx, watchFrom, clientv3.WithKeysOnly(), clientv3.WithLimit(1))
	if err != nil {
		return nil, fmt.Errorf("etcdstore: watch %s: %w", prefix, err)
	}
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	stopOnClose := context.AfterFunc(s.ctx, cancel)
	// watchFrom as a prefix also covers siblings sharing its bytes ("/ab" for "/a"):
	// they are filtered out below.
	wch := s.cli.Watch(wctx, watchFrom, clientv3.WithPrefix(), clientv3.WithRev(resp.Header.Revision+1))

	out := make(chan metadata.Event)
	err = s.goBackground(func() {
		defer close(out)
		defer cancel()
		defer stopOnClose()
		for wr := range wch {
			if err := wr.Err(); err != nil {
				if wctx.Err() == nil {
					slog.Warn("etcdstore: watch ended by etcd", "prefix", prefix, "err", err)
				}
				return
			}
			for _, ev := range wr.Events {
				key := string(ev.Kv.Key)
				if key != exact && !strings.HasPrefix(key, under) {
					continue
				}
				e := metadata.Event{Type: metadata.EventDelete, Key: key[len(s.prefix):]}
				if ev.Type == clientv3.EventTypePut {
					e.Type, e.Value, e.Version = metadata.EventPut, value(ev.Kv), ev.Kv.Version
				}
				select {
				case out <- e:
				case <-wctx.Done():
					return
				}
			}
		}
	})
	if err != nil {
		cancel()
		stopOnClose()
		return nil, err
	}
	return out, nil
}
