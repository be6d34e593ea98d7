package admin

import (
	"fmt"
	"time"

	pa "github.com/apache/pulsar-client-go/pulsaradmin/pkg/admin"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
	"github.com/spf13/cobra"
)

// topicAction is an action on the topic named by the first argument.
func topicAction(fn func(c pa.Client, t utils.TopicName) (any, error)) action {
	return func(c pa.Client, args []string) (any, error) {
		t, err := utils.GetTopicName(args[0])
		if err != nil {
			return nil, err
		}
		return fn(c, *t)
	}
}

func topicsCommand(o *options) *cobra.Command {
	cmd := group("topics", "Operations about topics", []string{"topic"})
	var partitions int
	createPartitioned := o.verb("create-partitioned-topic TOPIC", "Create a partitioned topic", 1,
		topicAction(func(c pa.Client, t utils.TopicName) (any, error) {
			if partitions < 1 {
				return nil, fmt.Errorf("--partitions must be 1 or more")
			}
			return nil, c.Topics().Create(t, partitions)
		}))
	createPartitioned.Flags().IntVarP(&partitions, "partitions", "p", 0, "number of partitions")
	updatePartitioned := o.verb("update-partitioned-topic TOPIC", "Grow a partitioned topic", 1,
		topicAction(func(c pa.Client, t utils.TopicName) (any, error) { return nil, c.Topics().Update(t, partitions) }))
	updatePartitioned.Flags().IntVarP(&partitions, "partitions", "p", 0, "new number of partitions")
	var force bool
	del := o.verb("delete TOPIC", "Delete a non-partitioned topic", 1,
		topicAction(func(c pa.Client, t utils.TopicName) (any, error) { return nil, c.Topics().Delete(t, force, true) }))
	del.Flags().BoolVarP(&force, "force", "f", false, "disconnect producers and consumers first")
	delPartitioned := o.verb("delete-partitioned-topic TOPIC", "Delete a partitioned topic", 1,
		topicAction(func(c pa.Client, t utils.TopicName) (any, error) { return nil, c.Topics().Delete(t, force, false) }))
	delPartitioned.Flags().BoolVarP(&force, "force", "f", false, "disconnect producers and consumers first")
	var perPartition bool
	pstats := o.verb("partitioned-stats TOPIC", "Get the stats of a partitioned topic", 1,
		topicAction(func(c pa.Client, t utils.TopicName) (any, error) {
			return c.Topics().GetPartitionedStats(t, perPartition)
		}))
	pstats.Flags().BoolVar(&perPartition, "per-partition", false, "include each partition's stats")
	cmd.AddCommand(
		o.verb("list TENANT/NAMESPACE", "List the non-partitioned topics and partitions of a namespace", 1,
			func(c pa.Client, args []string) (any, error) {
				n, err := nsName(args[0])
				if err != nil {
					return nil, err
				}
				_, topics, err := c.Topics().List(n)
				return nonNil(topics), err
			}),
		o.verb("list-partitioned-topics TENANT/NAMESPACE", "List the partitioned topics of a namespace", 1,
			func(c pa.Client, args []string) (any, error) {
				n, err := nsName(args[0])
				if err != nil {
					return nil, err
				}
				topics, _, err := c.Topics().List(n)
				return nonNil(topics), err
			}),
		o.verb("create TOPIC", "Create a non-partitioned topic", 1,
			topicAction(func(c pa.Client, t utils.TopicName) (any, error) { return nil, c.Topics().Create(t, 0) })),
		createPartitioned, updatePartitioned,
		o.verb("get-partitioned-topic-metadata TOPIC", "Get a partitioned topic's metadata", 1,
			topicAction(func(c pa.Client, t utils.TopicName) (any, error) { return c.Topics().GetMetadata(t) })),
		del, delPartitioned,
		o.verb("stats TOPIC", "Get a topic's stats", 1,
			topicAction(func(c pa.Client, t utils.TopicName) (any, error) { return c.Topics().GetStats(t) })),
		pstats,
		o.verb("stats-internal TOPIC", "Get a topic's internal stats", 1,
			topicAction(func(c pa.Client, t utils.TopicName) (any, error) { return c.Topics().GetInternalStats(t) })),
		o.verb("last-message-id TOPIC", "Get the id of a topic's last message", 1,
			topicAction(func(c pa.Client, t utils.TopicName) (any, error) { return c.Topics().GetLastMessageID(t) })),
		o.verb("terminate TOPIC", "Seal a topic against new messages", 1,
			topicAction(func(c pa.Client, t utils.TopicName) (any, error) { return c.Topics().Terminate(t) })),
		o.verb("unload TOPIC", "Unload a topic", 1,
			topicAction(func(c pa.Client, t utils.TopicName) (any, error) { return nil, c.Topics().Unload(t) })),
		o.verb("lookup TOPIC", "Look up the broker serving a topic", 1,
			topicAction(func(c pa.Client, t utils.TopicName) (any, error) {
				d, err := c.Topics().Lookup(t)
				return d.BrokerURL, err
			})),
		o.verb("subscriptions TOPIC", "List a topic's subscriptions", 1,
			topicAction(func(c pa.Client, t utils.TopicName) (any, error) {
				s, err := c.Subscriptions().List(t)
				return nonNil(s), err
			})),
	)
	cmd.AddCommand(subscriptionCommands(o)...)
	cmd.AddCommand(topicPolicyCommands(o)...)
	return cmd
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func subscriptionCommands(o *options) []*cobra.Command {
	var sub, position, messageID, relTime string
	var n int64
	var force bool
	subFlag := func(cmd *cobra.Command) *cobra.Command {
		cmd.Flags().StringVarP(&sub, "subscription", "s", "", "subscription name")
		cmd.MarkFlagRequired("subscription")
		return cmd
	}
	create := subFlag(o.verb("create-subscription TOPIC", "Create a subscription", 1,
		topicAction(func(c pa.Client, t utils.TopicName) (any, error) {
			id, err := positionOf(position)
			if err != nil {
				return nil, err
			}
			return nil, c.Subscriptions().Create(t, sub, id)
		})))
	create.Flags().StringVarP(&position, "messageId", "m", "latest", "start position: latest, earliest or ledgerId:entryId")
	unsub := subFlag(o.verb("unsubscribe TOPIC", "Delete a subscription", 1,
		topicAction(func(c pa.Client, t utils.TopicName) (any, error) {
			if force {
				return nil, c.Subscriptions().ForceDelete(t, sub)
			}
			return nil, c.Subscriptions().Delete(t, sub)
		})))
	unsub.Flags().BoolVarP(&force, "force", "f", false, "disconnect the subscription's consumers first")
	skip := subFlag(o.verb("skip TOPIC", "Skip messages of a subscription's backlog", 1,
		topicAction(func(c pa.Client, t utils.TopicName) (any, error) {
			return nil, c.Subscriptions().SkipMessages(t, sub, n)
		})))
	skip.Flags().Int64VarP(&n, "count", "n", 0, "number of messages to skip")
	expire := subFlag(o.verb("expire-messages TOPIC", "Expire messages older than a time", 1,
		topicAction(func(c pa.Client, t utils.TopicName) (any, error) {
			secs, err := parseSeconds(relTime)
			if err != nil {
				return nil, err
			}
			return nil, c.Subscriptions().ExpireMessages(t, sub, secs)
		})))
	expire.Flags().StringVarP(&relTime, "expireTime", "t", "", "expire messages older than this (30, 10m, 1h)")
	expireAll := o.verb("expire-messages-all-subscriptions TOPIC", "Expire old messages on every subscription", 1,
		topicAction(func(c pa.Client, t utils.TopicName) (any, error) {
			secs, err := parseSeconds(relTime)
			if err != nil {
				return nil, err
			}
			return nil, c.Subscriptions().ExpireAllMessages(t, secs)
		}))
	expireAll.Flags().StringVarP(&relTime, "expireTime", "t", "", "expire messages older than this (30, 10m, 1h)")
	reset := subFlag(o.verb("reset-cursor TOPIC", "Move a subscription to a time (-t) or a message id (-m)", 1,
		topicAction(func(c pa.Client, t utils.TopicName) (any, error) {
			switch {
			case relTime != "" && messageID == "":
				secs, err := parseSeconds(relTime)
				if err != nil {
					return nil, err
				}
				ts := time.Now().Add(-time.Duration(secs) * time.Second).UnixMilli()
				return nil, c.Subscriptions().ResetCursorToTimestamp(t, sub, ts)
			case messageID != "" && relTime == "":
				id, err := utils.ParseMessageIDWithPartitionIndex(messageID, t.GetPartitionIndex())
				if err != nil {
					return nil, err
				}
				return nil, c.Subscriptions().ResetCursorToMessageID(t, sub, *id)
			}
			return nil, fmt.Errorf("give exactly one of -t (time) and -m (message id)")
		})))
	reset.Flags().StringVarP(&relTime, "time", "t", "", "go back this long (10m, 3h, 1d)")
	reset.Flags().StringVarP(&messageID, "messageId", "m", "", "message id ledgerId:entryId")
	clear := subFlag(o.verb("clear-backlog TOPIC", "Acknowledge a subscription's whole backlog", 1,
		topicAction(func(c pa.Client, t utils.TopicName) (any, error) {
			return nil, c.Subscriptions().ClearBacklog(t, sub)
		})))
	var count int
	peek := subFlag(o.verb("peek-messages TOPIC", "Show messages of a subscription's backlog without consuming them", 1,
		topicAction(func(c pa.Client, t utils.TopicName) (any, error) {
			msgs, err := c.Subscriptions().PeekMessages(t, sub, count)
			if err != nil {
				return nil, err
			}
			return messageList(msgs), nil
		})))
	peek.Flags().IntVarP(&count, "count", "n", 1, "number of messages")
	var ledger, entry int64
	byID := o.verb("get-message-by-id TOPIC", "Show the message at ledger:entry", 1,
		topicAction(func(c pa.Client, t utils.TopicName) (any, error) {
			msgs, err := c.Subscriptions().GetMessagesByID(t, ledger, entry)
			if err != nil {
				return nil, err
			}
			return messageList(msgs), nil
		}))
	byID.Flags().Int64VarP(&ledger, "ledgerId", "l", 0, "ledger id")
	byID.Flags().Int64VarP(&entry, "entryId", "e", 0, "entry id")
	return []*cobra.Command{create, unsub, skip, expire, expireAll, reset, clear, peek, byID}
}

// positionOf reads latest, earliest or ledgerId:entryId.
func positionOf(s string) (utils.MessageID, error) {
	switch s {
	case "latest", "":
		return utils.Latest, nil
	case "earliest":
		return utils.Earliest, nil
	}
	id, err := utils.ParseMessageID(s)
	if err != nil {
		return utils.MessageID{}, err
	}
	return *id, nil
}

// shownMessage is how peek-messages and get-message-by-id print a message.
type shownMessage struct {
	MessageID  string            `json:"messageId"`
	Properties map[string]string `json:"properties"`
	Payload    string            `json:"payload"`
}

type messages []shownMessage

func (m messages) String() string {
	var s string
	for i, msg := range m {
		if i > 0 {
			s += "\n"
		}
		s += fmt.Sprintf("Message ID: %s\nProperties: %v\n%s", msg.MessageID, msg.Properties, msg.Payload)
	}
	return s
}

func messageList(msgs []*utils.Message) messages {
	out := make(messages, 0, len(msgs))
	for _, m := range msgs {
		id := m.MessageID
		out = append(out, shownMessage{
			MessageID:  fmt.Sprintf("%d:%d:%d:%d", id.LedgerID, id.EntryID, id.PartitionIndex, id.BatchIndex),
			Properties: m.Properties, Payload: string(m.Payload),
		})
	}
	return out
}

func topicPolicyCommands(o *options) []*cobra.Command {
	var ttl, maxN int
	setTTL := o.verb("set-message-ttl TOPIC", "Set the topic's message TTL in seconds", 1,
		topicAction(func(c pa.Client, t utils.TopicName) (any, error) { return nil, c.Topics().SetMessageTTL(t, ttl) }))
	setTTL.Flags().IntVarP(&ttl, "ttl", "t", 0, "message TTL in seconds")
	setMaxP := o.verb("set-max-producers TOPIC", "Set the topic's max producers", 1,
		topicAction(func(c pa.Client, t utils.TopicName) (any, error) { return nil, c.Topics().SetMaxProducers(t, maxN) }))
	setMaxP.Flags().IntVarP(&maxN, "max-producers", "p", 0, "max producers")
	setMaxC := o.verb("set-max-consumers TOPIC", "Set the topic's max consumers", 1,
		topicAction(func(c pa.Client, t utils.TopicName) (any, error) { return nil, c.Topics().SetMaxConsumers(t, maxN) }))
	setMaxC.Flags().IntVarP(&maxN, "max-consumers", "c", 0, "max consumers")
	var size, tm string
	setRet := o.verb("set-retention TOPIC", "Set the topic's retention", 1,
		topicAction(func(c pa.Client, t utils.TopicName) (any, error) {
			bytes, err := parseSize(size)
			if err != nil {
				return nil, err
			}
			secs, err := parseSeconds(tm)
			if err != nil {
				return nil, err
			}
			r := utils.RetentionPolicies{RetentionSizeInMB: bytes, RetentionTimeInMinutes: int(secs)}
			if bytes > 0 {
				r.RetentionSizeInMB = bytes >> 20
			}
			if secs > 0 {
				r.RetentionTimeInMinutes = int(secs / 60)
			}
			return nil, c.Topics().SetRetention(t, r)
		}))
	setRet.Flags().StringVar(&size, "size", "", "retention size: 10M, 16G, 0 or -1")
	setRet.Flags().StringVar(&tm, "time", "", "retention time: 100m, 3h, 2d, 0 or -1")
	var limit, limitTime, policy, typ string
	setQuota := o.verb("set-backlog-quota TOPIC", "Set a backlog quota on the topic", 1,
		topicAction(func(c pa.Client, t utils.TopicName) (any, error) {
			q, qt, err := backlogQuota(limit, limitTime, policy, typ)
			if err != nil {
				return nil, err
			}
			return nil, c.Topics().SetBacklogQuota(t, q, qt)
		}))
	backlogFlags(setQuota, &limit, &limitTime, &policy, &typ)
	return []*cobra.Command{
		setTTL,
		o.verb("get-message-ttl TOPIC", "Get the topic's message TTL (-1: not set)", 1,
			topicAction(func(c pa.Client, t utils.TopicName) (any, error) { return c.Topics().GetMessageTTL(t) })),
		o.verb("remove-message-ttl TOPIC", "Remove the topic's message TTL", 1,
			topicAction(func(c pa.Client, t utils.TopicName) (any, error) { return nil, c.Topics().RemoveMessageTTL(t) })),
		setMaxP,
		o.verb("get-max-producers TOPIC", "Get the topic's max producers (-1: not set)", 1,
			topicAction(func(c pa.Client, t utils.TopicName) (any, error) { return c.Topics().GetMaxProducers(t) })),
		o.verb("remove-max-producers TOPIC", "Remove the topic's max producers", 1,
			topicAction(func(c pa.Client, t utils.TopicName) (any, error) { return nil, c.Topics().RemoveMaxProducers(t) })),
		setMaxC,
		o.verb("get-max-consumers TOPIC", "Get the topic's max consumers (-1: not set)", 1,
			topicAction(func(c pa.Client, t utils.TopicName) (any, error) { return c.Topics().GetMaxConsumers(t) })),
		o.verb("remove-max-consumers TOPIC", "Remove the topic's max consumers", 1,
			topicAction(func(c pa.Client, t utils.TopicName) (any, error) { return nil, c.Topics().RemoveMaxConsumers(t) })),
		setRet,
		o.verb("get-retention TOPIC", "Get the topic's retention", 1,
			topicAction(func(c pa.Client, t utils.TopicName) (any, error) {
				r, err := c.Topics().GetRetention(t, false)
				if r == nil {
					return nil, err
				}
				return r, err
			})),
		o.verb("remove-retention TOPIC", "Remove the topic's retention", 1,
			topicAction(func(c pa.Client, t utils.TopicName) (any, error) { return nil, c.Topics().RemoveRetention(t) })),
		setQuota,
		o.verb("get-backlog-quotas TOPIC", "Get the topic's backlog quotas", 1,
			topicAction(func(c pa.Client, t utils.TopicName) (any, error) { return c.Topics().GetBacklogQuotaMap(t, false) })),
	}
}
