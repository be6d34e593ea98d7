package broker

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/magnetar/magnetar/resources"
	"github.com/magnetar/magnetar/resources/topicname"
	"github.com/magnetar/magnetar/wire"
	"github.com/magnetar/magnetar/wire/pb"
)

// requestTimeout bounds the metadata work of one client request.
const requestTimeout = 30 * time.Second

func (b *Broker) requestContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, requestTimeout)
}

// handleLookup answers that this broker serves the topic (a single broker owns every
// bundle), after checking the name and its namespace.
func (c *conn) handleLookup(l *pb.CommandLookupTopic) {
	ctx, cancel := c.b.requestContext()
	defer cancel()
	if err := c.b.lookup(ctx, l.GetTopic()); err != nil {
		c.w.send(wire.NewLookupFailed(l.GetRequestId(), codeOf(err), messageOf(err)))
		return
	}
	c.w.send(wire.NewLookupConnect(l.GetRequestId(), c.b.serviceURL, "", true, false))
}

// lookup validates a topic for a lookup: its namespace must exist, and with
// auto-creation off a persistent topic must exist too.
func (b *Broker) lookup(ctx context.Context, topic string) error {
	if b.isClosing() {
		return errServiceClosing
	}
	n, err := parseTopic(topic)
	if err != nil {
		return err
	}
	e, err := b.policies(ctx, n)
	if err != nil {
		return err
	}
	if autoCreation(e).allowed {
		return nil
	}
	exists, err := b.topicExists(ctx, n)
	if err != nil {
		return err
	}
	if !exists {
		if m, err := b.res.PartitionedTopicMetadata(ctx, n.Base()); err == nil && m.Partitions > 0 {
			return nil
		}
		return errorf(pb.ServerError_TopicNotFound, "Topic %s does not exist", n)
	}
	return nil
}

func (c *conn) handlePartitionedMetadata(m *pb.CommandPartitionedTopicMetadata) {
	ctx, cancel := c.b.requestContext()
	defer cancel()
	n, err := c.b.partitionedMetadata(ctx, m.GetTopic())
	if err != nil {
		c.w.send(wire.NewPartitionedMetadataFailed(m.GetRequestId(), codeOf(err), messageOf(err)))
		return
	}
	c.w.send(wire.NewPartitionedMetadata(m.GetRequestId(), uint32(n)))
}

// partitionedMetadata returns a topic's partition count (0: not partitioned). With
// partitioned auto-creation a topic that does not exist yet is created partitioned here,
// as Pulsar does: the client asks this before creating producers and consumers.
func (b *Broker) partitionedMetadata(ctx context.Context, topic string) (int, error) {
	n, err := parseTopic(topic)
	if err != nil {
		return 0, err
	}
	e, err := b.policies(ctx, n)
	if err != nil {
		return 0, err
	}
	if n.IsPartition() {
		return 0, nil
	}
	m, err := b.res.PartitionedTopicMetadata(ctx, n)
	if err != nil {
		return 0, errorf(pb.ServerError_MetadataError, "partitioned metadata of %s: %v", n, err)
	}
	if m.Partitions > 0 {
		return m.Partitions, nil
	}
	auto := autoCreation(e)
	if !auto.allowed || !auto.partitioned {
		return 0, nil
	}
	exists, err := b.topicExists(ctx, n)
	if err != nil || exists {
		return 0, err
	}
	err = b.res.CreatePartitionedTopic(ctx, n, resources.PartitionedTopicMetadata{Partitions: auto.partitions})
	if err != nil && !errors.Is(err, resources.ErrExists) {
		return 0, errorf(pb.ServerError_MetadataError, "create partitioned topic %s: %v", n, err)
	}
	m, err = b.res.PartitionedTopicMetadata(ctx, n)
	if err != nil {
		return 0, errorf(pb.ServerError_MetadataError, "partitioned metadata of %s: %v", n, err)
	}
	return m.Partitions, nil
}

func (c *conn) handleTopicsOfNamespace(g *pb.CommandGetTopicsOfNamespace) {
	ctx, cancel := c.b.requestContext()
	defer cancel()
	topics, err := c.b.topicsOfNamespace(ctx, g.GetNamespace(), g.GetMode())
	if err != nil {
		c.w.send(wire.NewError(g.GetRequestId(), codeOf(err), messageOf(err)))
		return
	}
	c.w.send(wire.NewTopicsOfNamespace(g.GetRequestId(), topics))
}

// topicsOfNamespace lists a namespace's topics, partitions included, sorted. A namespace
// that does not exist has no topics (not an error, as in Pulsar).
func (b *Broker) topicsOfNamespace(ctx context.Context, namespace string, mode pb.CommandGetTopicsOfNamespace_Mode) ([]string, error) {
	ns, err := topicname.ParseNamespace(namespace)
	if err != nil {
		return nil, errorf(pb.ServerError_InvalidTopicName, "%v", err)
	}
	set := map[string]struct{}{}
	if mode == pb.CommandGetTopicsOfNamespace_PERSISTENT || mode == pb.CommandGetTopicsOfNamespace_ALL {
		if err := b.persistentTopics(ctx, ns, set); err != nil {
			return nil, err
		}
	}
	if mode == pb.CommandGetTopicsOfNamespace_NON_PERSISTENT || mode == pb.CommandGetTopicsOfNamespace_ALL {
		for _, t := range b.topics.loaded() {
			if !t.name.IsPersistent() && t.name.Namespace == ns {
				set[t.name.String()] = struct{}{}
			}
		}
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	return out, nil
}

// persistentTopics adds the namespace's stored topics and every partition of its
// partitioned topics to set.
func (b *Broker) persistentTopics(ctx context.Context, ns topicname.Namespace, set map[string]struct{}) error {
	if b.mlf != nil {
		prefix := ns.String() + "/" + string(topicname.Persistent) + "/"
		names, err := b.mlf.Names(ctx, prefix)
		if err != nil {
			return errorf(pb.ServerError_MetadataError, "list topics of %s: %v", ns, err)
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
	for _, t := range b.topics.loaded() {
		if t.name.IsPersistent() && t.name.Namespace == ns {
			set[t.name.String()] = struct{}{}
		}
	}
	parts, err := b.res.ListPartitionedTopics(ctx, ns, topicname.Persistent)
	if err != nil && !errors.Is(err, resources.ErrNotFound) {
		return errorf(pb.ServerError_MetadataError, "list partitioned topics of %s: %v", ns, err)
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
	return nil
}

// topicExists tells whether a topic is loaded or stored.
func (b *Broker) topicExists(ctx context.Context, n topicname.Name) (bool, error) {
	if b.topics.get(n.String()) != nil {
		return true, nil
	}
	if !n.IsPersistent() || b.mlf == nil {
		return false, nil
	}
	ok, err := b.mlf.Exists(ctx, n.PersistenceName())
	if err != nil {
		return false, errorf(pb.ServerError_MetadataError, "topic %s: %v", n, err)
	}
	return ok, nil
}

func (b *Broker) isClosing() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closing
}
