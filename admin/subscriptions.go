package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/magnetar/magnetar/resources/topicname"
)

func (h *Handler) routeSubscriptions(d topicname.Domain) {
	t := "/admin/v2/" + string(d) + "/{tenant}/{namespace}/{topic}"
	sub := t + "/subscription/{subscription}"
	h.route("PUT "+sub, h.subscription(d, h.createSubscription))
	h.route("DELETE "+sub, h.subscription(d, func(w http.ResponseWriter, r *http.Request, tn topicname.Name, s string) error {
		force := queryBool(r, "force", false)
		return h.eachPartitionDone(w, r, tn, func(p topicname.Name) error { return h.broker.DeleteSubscription(r.Context(), p, s, force) })
	}))
	h.route("POST "+sub+"/skip_all", h.subscription(d, func(w http.ResponseWriter, r *http.Request, tn topicname.Name, s string) error {
		return h.eachPartitionDone(w, r, tn, func(p topicname.Name) error { return h.broker.Skip(r.Context(), p, s, -1) })
	}))
	h.route("POST "+sub+"/skip/{numMessages}", h.subscription(d, func(w http.ResponseWriter, r *http.Request, tn topicname.Name, s string) error {
		n, err := strconv.ParseInt(r.PathValue("numMessages"), 10, 64)
		if err != nil || n < 0 {
			return badRequest("Invalid number of messages %q", r.PathValue("numMessages"))
		}
		if m, _ := h.res.PartitionedTopicMetadata(r.Context(), tn); m.Partitions > 0 {
			return &statusError{http.StatusMethodNotAllowed, "Skip messages on a partitioned topic is not allowed"}
		}
		if err := h.broker.Skip(r.Context(), tn, s, n); err != nil {
			return err
		}
		return done(w)
	}))
	h.route("POST "+sub+"/expireMessages/{seconds}", h.subscription(d, func(w http.ResponseWriter, r *http.Request, tn topicname.Name, s string) error {
		secs, err := seconds(r)
		if err != nil {
			return err
		}
		return h.eachPartitionDone(w, r, tn, func(p topicname.Name) error { return h.broker.ExpireMessages(r.Context(), p, s, secs) })
	}))
	h.route("POST "+t+"/all_subscription/expireMessages/{seconds}", h.topic(d, func(w http.ResponseWriter, r *http.Request, tn topicname.Name) error {
		secs, err := seconds(r)
		if err != nil {
			return err
		}
		return h.eachPartitionDone(w, r, tn, func(p topicname.Name) error {
			st, err := h.broker.Stats(r.Context(), p)
			if err != nil {
				return err
			}
			for _, s := range slices.Sorted(maps.Keys(st.Subscriptions)) {
				if err := h.broker.ExpireMessages(r.Context(), p, s, secs); err != nil {
					return err
				}
			}
			return nil
		})
	}))
	h.route("POST "+sub+"/resetcursor/{timestamp}", h.subscription(d, func(w http.ResponseWriter, r *http.Request, tn topicname.Name, s string) error {
		ts, err := strconv.ParseInt(r.PathValue("timestamp"), 10, 64)
		if err != nil {
			return badRequest("Invalid timestamp %q", r.PathValue("timestamp"))
		}
		return h.eachPartitionDone(w, r, tn, func(p topicname.Name) error { return h.broker.ResetCursorToTime(r.Context(), p, s, ts) })
	}))
	h.route("POST "+sub+"/resetcursor", h.subscription(d, func(w http.ResponseWriter, r *http.Request, tn topicname.Name, s string) error {
		id, err := messageIDBody(w, r, false)
		if err != nil {
			return err
		}
		excluded := queryBool(r, "isExcluded", id.excluded)
		target := tn
		if m, _ := h.res.PartitionedTopicMetadata(r.Context(), tn); m.Partitions > 0 {
			if id.PartitionIndex < 0 || id.PartitionIndex >= m.Partitions {
				return preconditionFailed("Invalid partition index %d of a topic with %d partitions", id.PartitionIndex, m.Partitions)
			}
			target = tn.PartitionName(id.PartitionIndex)
		}
		if err := h.broker.ResetCursorToID(r.Context(), target, s, id.MessageID, excluded); err != nil {
			return err
		}
		return done(w)
	}))
	h.route("GET "+sub+"/position/{messagePosition}", h.subscription(d, func(w http.ResponseWriter, r *http.Request, tn topicname.Name, s string) error {
		n, err := strconv.ParseInt(r.PathValue("messagePosition"), 10, 64)
		if err != nil || n < 1 {
			return preconditionFailed("Invalid message position %q: it must be 1 or more", r.PathValue("messagePosition"))
		}
		if m, _ := h.res.PartitionedTopicMetadata(r.Context(), tn); m.Partitions > 0 {
			return errPartitionedPeek
		}
		msg, err := h.broker.PeekMessage(r.Context(), tn, s, n)
		if err != nil {
			return err
		}
		return writeMessage(w, msg)
	}))
	h.route("GET "+t+"/examinemessage", h.topic(d, func(w http.ResponseWriter, r *http.Request, tn topicname.Name) error {
		q := r.URL.Query()
		fromLatest := true
		switch strings.ToLower(q.Get("initialPosition")) {
		case "", "latest":
		case "earliest":
			fromLatest = false
		default:
			return preconditionFailed("Invalid initialPosition %q: use latest or earliest", q.Get("initialPosition"))
		}
		n := int64(1)
		if s := q.Get("messagePosition"); s != "" {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil || v < 1 {
				return preconditionFailed("Invalid messagePosition %q: it must be 1 or more", s)
			}
			n = v
		}
		if m, _ := h.res.PartitionedTopicMetadata(r.Context(), tn); m.Partitions > 0 {
			return &statusError{http.StatusMethodNotAllowed, "Examine messages on a partitioned topic is not allowed, please try examine message on specific topic partition"}
		}
		msg, err := h.broker.ExamineMessage(r.Context(), tn, fromLatest, n)
		if err != nil {
			return err
		}
		return writeMessage(w, msg)
	}))
	h.route("GET "+t+"/ledger/{ledgerId}/entry/{entryId}", h.topic(d, func(w http.ResponseWriter, r *http.Request, tn topicname.Name) error {
		l, err1 := strconv.ParseInt(r.PathValue("ledgerId"), 10, 64)
		e, err2 := strconv.ParseInt(r.PathValue("entryId"), 10, 64)
		if err1 != nil || err2 != nil {
			return badRequest("Invalid message id %s:%s", r.PathValue("ledgerId"), r.PathValue("entryId"))
		}
		msg, err := h.broker.MessageByID(r.Context(), tn, l, e)
		if err != nil {
			return err
		}
		return writeMessage(w, msg)
	}))
}

// subscriptionFunc is a handler of one subscription.
type subscriptionFunc func(w http.ResponseWriter, r *http.Request, t topicname.Name, sub string) error

func (h *Handler) subscription(d topicname.Domain, fn subscriptionFunc) apiFunc {
	return h.topic(d, func(w http.ResponseWriter, r *http.Request, t topicname.Name) error {
		s, err := subscriptionOf(r)
		if err != nil {
			return err
		}
		return fn(w, r, t, s)
	})
}

// eachPartitionDone runs fn on the topic or each of its partitions and answers 204.
func (h *Handler) eachPartitionDone(w http.ResponseWriter, r *http.Request, t topicname.Name, fn func(topicname.Name) error) error {
	if err := h.res.CheckNamespace(r.Context(), t.Namespace); err != nil {
		return err
	}
	if err := h.eachPartition(r.Context(), t, fn); err != nil {
		return err
	}
	return done(w)
}

func seconds(r *http.Request) (int64, error) {
	v, err := strconv.ParseInt(r.PathValue("seconds"), 10, 64)
	if err != nil || v < 0 {
		return 0, badRequest("Invalid expiration time %q", r.PathValue("seconds"))
	}
	return v, nil
}

// messageIDBody is a MessageId or ResetCursorData body; empty means latest if
// emptyIsLatest, else it is an error.
type cursorTarget struct {
	MessageID
	excluded bool
}

func messageIDBody(w http.ResponseWriter, r *http.Request, emptyIsLatest bool) (cursorTarget, error) {
	b, err := readBody(w, r)
	if err != nil {
		return cursorTarget{}, err
	}
	if s := strings.TrimSpace(string(b)); s == "" || s == "null" {
		if emptyIsLatest {
			return cursorTarget{MessageID: Latest}, nil
		}
		return cursorTarget{}, badRequest("A message id is required")
	}
	var raw struct {
		LedgerID       *int64 `json:"ledgerId"`
		EntryID        *int64 `json:"entryId"`
		PartitionIndex *int   `json:"partitionIndex"`
		BatchIndex     *int   `json:"batchIndex"`
		IsExcluded     bool   `json:"isExcluded"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return cursorTarget{}, badRequest("Invalid message id: %v", err)
	}
	if raw.LedgerID == nil || raw.EntryID == nil {
		return cursorTarget{}, badRequest("Invalid message id: ledgerId and entryId are required")
	}
	t := cursorTarget{MessageID: MessageID{LedgerID: *raw.LedgerID, EntryID: *raw.EntryID, PartitionIndex: -1}, excluded: raw.IsExcluded}
	if raw.PartitionIndex != nil {
		t.PartitionIndex = *raw.PartitionIndex
	}
	if raw.BatchIndex != nil {
		t.BatchIndex = *raw.BatchIndex
	}
	return t, nil
}

func (h *Handler) createSubscription(w http.ResponseWriter, r *http.Request, t topicname.Name, s string) error {
	ctx := r.Context()
	if err := h.res.CheckNamespace(ctx, t.Namespace); err != nil {
		return err
	}
	start, err := messageIDBody(w, r, true)
	if err != nil {
		return err
	}
	m, err := h.res.PartitionedTopicMetadata(ctx, t)
	if err != nil {
		return err
	}
	if m.Partitions == 0 {
		if err := h.broker.CreateSubscription(ctx, t, s, start.MessageID); err != nil {
			return err
		}
		return done(w)
	}
	// A partitioned topic: the subscription is created on every partition, each from
	// its own earliest/latest (a specific id only makes sense on one partition).
	pos := start.MessageID
	if !pos.IsEarliest() && !pos.IsLatest() {
		return preconditionFailed("Creating a subscription of a partitioned topic at a message id is not supported: use earliest or latest")
	}
	for i := range m.Partitions {
		err := h.broker.CreateSubscription(ctx, t.PartitionName(i), s, pos)
		if err != nil && !errors.Is(err, ErrSubscriptionExists) {
			return err
		}
	}
	return done(w)
}

// writeMessage answers with a stored message: the payload as the body and its
// metadata in X-Pulsar-* headers, as Pulsar's broker does.
func writeMessage(w http.ResponseWriter, m *Message) error {
	hd := w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("X-Pulsar-Message-ID", fmt.Sprintf("%d:%d", m.ID.LedgerID, m.ID.EntryID))
	if md := m.Metadata; md != nil {
		hd.Set("X-Pulsar-publish-time", formatTime(int64(md.GetPublishTime())))
		if md.EventTime != nil {
			hd.Set("X-Pulsar-event-time", formatTime(int64(md.GetEventTime())))
		}
		if md.NumMessagesInBatch != nil {
			hd.Set("X-Pulsar-num-batch-message", strconv.Itoa(int(md.GetNumMessagesInBatch())))
			hd.Set("X-Pulsar-batch-size", strconv.Itoa(len(m.Payload)))
		}
		if md.ProducerName != nil {
			hd.Set("X-Pulsar-producer-name", md.GetProducerName())
		}
		hd.Set("X-Pulsar-sequence-id", strconv.FormatUint(md.GetSequenceId(), 10))
		if md.PartitionKey != nil {
			hd.Set("X-Pulsar-partition-key", md.GetPartitionKey())
		}
		if md.ReplicatedFrom != nil {
			hd.Set("X-Pulsar-replicated-from", md.GetReplicatedFrom())
		}
		if md.DeliverAtTime != nil {
			hd.Set("X-Pulsar-deliver-at-time", formatTime(md.GetDeliverAtTime()))
		}
		if md.GetNullValue() {
			hd.Set("X-Pulsar-null-value", "true")
		}
		if len(md.SchemaVersion) > 0 {
			hd.Set("X-Pulsar-schema-version", string(md.SchemaVersion))
		}
		if md.Compression != nil {
			hd.Set("X-Pulsar-compression", md.GetCompression().String())
			hd.Set("X-Pulsar-uncompressed-size", strconv.Itoa(int(md.GetUncompressedSize())))
		}
		if len(md.Properties) > 0 {
			props := make(map[string]string, len(md.Properties))
			for _, kv := range md.Properties {
				props[kv.GetKey()] = kv.GetValue()
			}
			b, _ := json.Marshal(props)
			hd.Set("X-Pulsar-Property", string(b))
		}
	}
	hd.Set("Content-Length", strconv.Itoa(len(m.Payload)))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(m.Payload)
	if err != nil {
		return nil // the client went away; nothing to answer
	}
	return nil
}

// formatTime is Pulsar's DateFormatter: ISO-8601 with milliseconds and offset.
func formatTime(ms int64) string {
	return time.UnixMilli(ms).Format("2006-01-02T15:04:05.000Z07:00")
}
