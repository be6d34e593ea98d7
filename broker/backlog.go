package broker

import (
	"context"
	"time"

	"github.com/magnetar/magnetar/resources"
	"github.com/magnetar/magnetar/wire/pb"
)

// Backlog quotas (destination_storage): when a subscription's backlog of a persistent
// topic grows past the quota's size, producers are closed and new ones refused with
// ProducerBlockedQuotaExceededError (policy producer_request_hold) or ...Exception
// (producer_exception), until consumers catch up. consumer_backlog_eviction instead
// acknowledges the oldest messages of the subscriptions over the limit.

// quotaCheck tells what the topic's backlog quota (as of its last policy refresh) says
// now: the exceeded policy, or "".
func (t *topic) quotaCheck() resources.BacklogQuotaPolicy {
	if t.ml == nil {
		return ""
	}
	q, ok := t.policies().BacklogQuotas[resources.DestinationStorage]
	if !ok || q.LimitSize <= 0 {
		return ""
	}
	for _, s := range t.durableSubscriptions() {
		if s.cursor.BacklogBytes() > q.LimitSize {
			return q.Policy
		}
	}
	return ""
}

func (t *topic) durableSubscriptions() []*subscription {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*subscription
	for _, s := range t.subs {
		if s.durable && s.cursor != nil {
			out = append(out, s)
		}
	}
	return out
}

// quotaError is the answer to a producer while the quota is exceeded.
func quotaError(p resources.BacklogQuotaPolicy, topic string) error {
	if p == resources.ProducerException {
		return errorf(pb.ServerError_ProducerBlockedQuotaExceededException, "Cannot create producer on topic %s with backlog quota exceeded", topic)
	}
	return errorf(pb.ServerError_ProducerBlockedQuotaExceededError, "Cannot create producer on topic %s with backlog quota exceeded", topic)
}

// enforceQuota applies the quota to a loaded topic (the periodic check).
func (t *topic) enforceQuota(ctx context.Context) {
	if err := t.refreshPolicies(ctx); err != nil {
		t.log.Debug("refresh policies", "err", err)
	}
	policy := t.quotaCheck()
	if policy == "" {
		return
	}
	switch policy {
	case resources.ProducerRequestHold, resources.ProducerException:
		t.mu.Lock()
		producers := make([]*producer, 0, len(t.producers))
		for _, p := range t.producers {
			producers = append(producers, p)
		}
		t.mu.Unlock()
		if len(producers) > 0 {
			t.log.Info("backlog quota exceeded: closing producers", "policy", policy, "producers", len(producers))
		}
		for _, p := range producers {
			p.closeByBroker(true)
			t.removeProducer(p)
		}
	case resources.ConsumerBacklogEviction:
		limit := t.policies().BacklogQuotas[resources.DestinationStorage].LimitSize
		for _, s := range t.durableSubscriptions() {
			// Drop the oldest entries until the backlog fits (a few at a time: sizes vary).
			for i := 0; i < 1000 && s.cursor.BacklogBytes() > limit; i++ {
				if err := s.cursor.Skip(1); err != nil {
					break
				}
			}
			s.wake()
		}
	}
}

// backlogQuotaLoop checks every loaded topic's quota periodically
// (backlogQuotaCheckIntervalInSeconds).
func (b *Broker) backlogQuotaLoop() {
	defer b.wg.Done()
	every := time.Duration(b.cfg.BacklogQuotaCheckIntervalInSeconds) * time.Second
	if !b.cfg.BacklogQuotaCheckEnabled || every <= 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-b.ctx.Done():
			return
		case <-t.C:
		}
		for _, tp := range b.topics.loaded() {
			ctx, cancel := context.WithTimeout(b.ctx, requestTimeout)
			tp.enforceQuota(ctx)
			cancel()
		}
	}
}
