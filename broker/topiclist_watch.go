package broker

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/magnetar/magnetar/metadata"
	"github.com/magnetar/magnetar/resources"
	"github.com/magnetar/magnetar/resources/topicname"
	"github.com/magnetar/magnetar/wire/pb"
)

// managedLedgersRoot is where package managedledger keeps each managed ledger's record
// ("/managed-ledgers/<tenant>/<namespace>/persistent/<encoded local>"); a topic exists
// while its record does, whichever broker created it.
const managedLedgersRoot = "/managed-ledgers"

// topicListHub runs one nsWatch per namespace that has watchers. Watching the metadata
// store rather than this broker's topics means topics created or deleted by any broker
// of the cluster are reported, as Pulsar's TopicResources listeners do.
type topicListHub struct {
	b *Broker

	mu sync.Mutex // guards ns and every nsWatch's watchers
	ns map[topicname.Namespace]*nsWatch
}

func newTopicListHub(b *Broker) *topicListHub {
	return &topicListHub{b: b, ns: map[topicname.Namespace]*nsWatch{}}
}

// add attaches w to its namespace's watch, starting the watch if needed; w is answered
// after the next listing.
func (h *topicListHub) add(w *topicListWatcher) {
	h.mu.Lock()
	nw := h.ns[w.ns]
	if nw == nil {
		nw = newNSWatch(h, w.ns)
		h.ns[w.ns] = nw
		go nw.run()
	}
	nw.watchers[w] = struct{}{}
	h.mu.Unlock()
	nw.kickSync()
}

// remove detaches w; the namespace's watch stops with its last watcher.
func (h *topicListHub) remove(w *topicListWatcher) {
	h.mu.Lock()
	defer h.mu.Unlock()
	nw := h.ns[w.ns]
	if nw == nil {
		return
	}
	delete(nw.watchers, w)
	if len(nw.watchers) == 0 {
		nw.cancel()
		delete(h.ns, w.ns)
	}
}

func (h *topicListHub) watchersOf(nw *nsWatch) []*topicListWatcher {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*topicListWatcher, 0, len(nw.watchers))
	for w := range nw.watchers {
		out = append(out, w)
	}
	return out
}

// nsWatch follows one namespace's persistent topics. Its goroutine alone lists the
// namespace and feeds the watchers, so each watcher sees its SUCCESS and then its updates
// in order. Store events only decide when to list again: an event for a topic whose
// presence did not change (a ledger rollover rewriting the record, a cursor) costs nothing.
type nsWatch struct {
	hub      *topicListHub
	ns       topicname.Namespace
	ctx      context.Context
	cancel   context.CancelFunc
	kick     chan struct{}                  // a listing is due
	watchers map[*topicListWatcher]struct{} // guarded by hub.mu

	// Owned by run.
	topics   map[string]struct{} // the last listing; nil before the first
	mlPrefix string
	ptPrefix string
}

func newNSWatch(h *topicListHub, ns topicname.Namespace) *nsWatch {
	ctx, cancel := context.WithCancel(h.b.ctx)
	domain := "/" + ns.String() + "/" + string(topicname.Persistent)
	return &nsWatch{
		hub: h, ns: ns, ctx: ctx, cancel: cancel,
		kick:     make(chan struct{}, 1),
		watchers: map[*topicListWatcher]struct{}{},
		mlPrefix: managedLedgersRoot + domain,
		ptPrefix: resources.PartitionedTopicsPath + domain,
	}
}

func (nw *nsWatch) kickSync() {
	select {
	case nw.kick <- struct{}{}:
	default:
	}
}

// run watches the store, lists once the watches are in place (so no change is missed in
// between), and lists again whenever a topic appears or disappears. A watch the store
// ends early (etcd compaction, a lost leader) is set up again and followed by a listing.
func (nw *nsWatch) run() {
	log := nw.hub.b.log.With("namespace", nw.ns.String())
	backoff := 100 * time.Millisecond
	for nw.ctx.Err() == nil {
		wctx, wcancel := context.WithCancel(nw.ctx)
		ml, err := nw.hub.b.store.Watch(wctx, nw.mlPrefix)
		var pt <-chan metadata.Event
		if err == nil {
			pt, err = nw.hub.b.store.Watch(wctx, nw.ptPrefix)
		}
		if err != nil {
			wcancel()
			if nw.ctx.Err() != nil {
				return
			}
			log.Warn("topic list watch: cannot watch the metadata store", "err", err, "retry_in", backoff)
			select {
			case <-nw.ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 10*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		nw.sync(log)
		nw.follow(log, ml, pt)
		wcancel()
	}
}

// follow reacts to store events until a watch ends or the nsWatch is cancelled.
func (nw *nsWatch) follow(log *slog.Logger, ml, pt <-chan metadata.Event) {
	for {
		select {
		case <-nw.ctx.Done():
			return
		case ev, ok := <-ml:
			if !ok {
				return
			}
			if nw.presenceChanged(ev) {
				nw.kickSync()
			}
		case _, ok := <-pt:
			if !ok {
				return
			}
			nw.kickSync() // partitions were added or the partitioned topic deleted
		case <-nw.kick:
			nw.sync(log)
		}
	}
}

// presenceChanged tells whether a managed-ledger event may add or remove a topic: a
// record written for a topic not listed, or removed (or emptied, which is how a deleted
// ledger with ledgers nested below its name stays) for one that is.
func (nw *nsWatch) presenceChanged(ev metadata.Event) bool {
	enc, ok := strings.CutPrefix(ev.Key, nw.mlPrefix+"/")
	if !ok || enc == "" || strings.Contains(enc, "/") {
		return false // the namespace's own node, or a cursor
	}
	if nw.topics == nil {
		return true
	}
	local, err := topicname.Decode(enc)
	if err != nil {
		return false
	}
	n, err := topicname.New(topicname.Persistent, nw.ns.Tenant, nw.ns.Name, local)
	if err != nil {
		return false
	}
	_, listed := nw.topics[n.String()]
	present := ev.Type == metadata.EventPut && len(ev.Value) > 0
	return present != listed
}

// sync lists the namespace and brings every watcher up to date. A listing that fails is
// retried in a second; watchers still waiting for their first answer get the error.
func (nw *nsWatch) sync(log *slog.Logger) {
	ctx, cancel := context.WithTimeout(nw.ctx, requestTimeout)
	list, err := nw.hub.b.storedTopics(ctx, nw.ns)
	cancel()
	if nw.ctx.Err() != nil {
		return
	}
	watchers := nw.hub.watchersOf(nw)
	if err != nil {
		log.Warn("topic list watch: cannot list topics", "err", err)
		for _, w := range watchers {
			if w.fail(codeOf(err), messageOf(err)) {
				w.c.watchers.drop(w)
				nw.hub.remove(w)
			}
		}
		time.AfterFunc(time.Second, nw.kickSync)
		return
	}
	now := make(map[string]struct{}, len(list))
	var added, removed []string
	for _, t := range list {
		now[t] = struct{}{}
		if _, ok := nw.topics[t]; !ok {
			added = append(added, t)
		}
	}
	for t := range nw.topics {
		if _, ok := now[t]; !ok {
			removed = append(removed, t)
		}
	}
	nw.topics = now
	for _, w := range watchers {
		w.apply(now, added, removed)
	}
}

// storedTopics lists a namespace's persistent topics as the store has them: every managed
// ledger and every partition of its partitioned topics. Unlike GET_TOPICS_OF_NAMESPACE it
// leaves out the topics loaded here, since a deleted topic leaves that registry only
// after its record is gone and the deletion's event has been seen.
func (b *Broker) storedTopics(ctx context.Context, ns topicname.Namespace) ([]string, error) {
	set := map[string]struct{}{}
	if b.mlf != nil {
		prefix := ns.String() + "/" + string(topicname.Persistent) + "/"
		names, err := b.mlf.Names(ctx, prefix)
		if err != nil {
			return nil, errorf(pb.ServerError_MetadataError, "list topics of %s: %v", ns, err)
		}
		for _, pn := range names {
			local, err := topicname.Decode(strings.TrimPrefix(pn, prefix))
			if err != nil || strings.Contains(local, "/") {
				continue
			}
			if n, err := topicname.New(topicname.Persistent, ns.Tenant, ns.Name, local); err == nil {
				set[n.String()] = struct{}{}
			}
		}
	}
	parts, err := b.res.ListPartitionedTopics(ctx, ns, topicname.Persistent)
	if err != nil && !errors.Is(err, resources.ErrNotFound) {
		return nil, errorf(pb.ServerError_MetadataError, "list partitioned topics of %s: %v", ns, err)
	}
	for _, base := range parts {
		m, err := b.res.PartitionedTopicMetadata(ctx, base)
		if err != nil {
			continue
		}
		for i := range m.Partitions {
			set[base.PartitionName(i).String()] = struct{}{}
		}
	}
	return sortedKeys(set), nil
}
