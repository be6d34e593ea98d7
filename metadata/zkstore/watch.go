package zkstore

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/magnetar/magnetar/metadata"
)

// The client library has no persistent recursive watches (ZooKeeper 3.6+ AddWatch), so
// a prefix watch keeps one-shot watches armed on every znode of the subtree: a data
// watch (changes, deletion) and a child watch (children created or deleted) per znode,
// and an exists watch on the prefix while it is absent. When one fires, the znode is
// read again and re-armed, and the difference from what was known is reported. Changes
// made between a watch firing and its re-arming are seen as one (ZooKeeper semantics).
// Watches lost with the session are re-armed by walking the whole subtree again.
//
// A tree watch is owned by one goroutine; one small goroutine per armed watch forwards
// its firing.

type watchKind int

const (
	kindData watchKind = iota
	kindChild
	kindExist
)

// firing is an armed watch that fired, identified by its token.
type firing struct {
	path string
	kind watchKind
	tok  uint64
	ev   zk.Event
}

// znode is what the tree watch knows of one znode. Tokens are of the armed watches
// (0: none armed); a firing whose token is not the current one is from a superseded
// watch: the znode is still re-read, but nothing is re-armed on its account.
type znode struct {
	czxid    int64
	version  int32
	dataTok  uint64
	childTok uint64
	children map[string]bool
}

type treeWatch struct {
	s       *Store
	prefix  string // metadata key; "/" for all
	root    string // znode path of prefix
	ctx     context.Context
	out     chan metadata.Event
	fired   chan firing
	nodes   map[string]*znode
	nextTok uint64
	rootTok uint64 // exists watch on root while it is absent
}

// Watch streams changes under prefix; see the package comment of this file for how.
func (s *Store) Watch(ctx context.Context, prefix string) (<-chan metadata.Event, error) {
	if err := metadata.ValidatePrefix(prefix); err != nil {
		return nil, err
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(ctx)
	stopOnClose := context.AfterFunc(s.ctx, cancel)
	tw := &treeWatch{
		s: s, prefix: prefix, root: s.full(prefix), ctx: wctx,
		out: make(chan metadata.Event), fired: make(chan firing),
		nodes: map[string]*znode{},
	}
	// Arm everything before returning, so no later change is missed; what exists now
	// is not reported.
	if err := tw.sync(tw.root, false); err != nil {
		cancel()
		stopOnClose()
		return nil, s.mapErr("watch", prefix, err)
	}
	err := s.goBackground(func() {
		defer close(tw.out)
		defer cancel()
		defer stopOnClose()
		tw.run()
	})
	if err != nil {
		cancel()
		stopOnClose()
		return nil, err
	}
	return tw.out, nil
}

// run handles firings until the watch ends. After an error (connection loss) or lost
// watches (session expired) it walks the whole subtree again, with backoff.
func (tw *treeWatch) run() {
	var retry <-chan time.Time
	backoff := 50 * time.Millisecond
	dirty := false
	for {
		select {
		case <-tw.ctx.Done():
			return
		case f := <-tw.fired:
			if !tw.handle(f) {
				dirty = true
			}
		case <-retry:
			retry = nil
			if err := tw.resyncAll(); err != nil {
				if tw.ctx.Err() != nil {
					return
				}
				slog.Debug("zkstore: watch resync failed", "prefix", tw.prefix, "err", err)
				backoff = min(2*backoff, 2*time.Second)
				dirty = true
			} else {
				dirty, backoff = false, 50*time.Millisecond
			}
		}
		if dirty && retry == nil {
			retry = time.After(backoff)
		}
	}
}

// handle processes one firing; false means a resync of the whole tree is needed.
func (tw *treeWatch) handle(f firing) bool {
	n := tw.nodes[f.path]
	switch {
	case f.kind == kindExist && tw.rootTok == f.tok:
		tw.rootTok = 0
	case f.kind == kindData && n != nil && n.dataTok == f.tok:
		n.dataTok = 0
	case f.kind == kindChild && n != nil && n.childTok == f.tok:
		n.childTok = 0
	}
	if f.ev.Type == zk.EventNotWatching {
		return false // the library dropped its watches: re-arm them all
	}
	if err := tw.sync(f.path, true); err != nil {
		return false
	}
	return true
}

// resyncAll re-reads every known znode lacking an armed watch, top down, and discovers
// what was created meanwhile.
func (tw *treeWatch) resyncAll() error {
	if err := tw.sync(tw.root, true); err != nil {
		return err
	}
	paths := make([]string, 0, len(tw.nodes))
	for p := range tw.nodes {
		paths = append(paths, p)
	}
	sort.Strings(paths) // parents before children
	for _, p := range paths {
		if _, known := tw.nodes[p]; !known {
			continue // found gone while syncing its parent
		}
		if err := tw.sync(p, true); err != nil {
			return err
		}
	}
	return nil
}

// sync makes what is known of path match ZooKeeper, arming whatever watch on it is not
// armed, reporting differences if report, and recursing into new children.
func (tw *treeWatch) sync(path string, report bool) error {
	if err := tw.ctx.Err(); err != nil {
		return err
	}
	n := tw.nodes[path]
	if n == nil || n.dataTok == 0 {
		data, st, ch, err := tw.s.conn.GetW(path)
		if errors.Is(err, zk.ErrNoNode) {
			return tw.absent(path, report)
		}
		if err != nil {
			return err
		}
		tok := tw.arm(ch, path, kindData)
		if n != nil && n.czxid != st.Czxid { // deleted and created again
			if err := tw.gone(path, report); err != nil {
				return err
			}
			n = nil
		}
		changed := n == nil || n.version != st.Version
		if n == nil {
			n = &znode{children: map[string]bool{}}
			tw.nodes[path] = n
			tw.linkToParent(path)
		}
		n.czxid, n.version, n.dataTok = st.Czxid, st.Version, tok
		if report && changed {
			if data == nil {
				data = []byte{}
			}
			if err := tw.send(metadata.Event{Type: metadata.EventPut, Key: tw.s.key(path), Value: data, Version: int64(st.Version) + 1}, path); err != nil {
				return err
			}
		}
	}
	if n.childTok != 0 {
		return nil
	}
	names, _, ch, err := tw.s.conn.ChildrenW(path)
	if errors.Is(err, zk.ErrNoNode) {
		return tw.absent(path, report)
	}
	if err != nil {
		return err
	}
	n.childTok = tw.arm(ch, path, kindChild)
	now := map[string]bool{}
	for _, name := range names {
		if !tw.s.hidden(tw.s.key(path), name) {
			now[name] = true
		}
	}
	for name := range n.children {
		if !now[name] {
			if err := tw.gone(join(path, name), report); err != nil {
				return err
			}
		}
	}
	sort.Strings(names)
	for _, name := range names {
		if now[name] && !n.children[name] {
			n.children[name] = true
			if err := tw.sync(join(path, name), report); err != nil {
				return err
			}
		}
	}
	return nil
}

// gone forgets path and everything under it, reporting their deletion (deepest first).
func (tw *treeWatch) gone(path string, report bool) error {
	var lost []string
	for p := range tw.nodes {
		if p == path || strings.HasPrefix(p, path+"/") {
			lost = append(lost, p)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(lost)))
	for _, p := range lost {
		delete(tw.nodes, p)
		if report {
			if err := tw.send(metadata.Event{Type: metadata.EventDelete, Key: tw.s.key(p)}, p); err != nil {
				return err
			}
		}
	}
	if parent := tw.nodes[parentOf(path)]; parent != nil && path != tw.root {
		delete(parent.children, baseOf(path))
	}
	return nil
}

// absent handles a znode found not to exist: it is gone, and if it is the root, an exists
// watch waits for its creation.
func (tw *treeWatch) absent(path string, report bool) error {
	if err := tw.gone(path, report); err != nil {
		return err
	}
	if path != tw.root || tw.rootTok != 0 {
		return nil
	}
	ok, _, ch, err := tw.s.conn.ExistsW(path)
	if err != nil {
		return err
	}
	tw.rootTok = tw.arm(ch, path, kindExist)
	if ok { // created meanwhile
		return tw.sync(path, report)
	}
	return nil
}

// linkToParent records a newly known znode in its parent's children.
func (tw *treeWatch) linkToParent(path string) {
	if path == tw.root {
		return
	}
	if parent := tw.nodes[parentOf(path)]; parent != nil {
		parent.children[baseOf(path)] = true
	}
}

// send reports an event, unless it is about the root "/" (not a key).
func (tw *treeWatch) send(ev metadata.Event, path string) error {
	if tw.prefix == "/" && path == tw.root {
		return nil
	}
	select {
	case tw.out <- ev:
		return nil
	case <-tw.ctx.Done():
		return tw.ctx.Err()
	}
}

// arm forwards the firing of a one-shot watch to the run loop and returns its token.
func (tw *treeWatch) arm(ch <-chan zk.Event, path string, kind watchKind) uint64 {
	tw.nextTok++
	tok := tw.nextTok
	go func() {
		select {
		case ev := <-ch:
			select {
			case tw.fired <- firing{path: path, kind: kind, tok: tok, ev: ev}:
			case <-tw.ctx.Done():
			}
		case <-tw.ctx.Done():
		}
	}()
	return tok
}

func join(path, name string) string {
	if path == "/" {
		return "/" + name
	}
	return path + "/" + name
}

func parentOf(path string) string {
	i := strings.LastIndexByte(path, '/')
	if i <= 0 {
		return "/"
	}
	return path[:i]
}

func baseOf(path string) string { return path[strings.LastIndexByte(path, '/')+1:] }
