package embedded

import (
	"context"
	"strings"
	"sync"

	"github.com/magnetar/magnetar/metadata"
)

// watcher buffers the events of one Watch without bound, so that a slow reader never
// holds up writers (they publish while holding writeMu); a goroutine feeds the reader.
type watcher struct {
	prefix string
	mu     sync.Mutex
	queue  []metadata.Event
	wake   chan struct{}
}

func (w *watcher) matches(key string) bool {
	if w.prefix == "/" || key == w.prefix {
		return true
	}
	return strings.HasPrefix(key, w.prefix) && key[len(w.prefix)] == '/'
}

func (w *watcher) push(ev metadata.Event) {
	w.mu.Lock()
	w.queue = append(w.queue, ev)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *watcher) take() []metadata.Event {
	w.mu.Lock()
	defer w.mu.Unlock()
	q := w.queue
	w.queue = nil
	return q
}

// publish hands committed changes to every matching watcher. Values are shared between
// watchers: readers must not modify them.
func (d *db) publish(events []metadata.Event) {
	d.watchMu.Lock()
	defer d.watchMu.Unlock()
	for w := range d.watchers {
		for _, ev := range events {
			if w.matches(ev.Key) {
				w.push(ev)
			}
		}
	}
}

// Watch streams changes under prefix until ctx is done or the session closes.
func (s *Store) Watch(ctx context.Context, prefix string) (<-chan metadata.Event, error) {
	if err := metadata.ValidatePrefix(prefix); err != nil {
		return nil, err
	}
	if err := checkKey(prefix); err != nil {
		return nil, err
	}
	release, err := s.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer release()

	wctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ctx, cancel)
	w := &watcher{prefix: prefix, wake: make(chan struct{}, 1)}
	s.d.watchMu.Lock()
	s.d.watchers[w] = struct{}{}
	s.d.watchMu.Unlock()

	out := make(chan metadata.Event)
	go func() {
		defer close(out)
		defer cancel()
		defer stop()
		defer func() {
			s.d.watchMu.Lock()
			delete(s.d.watchers, w)
			s.d.watchMu.Unlock()
		}()
		for {
			select {
			case <-wctx.Done():
				return
			case <-w.wake:
			}
			for _, ev := range w.take() {
				select {
				case out <- ev:
				case <-wctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}
