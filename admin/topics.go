package admin

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/magnetar/magnetar/resources"
	"github.com/magnetar/magnetar/resources/topicname"
)

var errPartitionedPeek = &statusError{http.StatusMethodNotAllowed, "Peek messages on a partitioned topic is not allowed"}

func (h *Handler) routeTopics(d topicname.Domain) {
	ns := "/admin/v2/" + string(d) + "/{tenant}/{namespace}"
	t := ns + "/{topic}"
	h.route("GET "+ns, func(w http.ResponseWriter, r *http.Request) error {
		n, err := namespaceOf(r)
		if err != nil {
			return err
		}
		topics, err := h.namespaceTopics(r.Context(), n, d)
		if err != nil {
			return err
		}
		return ok(w, topics)
	})
	h.route("GET "+ns+"/partitioned", func(w http.ResponseWriter, r *http.Request) error {
		n, err := namespaceOf(r)
		if err != nil {
			return err
		}
		list, err := h.res.ListPartitionedTopics(r.Context(), n, d)
		if err != nil {
			return err
		}
		names := make([]string, len(list))
		for i, p := range list {
			names[i] = p.String()
		}
		return ok(w, names)
	})
	h.route("PUT "+t+"/partitions", h.topic(d, h.createPartitioned))
	h.route("POST "+t+"/partitions", h.topic(d, h.updatePartitioned))
	h.route("GET "+t+"/partitions", h.topic(d, func(w http.ResponseWriter, r *http.Request, tn topicname.Name) error {
		if err := h.res.CheckNamespace(r.Context(), tn.Namespace); err != nil {
			return err
		}
		m, err := h.res.PartitionedTopicMetadata(r.Context(), tn)
		if err != nil {
			return err
		}
		return ok(w, m)
	}))
	h.route("DELETE "+t+"/partitions", h.topic(d, h.deletePartitioned))
	h.route("POST "+t+"/createMissedPartitions", h.topic(d, func(w http.ResponseWriter, r *http.Request, tn topicname.Name) error {
		m, err := h.res.GetPartitionedTopic(r.Context(), tn)
		if err != nil {
			return err
		}
		if err := h.createPartitions(r.Context(), tn, 0, m.Partitions); err != nil {
			return err
		}
		return done(w)
	}))
	h.route("PUT "+t, h.topic(d, h.createTopic))
	h.route("DELETE "+t, h.topic(d, h.deleteTopic))
	h.route("GET "+t+"/properties", h.topic(d, h.getTopicProperties))
	h.route("PUT "+t+"/properties", h.topic(d, h.updateTopicProperties))
	h.route("DELETE "+t+"/properties", h.topic(d, h.removeTopicProperty))
	h.route("GET "+t+"/stats", h.topic(d, h.stats))
	h.route("GET "+t+"/partitioned-stats", h.topic(d, h.partitionedStats))
	h.route("GET "+t+"/internalStats", h.topic(d, func(w http.ResponseWriter, r *http.Request, tn topicname.Name) error {
		st, err := h.broker.InternalStats(r.Context(), tn)
		if err != nil {
			return err
		}
		return ok(w, st)
	}))
	h.route("GET "+t+"/partitioned-internalStats", h.topic(d, func(w http.ResponseWriter, r *http.Request, tn topicname.Name) error {
		m, err := h.res.GetPartitionedTopic(r.Context(), tn)
		if err != nil {
			return err
		}
		out := struct {
			Metadata   PartitionedMetadata       `json:"metadata"`
			Partitions map[string]*InternalStats `json:"partitions"`
		}{PartitionedMetadata{m.Partitions}, map[string]*InternalStats{}}
		for i := range m.Partitions {
			p := tn.PartitionName(i)
			st, err := h.broker.InternalStats(r.Context(), p)
			if errors.Is(err, ErrTopicNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			out.Partitions[p.String()] = st
		}
		return ok(w, out)
	}))
	h.route("GET "+t+"/subscriptions", h.topic(d, func(w http.ResponseWriter, r *http.Request, tn topicname.Name) error {
		subs := []string{}
		err := h.eachPartition(r.Context(), tn, func(p topicname.Name) error {
			st, err := h.broker.Stats(r.Context(), p)
			if err != nil {
				return err
			}
			subs = append(subs, slices.Collect(maps.Keys(st.Subscriptions))...)
			return nil
		})
		if err != nil {
			return err
		}
		slices.Sort(subs)
		return ok(w, slices.Compact(subs))
	}))
	h.route("PUT "+t+"/unload", h.topic(d, func(w http.ResponseWriter, r *http.Request, tn topicname.Name) error {
		if err := h.eachPartition(r.Context(), tn, func(p topicname.Name) error { return h.broker.Unload(r.Context(), p) }); err != nil {
			return err
		}
		return done(w)
	}))
	h.route("POST "+t+"/terminate", h.topic(d, func(w http.ResponseWriter, r *http.Request, tn topicname.Name) error {
		if m, _ := h.res.PartitionedTopicMetadata(r.Context(), tn); m.Partitions > 0 {
			return &statusError{http.StatusMethodNotAllowed, "Termination of a partitioned topic is not allowed"}
		}
		id, err := h.broker.Terminate(r.Context(), tn)
		if err != nil {
			return err
		}
		return ok(w, id)
	}))
	h.route("POST "+t+"/terminate/partitions", h.topic(d, func(w http.ResponseWriter, r *http.Request, tn topicname.Name) error {
		m, err := h.res.GetPartitionedTopic(r.Context(), tn)
		if err != nil {
			return err
		}
		out := map[int]MessageID{}
		for i := range m.Partitions {
			id, err := h.broker.Terminate(r.Context(), tn.PartitionName(i))
			if err != nil {
				return err
			}
			out[i] = id
		}
		return ok(w, out)
	}))
	h.route("GET "+t+"/lastMessageId", h.topic(d, func(w http.ResponseWriter, r *http.Request, tn topicname.Name) error {
		id, err := h.broker.LastMessageID(r.Context(), tn)
		if err != nil {
			return err
		}
		return ok(w, id)
	}))
	h.route("GET "+t+"/messageid/{timestamp}", h.topic(d, func(w http.ResponseWriter, r *http.Request, tn topicname.Name) error {
		ts, err := strconv.ParseInt(r.PathValue("timestamp"), 10, 64)
		if err != nil {
			return badRequest("Invalid timestamp %q", r.PathValue("timestamp"))
		}
		if m, _ := h.res.PartitionedTopicMetadata(r.Context(), tn); m.Partitions > 0 {
			return &statusError{http.StatusMethodNotAllowed, "Get message ID by timestamp on a partitioned topic is not allowed, please try it on specific topic partition"}
		}
		id, err := h.broker.MessageIDAt(r.Context(), tn, ts)
		if err != nil {
			return err
		}
		return ok(w, id)
	}))
}

// topicFunc is a handler of one topic.
type topicFunc func(w http.ResponseWriter, r *http.Request, t topicname.Name) error

// topic adapts a topicFunc: it parses the topic name of the route.
func (h *Handler) topic(d topicname.Domain, fn topicFunc) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		t, err := topicOf(r, d)
		if err != nil {
			return err
		}
		return fn(w, r, t)
	}
}

// eachPartition runs fn on every partition of a partitioned topic, or on the topic.
func (h *Handler) eachPartition(ctx context.Context, t topicname.Name, fn func(topicname.Name) error) error {
	m, err := h.res.PartitionedTopicMetadata(ctx, t)
	if err != nil {
		return err
	}
	if m.Partitions == 0 {
		return fn(t)
	}
	for i := range m.Partitions {
		if err := fn(t.PartitionName(i)); err != nil {
			return err
		}
	}
	return nil
}

// topicExists: a partitioned topic (metadata) or a topic the broker has.
func (h *Handler) topicExists(ctx context.Context, t topicname.Name) (bool, error) {
	if m, err := h.res.PartitionedTopicMetadata(ctx, t); err != nil {
		return false, err
	} else if m.Partitions > 0 {
		return true, nil
	}
	return h.broker.TopicExists(ctx, t)
}

// partitionedBody accepts both forms Pulsar's clients send: a bare count (`4`, also
// "4") or {"partitions": 4, "properties": {...}}.
func partitionedBody(w http.ResponseWriter, r *http.Request) (resources.PartitionedTopicMetadata, error) {
	var m resources.PartitionedTopicMetadata
	b, err := readBody(w, r)
	if err != nil {
		return m, err
	}
	s := strings.TrimSpace(string(b))
	if strings.HasPrefix(s, "{") {
		if err := json.Unmarshal(b, &m); err != nil {
			return m, badRequest("Invalid request body: %v", err)
		}
		return m, nil
	}
	n, err := strconv.Atoi(strings.Trim(s, `"`))
	if err != nil {
		return m, badRequest("Invalid request body: number of partitions expected, got %q", s)
	}
	m.Partitions = n
	return m, nil
}

func (h *Handler) createPartitioned(w http.ResponseWriter, r *http.Request, t topicname.Name) error {
	ctx := r.Context()
	if err := h.res.CheckNamespace(ctx, t.Namespace); err != nil {
		return err
	}
	m, err := partitionedBody(w, r)
	if err != nil {
		return err
	}
	if exists, err := h.broker.TopicExists(ctx, t); err != nil {
		return err
	} else if exists {
		return ErrTopicExists
	}
	if err := h.res.CreatePartitionedTopic(ctx, t, resources.PartitionedTopicMetadata{Partitions: m.Partitions, Properties: m.Properties}); err != nil {
		return err
	}
	if err := h.createPartitions(ctx, t, 0, m.Partitions); err != nil {
		return err
	}
	return done(w)
}

// createPartitions creates partitions [from, to) on the broker, as Pulsar does eagerly.
func (h *Handler) createPartitions(ctx context.Context, t topicname.Name, from, to int) error {
	for i := from; i < to; i++ {
		if err := h.broker.CreateTopic(ctx, t.PartitionName(i)); err != nil && !errors.Is(err, ErrTopicExists) {
			return err
		}
	}
	return nil
}

func (h *Handler) updatePartitioned(w http.ResponseWriter, r *http.Request, t topicname.Name) error {
	ctx := r.Context()
	if err := h.res.CheckNamespace(ctx, t.Namespace); err != nil {
		return err
	}
	m, err := partitionedBody(w, r)
	if err != nil {
		return err
	}
	old, err := h.res.GetPartitionedTopic(ctx, t)
	if err != nil {
		return err
	}
	if err := h.res.UpdatePartitionedTopic(ctx, t, m.Partitions); err != nil {
		return err
	}
	if err := h.createPartitions(ctx, t, old.Partitions, m.Partitions); err != nil {
		return err
	}
	return done(w)
}

func (h *Handler) deletePartitioned(w http.ResponseWriter, r *http.Request, t topicname.Name) error {
	ctx := r.Context()
	if err := h.res.CheckNamespace(ctx, t.Namespace); err != nil {
		return err
	}
	m, err := h.res.GetPartitionedTopic(ctx, t)
	if err != nil {
		return err
	}
	force := queryBool(r, "force", false)
	for i := range m.Partitions {
		if err := h.broker.DeleteTopic(ctx, t.PartitionName(i), force); err != nil && !errors.Is(err, ErrTopicNotFound) {
			return err
		}
	}
	if err := h.res.DeletePartitionedTopic(ctx, t); err != nil {
		return err
	}
	if err := h.broker.DeleteTopicSchema(ctx, t); err != nil {
		return err
	}
	return done(w)
}

func (h *Handler) createTopic(w http.ResponseWriter, r *http.Request, t topicname.Name) error {
	ctx := r.Context()
	if err := h.res.CheckNamespace(ctx, t.Namespace); err != nil {
		return err
	}
	var props map[string]string
	b, err := readBody(w, r)
	if err != nil {
		return err
	}
	if s := strings.TrimSpace(string(b)); s != "" && s != "null" {
		if err := json.Unmarshal(b, &props); err != nil {
			return badRequest("Invalid request body: %v", err)
		}
	}
	if m, err := h.res.PartitionedTopicMetadata(ctx, t); err != nil {
		return err
	} else if m.Partitions > 0 {
		return ErrTopicExists
	}
	if t.IsPartition() {
		if m, _ := h.res.PartitionedTopicMetadata(ctx, t.Base()); m.Partitions > t.Partition {
			return ErrTopicExists
		}
	}
	if err := h.broker.CreateTopic(ctx, t); err != nil {
		return err
	}
	if len(props) > 0 {
		err := h.res.UpdateTopicPolicies(ctx, t, func(tp *resources.TopicPolicies) error {
			tp.Properties = props
			return nil
		})
		if err != nil {
			return err
		}
	}
	return done(w)
}

func (h *Handler) deleteTopic(w http.ResponseWriter, r *http.Request, t topicname.Name) error {
	ctx := r.Context()
	if err := h.res.CheckNamespace(ctx, t.Namespace); err != nil {
		return err
	}
	if m, err := h.res.PartitionedTopicMetadata(ctx, t); err != nil {
		return err
	} else if m.Partitions > 0 {
		return preconditionFailed("Topic %s is a partitioned topic: delete it with the partitions endpoint", t)
	}
	if err := h.broker.DeleteTopic(ctx, t, queryBool(r, "force", false)); err != nil {
		return err
	}
	if !t.IsPartition() {
		if err := h.res.DeleteTopicPolicies(ctx, t); err != nil {
			return err
		}
	}
	return done(w)
}

// Topic properties live in the partitioned topic's record, or (non-partitioned) with
// the topic's policies.
func (h *Handler) getTopicProperties(w http.ResponseWriter, r *http.Request, t topicname.Name) error {
	ctx := r.Context()
	if m, err := h.res.GetPartitionedTopic(ctx, t); err == nil {
		return ok(w, nonNilMap(m.Properties))
	}
	if exists, err := h.broker.TopicExists(ctx, t); err != nil {
		return err
	} else if !exists {
		return ErrTopicNotFound
	}
	tp, err := h.res.TopicPolicies(ctx, t)
	if err != nil || tp == nil {
		return okOrErr(w, map[string]string{}, err)
	}
	return ok(w, nonNilMap(tp.Properties))
}

func (h *Handler) updateTopicProperties(w http.ResponseWriter, r *http.Request, t topicname.Name) error {
	props, err := jsonBody[map[string]string](w, r)
	if err != nil {
		return err
	}
	return h.changeTopicProperties(w, r, t, func(m map[string]string) { maps.Copy(m, props) })
}

func (h *Handler) removeTopicProperty(w http.ResponseWriter, r *http.Request, t topicname.Name) error {
	key := r.URL.Query().Get("key")
	return h.changeTopicProperties(w, r, t, func(m map[string]string) { delete(m, key) })
}

func (h *Handler) changeTopicProperties(w http.ResponseWriter, r *http.Request, t topicname.Name, fn func(map[string]string)) error {
	ctx := r.Context()
	if m, _ := h.res.PartitionedTopicMetadata(ctx, t); m.Partitions > 0 {
		if err := h.res.UpdatePartitionedTopicProperties(ctx, t, fn); err != nil {
			return err
		}
		return done(w)
	}
	if exists, err := h.broker.TopicExists(ctx, t); err != nil {
		return err
	} else if !exists {
		return ErrTopicNotFound
	}
	err := h.res.UpdateTopicPolicies(ctx, t, func(tp *resources.TopicPolicies) error {
		if tp.Properties == nil {
			tp.Properties = map[string]string{}
		}
		fn(tp.Properties)
		return nil
	})
	if err != nil {
		return err
	}
	return done(w)
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func okOrErr(w http.ResponseWriter, v any, err error) error {
	if err != nil {
		return err
	}
	return ok(w, v)
}
