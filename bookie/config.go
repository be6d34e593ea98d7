package bookie

import (
	"errors"
	"path/filepath"
	"time"

	"github.com/magnetar/magnetar/metadata"
)

// Config configures a bookie; zero fields take the defaults of EnsureDefaults.
type Config struct {
	// ID is the bookie's advertised "host:port"; required.
	ID string
	// JournalDir holds the journal; in production its own disk.
	JournalDir string
	// LedgerDirs hold the entry logs; the first also holds the index (pebble).
	LedgerDirs []string
	// Rack is the bookie's rack label for placement; default "/default-rack".
	Rack string
	// Store, if set, is where the bookie registers itself: the ephemeral key
	// /bookies/available/<ID> = {"rack","readOnly","address"}. GC also deletes ledgers
	// whose /ledgers/<id> is gone from it.
	Store metadata.Store
	// MaxEntrySize bounds an entry's data; default 5 MiB + 64 KiB (Pulsar's max message
	// size plus room for metadata).
	MaxEntrySize int
	// DiskUsageThreshold (default 0.95) is the fraction of a journal or ledger disk in use
	// above which the bookie turns read-only; it turns writable again below
	// DiskUsageLwmThreshold (default 0.90).
	DiskUsageThreshold    float64
	DiskUsageLwmThreshold float64
	// DiskCheckInterval is how often disk usage is checked; default 10s.
	DiskCheckInterval time.Duration
	// FlushInterval is how often the write cache goes to the entry logs (and the journal
	// is checkpointed); default 1s. A full write cache is flushed at once.
	FlushInterval time.Duration
	// GCInterval is how often entry logs are garbage collected; default 5m.
	GCInterval time.Duration
	// CompactionThreshold: an entry log whose live bytes fall below this fraction of its
	// total is compacted (live entries copied to a new log); default 0.5.
	CompactionThreshold float64
	// WriteCacheBytes bounds the write cache (default 64 MiB), ReadCacheBytes the read
	// cache (default 32 MiB).
	WriteCacheBytes, ReadCacheBytes int64
	// EntryLogSize is where an entry log rolls over; default 1 GiB.
	EntryLogSize int64
	// JournalSegmentSize is where a journal segment rolls over; default 512 MiB.
	JournalSegmentSize int64
}

// DefaultMaxEntrySize is Pulsar's 5 MiB message limit plus 64 KiB for metadata.
const DefaultMaxEntrySize = 5<<20 + 64<<10

// EnsureDefaults fills the zero fields and checks the rest.
func (c *Config) EnsureDefaults() error {
	if c.ID == "" {
		return errors.New("bookie: config: ID (advertised host:port) is required")
	}
	if c.JournalDir == "" || len(c.LedgerDirs) == 0 {
		return errors.New("bookie: config: JournalDir and LedgerDirs are required")
	}
	if c.Rack == "" {
		c.Rack = "/default-rack"
	}
	if c.MaxEntrySize <= 0 {
		c.MaxEntrySize = DefaultMaxEntrySize
	}
	if c.DiskUsageThreshold <= 0 {
		c.DiskUsageThreshold = 0.95
	}
	if c.DiskUsageLwmThreshold <= 0 {
		c.DiskUsageLwmThreshold = 0.90
	}
	if c.DiskUsageLwmThreshold > c.DiskUsageThreshold {
		c.DiskUsageLwmThreshold = c.DiskUsageThreshold
	}
	if c.DiskCheckInterval <= 0 {
		c.DiskCheckInterval = 10 * time.Second
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = time.Second
	}
	if c.GCInterval <= 0 {
		c.GCInterval = 5 * time.Minute
	}
	if c.CompactionThreshold <= 0 {
		c.CompactionThreshold = 0.5
	}
	if c.WriteCacheBytes <= 0 {
		c.WriteCacheBytes = 64 << 20
	}
	if c.ReadCacheBytes <= 0 {
		c.ReadCacheBytes = 32 << 20
	}
	if c.EntryLogSize <= 0 {
		c.EntryLogSize = 1 << 30
	}
	if c.JournalSegmentSize <= 0 {
		c.JournalSegmentSize = 512 << 20
	}
	return nil
}

func (c *Config) indexDir() string { return filepath.Join(c.LedgerDirs[0], "index") }
