package resources

import (
	"fmt"
	"strconv"
	"strings"
)

// Validation of policy values, with Pulsar's reasons. Each returns an *Error of kind
// ErrInvalid (HTTP 412) so that nothing out of range is ever stored.

// Bundle boundaries span the 32-bit hash space.
const (
	FirstBoundary = "0x00000000"
	LastBoundary  = "0xffffffff"
	// maxBundles caps numBundles (Pulsar allows up to 2^32; a list of that many
	// boundaries is not something a namespace record should hold).
	maxBundles = 1 << 16
)

// DefaultBundles splits the hash space into n equal ranges, as Pulsar does.
func DefaultBundles(n int) *BundlesData {
	seg := (uint64(1) << 32) / uint64(n)
	b := &BundlesData{NumBundles: n, Boundaries: make([]string, 0, n+1)}
	for i := range n {
		b.Boundaries = append(b.Boundaries, fmt.Sprintf("0x%08x", uint64(i)*seg))
	}
	b.Boundaries = append(b.Boundaries, LastBoundary)
	return b
}

// ValidateBundles checks given boundaries (sorted, unique, spanning the hash space) or
// fills them in for a bare numBundles.
func ValidateBundles(b *BundlesData) (*BundlesData, error) {
	if len(b.Boundaries) == 0 {
		if b.NumBundles <= 0 || b.NumBundles > maxBundles {
			return nil, newErr(ErrInvalid, "Invalid number of bundles. Number of bundles has to be in the range of (0, %d].", maxBundles)
		}
		return DefaultBundles(b.NumBundles), nil
	}
	if len(b.Boundaries) < 2 || len(b.Boundaries) > maxBundles+1 {
		return nil, newErr(ErrInvalid, "Bundle boundaries must contain between 2 and %d entries", maxBundles+1)
	}
	var prev int64 = -1
	out := &BundlesData{NumBundles: len(b.Boundaries) - 1}
	for _, s := range b.Boundaries {
		v, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(s), "0x"), 16, 32)
		if err != nil || !strings.HasPrefix(strings.ToLower(s), "0x") {
			return nil, newErr(ErrInvalid, "Invalid bundle boundary %q", s)
		}
		if int64(v) <= prev {
			return nil, newErr(ErrInvalid, "Bundle boundaries must be sorted and unique")
		}
		prev = int64(v)
		out.Boundaries = append(out.Boundaries, fmt.Sprintf("0x%08x", v))
	}
	if out.Boundaries[0] != FirstBoundary || out.Boundaries[len(out.Boundaries)-1] != LastBoundary {
		return nil, newErr(ErrInvalid, "Bundle boundaries must start at %s and end at %s", FirstBoundary, LastBoundary)
	}
	if b.NumBundles != 0 && b.NumBundles != out.NumBundles {
		return nil, newErr(ErrInvalid, "numBundles %d does not match %d boundaries", b.NumBundles, len(b.Boundaries))
	}
	return out, nil
}

// ValidateRetention follows Pulsar's validateRetentionPolicies.
func ValidateRetention(r *RetentionPolicies) error {
	if r == nil {
		return nil
	}
	if r.RetentionSizeInMB < -1 {
		return newErr(ErrInvalid, "Invalid retention policy: size limit must be >= -1")
	}
	if r.RetentionTimeInMinutes < -1 {
		return newErr(ErrInvalid, "Invalid retention policy: time limit must be >= -1")
	}
	if (r.RetentionTimeInMinutes == 0) != (r.RetentionSizeInMB == 0) {
		return newErr(ErrInvalid, "Invalid retention policy: Setting a single time or size limit to 0 is invalid "+
			"when one of the limits has a non-zero value. Use the value of -1 instead of 0 to ignore a specific "+
			"limit, or set both limits to 0 for no retention.")
	}
	return nil
}

// ValidateBacklogQuota checks a quota's limits and policy.
func ValidateBacklogQuota(q BacklogQuota) error {
	if q.LimitSize < -1 {
		return newErr(ErrInvalid, "Invalid backlog quota: limitSize must be >= -1")
	}
	if q.LimitTime < -1 {
		return newErr(ErrInvalid, "Invalid backlog quota: limitTime must be >= -1")
	}
	switch q.Policy {
	case ProducerRequestHold, ProducerException, ConsumerBacklogEviction:
	default:
		return newErr(ErrBadInput, "Invalid backlog quota policy: %q", q.Policy)
	}
	return nil
}

// QuotaWithinRetention is Pulsar's checkBacklogQuota: a backlog quota must be smaller
// than the retention that would keep those messages anyway.
func QuotaWithinRetention(q BacklogQuota, r *RetentionPolicies) bool {
	if r == nil {
		return true
	}
	if r.RetentionSizeInMB > 0 && q.LimitSize > 0 && q.LimitSize >= r.RetentionSizeInMB*1024*1024 {
		return false
	}
	if r.RetentionTimeInMinutes > 0 && q.LimitTime > 0 && q.LimitTime >= int64(r.RetentionTimeInMinutes)*60 {
		return false
	}
	return true
}

// ValidatePersistence checks E >= Qw >= Qa >= 1 and a non-negative mark-delete rate.
func ValidatePersistence(p *PersistencePolicies) error {
	if p == nil {
		return nil
	}
	if p.BookkeeperEnsemble <= 0 || p.BookkeeperWriteQuorum <= 0 || p.BookkeeperAckQuorum <= 0 {
		return newErr(ErrInvalid, "Bookkeeper ensemble, write quorum and ack quorum should be greater than 0")
	}
	if p.BookkeeperEnsemble < p.BookkeeperWriteQuorum || p.BookkeeperWriteQuorum < p.BookkeeperAckQuorum {
		return newErr(ErrInvalid, "Bookkeeper Ensemble (%d) >= WriteQuorum (%d) >= AckQuoru (%d)",
			p.BookkeeperEnsemble, p.BookkeeperWriteQuorum, p.BookkeeperAckQuorum)
	}
	if p.ManagedLedgerMaxMarkDeleteRate < 0 {
		return newErr(ErrInvalid, "managedLedgerMaxMarkDeleteRate must be >= 0")
	}
	return nil
}

// ValidateAutoTopicCreation is Pulsar's AutoTopicCreationOverride.validateOverride.
func ValidateAutoTopicCreation(o *AutoTopicCreationOverride) error {
	if o == nil || !o.AllowAutoTopicCreation {
		return nil
	}
	fail := func(detail string) error {
		return newErr(ErrInvalid, "Invalid configuration for autoTopicCreationOverride. the detail is %s", detail)
	}
	switch o.TopicType {
	case TopicTypePartitioned:
		if o.DefaultNumPartitions == nil {
			return fail("[defaultNumPartitions] cannot be null when the type is partitioned.")
		}
		if *o.DefaultNumPartitions <= 0 {
			return fail("[defaultNumPartitions] cannot be less than 1 for partition type.")
		}
	case TopicTypeNonPartitioned:
		if o.DefaultNumPartitions != nil {
			return fail("[defaultNumPartitions] is not allowed to be set when the type is non-partition.")
		}
	default:
		return fail(fmt.Sprintf("Unknown topic type [%s]", o.TopicType))
	}
	return nil
}

// NonNegative checks a count limit; what names the policy in Pulsar's reason.
func NonNegative(what string, v *int) error {
	if v != nil && *v < 0 {
		return newErr(ErrInvalid, "%s must be 0 or more", what)
	}
	return nil
}

// validate is the safety net run on every namespace policies write: value ranges that
// must hold whatever the caller changed.
func (p *Policies) validate() error {
	if p.MessageTTLInSeconds != nil && *p.MessageTTLInSeconds < 0 {
		return newErr(ErrInvalid, "Invalid value for message TTL")
	}
	if p.SubscriptionExpirationTimeMinutes != nil && *p.SubscriptionExpirationTimeMinutes < 0 {
		return newErr(ErrInvalid, "Invalid value for subscription expiration time")
	}
	if err := ValidateRetention(p.RetentionPolicies); err != nil {
		return err
	}
	for _, q := range p.BacklogQuotaMap {
		if err := ValidateBacklogQuota(q); err != nil {
			return err
		}
	}
	if err := ValidatePersistence(p.Persistence); err != nil {
		return err
	}
	if err := ValidateAutoTopicCreation(p.AutoTopicCreationOverride); err != nil {
		return err
	}
	for _, l := range []struct {
		name string
		v    *int
	}{
		{"maxProducersPerTopic", p.MaxProducersPerTopic},
		{"maxConsumersPerTopic", p.MaxConsumersPerTopic},
		{"maxConsumersPerSubscription", p.MaxConsumersPerSubscription},
		{"maxUnackedMessagesPerConsumer", p.MaxUnackedMessagesPerConsumer},
		{"maxUnackedMessagesPerSubscription", p.MaxUnackedMessagesPerSubscription},
		{"maxSubscriptionsPerTopic", p.MaxSubscriptionsPerTopic},
		{"maxTopicsPerNamespace", p.MaxTopicsPerNamespace},
		{"deduplicationSnapshotInterval", p.DeduplicationSnapshotInterval},
	} {
		if err := NonNegative(l.name, l.v); err != nil {
			return err
		}
	}
	if p.CompactionThreshold != nil && *p.CompactionThreshold < 0 {
		return newErr(ErrInvalid, "compactionThreshold must be 0 or more")
	}
	if p.OffloadThresholdInSeconds < -1 {
		return newErr(ErrInvalid, "Invalid value for offloadThresholdInSecond")
	}
	if p.DelayedDeliveryPolicies != nil && p.DelayedDeliveryPolicies.TickTime < 0 {
		return newErr(ErrInvalid, "delayed delivery tickTime must be 0 or more")
	}
	if _, err := ParseSchemaCompatibilityStrategy(string(p.SchemaCompatibilityStrategy)); err != nil {
		return newErr(ErrBadInput, "%s", err.Error())
	}
	if p.Bundles != nil {
		if _, err := ValidateBundles(p.Bundles); err != nil {
			return err
		}
	}
	return nil
}
