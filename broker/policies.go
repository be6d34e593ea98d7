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

// namespacePolicies returns a namespace's policies; a missing tenant or namespace is
// TopicNotFound with Pulsar's reason, so clients stop retrying.
func (b *Broker) namespacePolicies(ctx context.Context, ns topicname.Namespace) (*resources.Policies, error) {
	p, err := b.res.GetPolicies(ctx, ns)
	if errors.Is(err, resources.ErrNotFound) {
		return nil, errorf(pb.ServerError_TopicNotFound, "%s: %s", resources.ReasonOf(err), ns)
	}
	if err != nil {
		return nil, errorf(pb.ServerError_MetadataError, "namespace %s: %v", ns, err)
	}
	if p.Deleted {
		return nil, errorf(pb.ServerError_TopicNotFound, "Namespace does not exist: %s", ns)
	}
	return p, nil
}

// autoTopicCreation is what auto-creation means in a namespace: the namespace's override
// if any, else the broker's settings.
type autoTopicCreation struct {
	allowed     bool
	partitioned bool
	partitions  int
}

func (b *Broker) autoTopicCreation(p *resources.Policies) autoTopicCreation {
	a := autoTopicCreation{
		allowed:     b.cfg.AllowAutoTopicCreation,
		partitioned: b.cfg.AllowAutoTopicCreationType == "partitioned",
		partitions:  b.cfg.DefaultNumPartitions,
	}
	if o := p.AutoTopicCreationOverride; o != nil {
		a.allowed = o.AllowAutoTopicCreation
		a.partitioned = o.TopicType == "partitioned"
		if o.DefaultNumPartitions != nil {
			a.partitions = *o.DefaultNumPartitions
		}
	}
	if a.partitions <= 0 {
		a.partitions = 1
	}
	return a
}

func (b *Broker) autoSubscriptionCreation(p *resources.Policies) bool {
	if o := p.AutoSubscriptionCreationOverride; o != nil {
		return o.AllowAutoSubscriptionCreation
	}
	return b.cfg.AllowAutoSubscriptionCreation
}

func (b *Broker) deduplicationEnabled(p *resources.Policies) bool {
	if p.DeduplicationEnabled != nil {
		return *p.DeduplicationEnabled
	}
	return b.cfg.BrokerDeduplicationEnabled
}

// ledgerConfig is a topic's managed-ledger configuration: the broker's defaults with the
// namespace's persistence and retention policies applied.
func (b *Broker) ledgerConfig(p *resources.Policies) managedledger.Config {
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
		RetentionSizeBytes:    mbOrInfinite(c.DefaultRetentionSizeInMB),
		MarkDeleteRate:        c.ManagedLedgerDefaultMarkDeleteRateLimit,
	}
	if p == nil {
		return cfg
	}
	if ps := p.Persistence; ps != nil {
		if ps.BookkeeperEnsemble > 0 {
			cfg.EnsembleSize = ps.BookkeeperEnsemble
		}
		if ps.BookkeeperWriteQuorum > 0 {
			cfg.WriteQuorum = ps.BookkeeperWriteQuorum
		}
		if ps.BookkeeperAckQuorum > 0 {
			cfg.AckQuorum = ps.BookkeeperAckQuorum
		}
		if ps.ManagedLedgerMaxMarkDeleteRate > 0 {
			cfg.MarkDeleteRate = ps.ManagedLedgerMaxMarkDeleteRate
		}
	}
	if r := p.RetentionPolicies; r != nil {
		cfg.RetentionTime = minutesOrInfinite(r.RetentionTimeInMinutes)
		cfg.RetentionSizeBytes = mbOrInfinite(int(r.RetentionSizeInMB))
	}
	return cfg
}

// Pulsar's retention units: -1 is infinite, 0 none.
func minutesOrInfinite(m int) time.Duration {
	if m < 0 {
		return -1
	}
	return time.Duration(m) * time.Minute
}

func mbOrInfinite(mb int) int64 {
	if mb < 0 {
		return -1
	}
	return int64(mb) << 20
}
