package broker

// Topic-list watchers (PIP-179). A pattern consumer of the Java client asks the broker to
// watch a namespace for the topics its pattern matches instead of polling
// GET_TOPICS_OF_NAMESPACE: WATCH_TOPIC_LIST is answered with the matching persistent
// topics (partitions by name, "-partition-N") and their hash, then every change is pushed
// as WATCH_TOPIC_UPDATE until WATCH_TOPIC_LIST_CLOSE or the end of the connection.
//
// CONNECTED advertises supports_topic_watchers to every client while
// enableBrokerSideSubscriptionPatternEvaluation is on, as Pulsar's broker does: the Java
// client never sets the flag in its CONNECT, it only reads the broker's. Clients that do
// not know these commands (the Go client closes its connection on an unknown command)
// are safe all the same, because WATCH_TOPIC_* frames go only to a connection that
// created a watcher.

import (
	"sort"
	"strconv"
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/magnetar/magnetar/resources/topicname"
	"github.com/magnetar/magnetar/wire"
	"github.com/magnetar/magnetar/wire/pb"
)

// topicListWatcher is one client's watch of a namespace. Its namespace's nsWatch goroutine
// feeds it the namespace's topic list; the connection closes it.
type topicListWatcher struct {
	id      uint64
	c       *conn
	ns      topicname.Namespace
	pattern topicsPattern

	mu         sync.Mutex
	closed     bool
	ready      bool   // WATCH_TOPIC_LIST_SUCCESS was sent
	requestID  uint64 // the WATCH_TOPIC_LIST to answer while not ready
	clientHash string // the hash the client already has (a reconnect), if any
	matching   map[string]struct{}
}

// handleWatchTopicList registers a watcher; the answer comes once the namespace's topics
// are listed (by its nsWatch, which keeps SUCCESS ahead of every UPDATE).
func (c *conn) handleWatchTopicList(cmd *pb.CommandWatchTopicList) {
	reqID := cmd.GetRequestId()
	if !c.b.cfg.EnableBrokerSideSubscriptionPatternEvaluation {
		c.w.send(wire.NewError(reqID, pb.ServerError_NotAllowedError,
			"Unable to create topic list watcher: Evaluating subscription patterns is disabled."))
		return
	}
	ns, err := topicname.ParseNamespace(cmd.GetNamespace())
	if err != nil {
		c.w.send(wire.NewError(reqID, pb.ServerError_InvalidTopicName, err.Error()))
		return
	}
	p, err := parseTopicsPattern(cmd.GetTopicsPattern())
	if err != nil {
		c.w.send(wire.NewError(reqID, pb.ServerError_InvalidTopicName, err.Error()))
		return
	}
	if max := c.b.cfg.SubscriptionPatternMaxLength; len(p.input) > max {
		c.w.send(wire.NewError(reqID, pb.ServerError_NotAllowedError,
			"Unable to create topic list watcher: Pattern longer than maximum: "+strconv.Itoa(max)))
		return
	}
	w := &topicListWatcher{id: cmd.GetWatcherId(), c: c, ns: ns, pattern: p,
		requestID: reqID, clientHash: cmd.GetTopicsHash()}
	existing, ok := c.watchers.add(w)
	switch {
	case !ok:
		return // the connection is closing
	case existing != nil:
		// A retried request for a watcher that exists: answer it as Pulsar does.
		existing.answerAgain(reqID, cmd.GetTopicsHash())
		return
	}
	c.b.topicLists.add(w)
	c.log.Debug("topic list watcher created", "watcher", w.id, "namespace", ns.String(), "pattern", p.input)
}

// handleWatchTopicListClose removes a watcher; no update for it follows the SUCCESS.
func (c *conn) handleWatchTopicListClose(cmd *pb.CommandWatchTopicListClose) {
	if w := c.watchers.remove(cmd.GetWatcherId()); w != nil {
		w.close()
		c.b.topicLists.remove(w)
	}
	c.w.send(wire.NewSuccess(cmd.GetRequestId()))
}

// closeTopicListWatchers ends the connection's watchers (on shutdown).
func (c *conn) closeTopicListWatchers() {
	for _, w := range c.watchers.closeAll() {
		w.close()
		c.b.topicLists.remove(w)
	}
}

// apply brings the watcher up to date with its namespace's topics: the first call answers
// WATCH_TOPIC_LIST, later ones send what changed among the matching topics, if anything.
func (w *topicListWatcher) apply(all map[string]struct{}, added, removed []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	if !w.ready {
		w.matching = map[string]struct{}{}
		for t := range all {
			if w.pattern.matches(t) {
				w.matching[t] = struct{}{}
			}
		}
		w.ready = true
		w.sendSuccessLocked(w.requestID, w.clientHash)
		return
	}
	var newTopics, deletedTopics []string
	for _, t := range added {
		if _, ok := w.matching[t]; !ok && w.pattern.matches(t) {
			w.matching[t] = struct{}{}
			newTopics = append(newTopics, t)
		}
	}
	for _, t := range removed {
		if _, ok := w.matching[t]; ok {
			delete(w.matching, t)
			deletedTopics = append(deletedTopics, t)
		}
	}
	if len(newTopics) == 0 && len(deletedTopics) == 0 {
		return
	}
	w.c.w.send(wire.Wrap(&pb.CommandWatchTopicUpdate{
		WatcherId:     proto.Uint64(w.id),
		NewTopics:     newTopics,
		DeletedTopics: deletedTopics,
		TopicsHash:    proto.String(topicListHash(sortedKeys(w.matching))),
	}))
}

// sendSuccessLocked answers a WATCH_TOPIC_LIST; the list is left out when the client's
// hash shows it has it already.
func (w *topicListWatcher) sendSuccessLocked(reqID uint64, clientHash string) {
	topics := sortedKeys(w.matching)
	hash := topicListHash(topics)
	if hash == clientHash {
		topics = nil
	}
	w.c.w.send(wire.Wrap(&pb.CommandWatchTopicListSuccess{
		RequestId:  proto.Uint64(reqID),
		WatcherId:  proto.Uint64(w.id),
		Topic:      topics,
		TopicsHash: proto.String(hash),
	}))
}

// answerAgain answers a repeated WATCH_TOPIC_LIST for this watcher's id.
func (w *topicListWatcher) answerAgain(reqID uint64, clientHash string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.closed:
		w.c.w.send(wire.NewError(reqID, pb.ServerError_UnknownError, "Topic list watcher is closed"))
	case !w.ready:
		w.c.w.send(wire.NewError(reqID, pb.ServerError_ServiceNotReady,
			"Topic list watcher is already present on the connection"))
	default:
		w.sendSuccessLocked(reqID, clientHash)
	}
}

// fail answers a WATCH_TOPIC_LIST that cannot be served and reports whether the watcher
// was still waiting for its answer (then it is closed and the caller drops it).
func (w *topicListWatcher) fail(code pb.ServerError, msg string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.ready {
		return false
	}
	w.closed = true
	w.c.w.send(wire.NewError(w.requestID, code, msg))
	return true
}

func (w *topicListWatcher) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
}

// connWatchers are a connection's watchers by id; the zero value is ready to use.
type connWatchers struct {
	mu     sync.Mutex
	m      map[uint64]*topicListWatcher
	closed bool
}

// add registers w unless its id is taken (then the existing watcher is returned) or the
// connection is closing (ok=false).
func (cw *connWatchers) add(w *topicListWatcher) (existing *topicListWatcher, ok bool) {
	cw.mu.Lock()
	defer cw.mu.Unlock()
	if cw.closed {
		return nil, false
	}
	if e := cw.m[w.id]; e != nil {
		return e, true
	}
	if cw.m == nil {
		cw.m = map[uint64]*topicListWatcher{}
	}
	cw.m[w.id] = w
	return nil, true
}

func (cw *connWatchers) remove(id uint64) *topicListWatcher {
	cw.mu.Lock()
	defer cw.mu.Unlock()
	w := cw.m[id]
	delete(cw.m, id)
	return w
}

// drop forgets w if it is still registered under its id.
func (cw *connWatchers) drop(w *topicListWatcher) {
	cw.mu.Lock()
	defer cw.mu.Unlock()
	if cw.m[w.id] == w {
		delete(cw.m, w.id)
	}
}

func (cw *connWatchers) closeAll() []*topicListWatcher {
	cw.mu.Lock()
	defer cw.mu.Unlock()
	cw.closed = true
	out := make([]*topicListWatcher, 0, len(cw.m))
	for _, w := range cw.m {
		out = append(out, w)
	}
	cw.m = nil
	return out
}

func sortedKeys(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
