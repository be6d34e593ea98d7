package managedledger

import "time"

// Defaults applied to zero Config and FactoryConfig fields.
const (
	DefaultMaxEntriesPerLedger   = 50000
	DefaultMaxSizePerLedgerBytes = 2048 << 20
	DefaultMaxLedgerRolloverTime = 240 * time.Minute
	DefaultMarkDeleteRate        = 1.0
	DefaultCacheSizeBytes        = 64 << 20
)

// withDefaults returns cfg with zero fields replaced:
//   - EnsembleSize, WriteQuorum, AckQuorum: 0 means 1 (standalone's 1/1/1).
//   - MaxEntriesPerLedger, MaxSizePerLedgerBytes, MaxLedgerRolloverTime: 0 means Pulsar's
//     default (50000 entries, 2 GiB, 240 minutes).
//   - MinLedgerRolloverTime: 0 means no minimum (Pulsar's broker.conf sets 10 minutes;
//     the broker passes it explicitly).
//   - MarkDeleteRate: <= 0 means 1 per second.
//
// Retention fields keep their meaning as given: see trim.go.
func (cfg Config) withDefaults() Config {
	for _, q := range []*int{&cfg.EnsembleSize, &cfg.WriteQuorum, &cfg.AckQuorum} {
		if *q <= 0 {
			*q = 1
		}
	}
	if cfg.MaxEntriesPerLedger <= 0 {
		cfg.MaxEntriesPerLedger = DefaultMaxEntriesPerLedger
	}
	if cfg.MaxSizePerLedgerBytes <= 0 {
		cfg.MaxSizePerLedgerBytes = DefaultMaxSizePerLedgerBytes
	}
	if cfg.MaxLedgerRolloverTime <= 0 {
		cfg.MaxLedgerRolloverTime = DefaultMaxLedgerRolloverTime
	}
	if cfg.MinLedgerRolloverTime < 0 {
		cfg.MinLedgerRolloverTime = 0
	}
	if cfg.MarkDeleteRate <= 0 {
		cfg.MarkDeleteRate = DefaultMarkDeleteRate
	}
	return cfg
}

// persistInterval is the shortest time between two writes of a cursor's state.
func (cfg Config) persistInterval() time.Duration {
	return time.Duration(float64(time.Second) / cfg.MarkDeleteRate)
}
