package broker

import (
	"context"
	"errors"
	"time"

	"github.com/magnetar/magnetar/managedledger"
	"github.com/magnetar/magnetar/resources"
	"github.com/magnetar/magnetar/resources/topicname"
	"github.com/magnetar/magnetar/wire/pb"
)

// parseTopic parses a client-supplied topic name, with Pulsar's error code.
func parseTopic(s string) (topicname.Name, error) {
	n, err := topicname.Parse(s)
	if err != nil {
		return n, errorf(pb.ServerError_InvalidTopicName, "%v", err)
	}
	return n, nil
}

// policies returns the policies in force for a topic (broker defaults, namespace and
// topic levels resolved); a missing tenant or namespace is TopicNotFound with Pulsar's
// reason, so clients stop retrying.
func (b *Broker) policies(ctx context.Context, n topicname.Name) (*resources.Effective, error) {
	e, err := b.res.EffectivePolicies(ctx, n)
	if errors.Is(err, resources.ErrNotFound) {
		return nil, errorf(pb.ServerError_TopicNotFound, "%s: %s", resources.ReasonOf(err), n.Namespace)
	}
	if err != nil {
		return nil, errorf(pb.ServerError_MetadataError, "policies of %s: %v", n, err)
	}
	return &e, nil
}

// autoTopicCreation is what auto-creation means for a topic.
type autoTopicCreation struct {
	allowed     bool
	partitioned bool
	partitions  int
}

func autoCreation(e *resources.Effective) autoTopicCreation {
	o := e.AutoTopicCreation
	a := autoTopicCreation{allowed: o.AllowAutoTopicCreation, partitioned: o.TopicType == "partitioned", partitions: 1}
	if o.DefaultNumPartitions != nil && *o.DefaultNumPartitions > 0 {
		a.partitions = *o.DefaultNumPartitions
	}
	return a
}

// ledgerConfig is a topic's managed-ledger configuration: the broker's rollover settings
// with the effective persistence and retention policies.
func (b *Broker) ledgerConfig(e *resources.Effective) managedledger.Config {
	c := b.cfg
	cfg := managedledger.Config{
		EnsembleSize:          c.ManagedLedgerDefaultEnsembleSize,
		WriteQuorum:           c.ManagedLedgerDefaultWriteQuorum,
		AckQuorum:             c.ManagedLedgerDefaultAckQuorum,
		MaxEntriesPerLedger:   c.ManagedLedgerMaxEntriesPerLedger,
		MaxSizePerLedgerBytes: int64(c.ManagedLedgerMaxSizePerLedgerMbytes) << 20,
		MinLedgerRolloverTime: time.Duration(c.ManagedLedgerMinLedgerRolloverTimeMinutes) * time.Minute,
		MaxLedgerRolloverTime: time.Duration(c.ManagedLedgerMaxLedgerRolloverTimeMinutes) * time.Minute,
		RetentionTime:         minutesOrInfinite(c.DefaultRetentionTimeInMinutes),
		RetentionSizeBytes:    mbOrInfinite(int64(c.DefaultRetentionSizeInMB)),
		MarkDeleteRate:        c.ManagedLedgerDefaultMarkDeleteRateLimit,
	}
	if e == nil {
		return cfg
	}
	ps := e.Persistence
	if ps.BookkeeperEnsemble > 0 && ps.BookkeeperWriteQuorum > 0 && ps.BookkeeperAckQuorum > 0 {
		cfg.EnsembleSize, cfg.WriteQuorum, cfg.AckQuorum = ps.BookkeeperEnsemble, ps.BookkeeperWriteQuorum, ps.BookkeeperAckQuorum
	}
	if ps.ManagedLedgerMaxMarkDeleteRate > 0 {
		cfg.MarkDeleteRate = ps.ManagedLedgerMaxMarkDeleteRate
	}
	cfg.RetentionTime = minutesOrInfinite(e.Retention.RetentionTimeInMinutes)
	cfg.RetentionSizeBytes = mbOrInfinite(e.Retention.RetentionSizeInMB)
	return cfg
}

// Pulsar's retention units: -1 is infinite, 0 none.
func minutesOrInfinite(m int) time.Duration {
	if m < 0 {
		return -1
	}
	return time.Duration(m) * time.Minute
}

func mbOrInfinite(mb int64) int64 {
	if mb < 0 {
		return -1
	}
	return mb << 20
}
