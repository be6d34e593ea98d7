package broker

import (
	"context"
	"errors"
	"time"

	"github.com/magnetar/magnetar/managedledger"
)

// Message TTL: every messageExpiryCheckIntervalInMinutes, each durable subscription of a
// loaded topic whose policies set message_ttl_in_seconds acknowledges the messages
// published longer ago than that (its mark-delete position moves past them), so its
// backlog drops and a consumer that connects later gets only fresh messages. Readers
// (non-durable subscriptions) are not expired: they acknowledge nothing. Expired
// messages stay readable while retention keeps them.
//
// Subscription expiration: every subscriptionExpiryCheckIntervalInMinutes, durable
// subscriptions without consumers that have been idle for longer than
// subscription_expiration_time_minutes are deleted.

// messageExpiryLoop runs the message TTL check.
func (b *Broker) messageExpiryLoop() {
	defer b.wg.Done()
	b.every(func(c *Config) time.Duration { return c.messageExpiryEvery() }, func() {
		for _, t := range b.topics.loaded() {
			ctx, cancel := b.requestContext()
			t.expireByTTL(ctx)
			cancel()
		}
	})
}

// subscriptionExpiryLoop runs the subscription expiration check.
func (b *Broker) subscriptionExpiryLoop() {
	defer b.wg.Done()
	b.every(func(c *Config) time.Duration { return c.subscriptionExpiryEvery() }, func() {
		for _, t := range b.topics.loaded() {
			ctx, cancel := b.requestContext()
			t.expireSubscriptions(ctx, time.Now())
			cancel()
		}
	})
}

// every runs fn each period (read from the live configuration before every wait; a
// period <= 0 pauses the check) until the broker closes.
func (b *Broker) every(period func(*Config) time.Duration, fn func()) {
	for {
		d := period(b.liveConfig())
		wait := d
		if d <= 0 {
			wait = time.Minute // disabled: look at the configuration again later
		}
		select {
		case <-b.ctx.Done():
			return
		case <-time.After(wait):
		}
		if d > 0 {
			fn()
		}
	}
}

// expireByTTL applies the topic's message TTL to its durable subscriptions.
func (t *topic) expireByTTL(ctx context.Context) {
	if t.ml == nil || t.isClosed() {
		return
	}
	if err := t.refreshPolicies(ctx); err != nil {
		t.log.Debug("refresh policies", "err", err)
	}
	ttl := t.policies().MessageTTLSeconds
	if ttl <= 0 {
		return
	}
	var backlogged []*subscription
	for _, s := range t.durableSubscriptions() {
		if s.cursor.Backlog() > 0 {
			backlogged = append(backlogged, s)
		}
	}
	if len(backlogged) == 0 {
		return
	}
	last, ok, err := t.lastPublishedBefore(ctx, time.Now().Add(-time.Duration(ttl)*time.Second))
	if err != nil {
		t.log.Warn("message expiry", "err", err)
		return
	}
	if !ok {
		return
	}
	for _, s := range backlogged {
		if err := s.expireThrough(last); err != nil && !errors.Is(err, managedledger.ErrClosed) {
			t.log.Warn("message expiry", "sub", s.name, "err", err)
		}
	}
}

// expireOlderThan acknowledges every message of the subscription published more than
// age ago.
func (s *subscription) expireOlderThan(ctx context.Context, age time.Duration) error {
	if s.cursor == nil {
		return nil
	}
	last, ok, err := s.t.lastPublishedBefore(ctx, time.Now().Add(-age))
	if err != nil || !ok {
		return err
	}
	return s.expireThrough(last)
}

// lastPublishedBefore is the position of the last entry published before t (ok is
// false when there is none). Entries are in publish-time order.
func (t *topic) lastPublishedBefore(ctx context.Context, before time.Time) (managedledger.Position, bool, error) {
	keep, err := t.findPublishTime(ctx, before.UnixMilli()) // the first entry young enough to stay
	if err != nil {
		return managedledger.Position{}, false, err
	}
	last, ok := t.positionBefore(keep)
	return last, ok, nil
}

// expireThrough acknowledges everything up to and including last (the messages the
// TTL expired), counting them in the subscription's stats.
func (s *subscription) expireThrough(last managedledger.Position) error {
	if last.Compare(s.cursor.MarkDeleted()) <= 0 {
		return nil
	}
	before := s.cursor.Backlog()
	if err := s.cursor.MarkDelete(last); err != nil {
		return err
	}
	expired := max(before-s.cursor.Backlog(), 0)
	now := time.Now().UnixMilli()
	s.mu.Lock()
	s.totalExpired += expired
	s.lastExpire = now
	s.lastMarkDeleteAdvanced = now
	s.mu.Unlock()
	s.wake()
	return nil
}

// positionBefore is the position of the entry just before pos (pos may be the position
// after the last entry); ok is false when no stored entry precedes it.
func (t *topic) positionBefore(pos managedledger.Position) (managedledger.Position, bool) {
	if pos.EntryID > 0 {
		return managedledger.Position{LedgerID: pos.LedgerID, EntryID: pos.EntryID - 1}, true
	}
	ledgers := t.ml.Stats().Ledgers
	for i := len(ledgers) - 1; i >= 0; i-- {
		l := ledgers[i]
		if l.LedgerID >= pos.LedgerID || l.Entries <= 0 {
			continue
		}
		return managedledger.Position{LedgerID: l.LedgerID, EntryID: l.Entries - 1}, true
	}
	return managedledger.Position{}, false
}

// expireSubscriptions deletes durable subscriptions idle (no consumer, no activity)
// for longer than the topic's subscription_expiration_time_minutes.
func (t *topic) expireSubscriptions(ctx context.Context, now time.Time) {
	if t.ml == nil || t.isClosed() {
		return
	}
	minutes := t.policies().SubscriptionExpirationMinutes
	if minutes <= 0 {
		return
	}
	limit := time.Duration(minutes) * time.Minute
	for _, s := range t.durableSubscriptions() {
		if s.hasConsumers() || now.Sub(s.lastActivity()) <= limit {
			continue
		}
		t.log.Info("deleting expired subscription", "sub", s.name, "idle", now.Sub(s.lastActivity()).Round(time.Second))
		if err := t.deleteSubscription(ctx, s, false); err != nil {
			t.log.Warn("delete expired subscription", "sub", s.name, "err", err)
		}
	}
}

// lastActivity is the later of the subscription's last consumer change or
// acknowledgement and its cursor's last read or acknowledgement.
func (s *subscription) lastActivity() time.Time {
	last := time.UnixMilli(s.lastActive.Load())
	if s.cursor != nil {
		if c := s.cursor.LastActive(); c.After(last) {
			last = c
		}
	}
	return last
}
