package broker

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/magnetar/magnetar/resources"
	"github.com/magnetar/magnetar/resources/topicname"
	"github.com/magnetar/magnetar/wire/pb"
)

// topicRegistry holds the loaded topics. Loading a topic (opening its managed ledger)
// happens once however many clients ask at the same time: later callers wait for the
// first one's result.
type topicRegistry struct {
	b *Broker

	mu      sync.Mutex
	m       map[string]*topicSlot
	closing bool
}

type topicSlot struct {
	ready chan struct{} // closed when t or err is set
	t     *topic
	err   error
}

func newTopicRegistry(b *Broker) *topicRegistry {
	return &topicRegistry{b: b, m: map[string]*topicSlot{}}
}

// get returns a loaded topic, or nil.
func (r *topicRegistry) get(name string) *topic {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.m[name]; s != nil {
		select {
		case <-s.ready:
			return s.t
		default:
		}
	}
	return nil
}

// loaded lists the loaded topics.
func (r *topicRegistry) loaded() []*topic {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*topic, 0, len(r.m))
	for _, s := range r.m {
		select {
		case <-s.ready:
			if s.t != nil {
				out = append(out, s.t)
			}
		default:
		}
	}
	return out
}

// createMode says what loading a topic that does not exist yet does.
type createMode int

const (
	mustExist   createMode = iota // TopicNotFound
	autoCreate                    // create it if the auto-creation policy allows
	forceCreate                   // create it (admin API)
)

// getOrLoad returns the topic, loading it if needed; mode says whether a topic that is
// not stored yet may be created.
func (r *topicRegistry) getOrLoad(ctx context.Context, n topicname.Name, mode createMode) (*topic, error) {
	key := n.String()
	for {
		r.mu.Lock()
		if r.closing {
			r.mu.Unlock()
			return nil, errServiceClosing
		}
		s, loading := r.m[key]
		if !loading {
			s = &topicSlot{ready: make(chan struct{})}
			r.m[key] = s
		}
		r.mu.Unlock()
		if !loading {
			s.t, s.err = r.b.loadTopic(ctx, n, mode)
			if s.err != nil {
				r.mu.Lock()
				if r.m[key] == s {
					delete(r.m, key)
				}
				r.mu.Unlock()
			}
			close(s.ready)
			return s.t, s.err
		}
		select {
		case <-s.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if s.err == nil {
			if s.t.isClosed() {
				// Being unloaded; wait for it to leave the map and load it again.
				time.Sleep(5 * time.Millisecond)
				continue
			}
			return s.t, nil
		}
		// Another caller failed to load it; with different create rights the answer may
		// differ, so try again ourselves.
		var se *serverError
		if mode != mustExist && errors.As(s.err, &se) && se.code == pb.ServerError_TopicNotFound {
			continue
		}
		return nil, s.err
	}
}

// remove forgets t (after it closed).
func (r *topicRegistry) remove(t *topic) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.m[t.key]; s != nil && s.t == t {
		delete(r.m, t.key)
	}
}

// closeAll refuses new loads and closes every loaded topic.
func (r *topicRegistry) closeAll(ctx context.Context) error {
	r.mu.Lock()
	r.closing = true
	r.mu.Unlock()
	var errs []error
	for _, t := range r.loaded() {
		if err := t.close(ctx, true); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// loadTopic opens a topic's storage and recovers its subscriptions.
func (b *Broker) loadTopic(ctx context.Context, n topicname.Name, mode createMode) (*topic, error) {
	e, err := b.policies(ctx, n)
	if err != nil {
		return nil, err
	}
	if !n.IsPersistent() {
		if mode == mustExist {
			return nil, errorf(pb.ServerError_TopicNotFound, "Topic %s does not exist", n)
		}
		if mode == autoCreate && !autoCreation(e).allowed {
			return nil, errorf(pb.ServerError_TopicNotFound, "Topic %s does not exist and auto-creation is disabled", n)
		}
		return newTopic(b, n, nil, e), nil
	}
	if b.mlf == nil {
		return nil, errNoStorage
	}
	exists, err := b.mlf.Exists(ctx, n.PersistenceName())
	if err != nil {
		return nil, errorf(pb.ServerError_MetadataError, "topic %s: %v", n, err)
	}
	if !exists {
		if mode == mustExist {
			return nil, errorf(pb.ServerError_TopicNotFound, "Topic %s does not exist", n)
		}
		if mode == autoCreate && !b.mayCreate(ctx, n, e) {
			return nil, errorf(pb.ServerError_TopicNotFound, "Topic %s does not exist and auto-creation is disabled", n)
		}
	}
	ml, err := b.mlf.Open(ctx, n.PersistenceName(), b.ledgerConfig(e))
	if err != nil {
		return nil, errorf(codeOf(err), "open topic %s: %v", n, err)
	}
	t := newTopic(b, n, ml, e)
	if err := t.recover(ctx); err != nil {
		_ = ml.Close(ctx)
		return nil, errorf(pb.ServerError_PersistenceError, "recover topic %s: %v", n, err)
	}
	b.log.Debug("topic loaded", "topic", n.String())
	return t, nil
}

// mayCreate tells whether a topic that does not exist may be created on first use: by the
// auto-creation policy, or because it is a partition of a partitioned topic.
func (b *Broker) mayCreate(ctx context.Context, n topicname.Name, e *resources.Effective) bool {
	if autoCreation(e).allowed {
		return true
	}
	if !n.IsPartition() {
		return false
	}
	m, err := b.res.PartitionedTopicMetadata(ctx, n.Base())
	return err == nil && n.Partition < m.Partitions
}

// inactiveTopicLoop deletes topics nobody uses, as Pulsar's inactivity monitor: it runs
// every brokerDeleteInactiveTopicsFrequencySeconds while brokerDeleteInactiveTopicsEnabled,
// and each topic's inactive-topic policies (topic over namespace over the broker's
// brokerDeleteInactiveTopics* settings) say whether, after how long and in which mode it
// goes. The settings are dynamic.
func (b *Broker) inactiveTopicLoop() {
	defer b.wg.Done()
	b.every(func(c *Config) time.Duration {
		if !c.BrokerDeleteInactiveTopicsEnabled {
			return 0
		}
		return time.Duration(c.BrokerDeleteInactiveTopicsFrequencySeconds) * time.Second
	}, func() {
		c := b.liveConfig()
		for _, tp := range b.topics.loaded() {
			e := tp.policies()
			if e == nil || !e.InactiveTopic.DeleteWhileInactive {
				continue
			}
			maxIdle := time.Duration(c.BrokerDeleteInactiveTopicsFrequencySeconds) * time.Second
			if s := e.InactiveTopic.MaxInactiveDurationSeconds; s > 0 {
				maxIdle = time.Duration(s) * time.Second
			}
			mode := e.InactiveTopic.InactiveTopicDeleteMode
			if tp.inactiveFor(mode) < maxIdle {
				continue
			}
			ctx, cancel := b.requestContext()
			if err := tp.deleteIfInactive(ctx, maxIdle, mode); err != nil {
				b.log.Warn("delete inactive topic", "topic", tp.key, "err", err)
			}
			cancel()
		}
	})
}
