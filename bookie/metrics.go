package bookie

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/magnetar/magnetar/metrics"
)

// Collector exposes the bookie's metrics under BookKeeper's names, so Pulsar's
// BookKeeper dashboards work: register it with a prometheus.Registerer. Values are read
// at scrape time from counters the hot paths keep anyway.
func (b *Bookie) Collector() prometheus.Collector { return collector{b} }

type collector struct{ b *Bookie }

var (
	descStatus       = prometheus.NewDesc("bookie_SERVER_STATUS", "1 if the bookie is writable, 0 if read-only.", nil, nil)
	descAdds         = prometheus.NewDesc("bookkeeper_server_ADD_ENTRY_count", "ADD_ENTRY requests completed, by outcome.", []string{"success"}, nil)
	descReads        = prometheus.NewDesc("bookkeeper_server_READ_ENTRY_count", "READ_ENTRY requests completed, by outcome.", []string{"success"}, nil)
	descWriteBytes   = prometheus.NewDesc("bookie_WRITE_BYTES", "Entry bytes accepted for writing.", nil, nil)
	descReadBytes    = prometheus.NewDesc("bookie_READ_BYTES", "Entry bytes read.", nil, nil)
	descJournalQueue = prometheus.NewDesc("bookie_journal_JOURNAL_QUEUE_SIZE", "Adds waiting for the journal writer.", nil, nil)
	descJournalAdd   = prometheus.NewDesc("bookie_journal_JOURNAL_ADD_ENTRY", "Journal add latency (ms): queued to durable.", []string{"success"}, nil)
	descJournalSyncT = prometheus.NewDesc("bookie_journal_JOURNAL_SYNC", "Journal group commits (write plus fdatasync): latency in ms; _count is the number of fdatasyncs.", []string{"success"}, nil)
	descWriteCache   = prometheus.NewDesc("bookie_write_cache_size", "Bytes in the write cache.", nil, nil)
	descReadCache    = prometheus.NewDesc("bookie_read_cache_size", "Bytes in the read cache.", nil, nil)
	descDeleted      = prometheus.NewDesc("bookie_DELETED_LEDGER_COUNT", "Ledgers deleted since the bookie started.", nil, nil)
	descWritableDirs = prometheus.NewDesc("bookie_ledger_writable_dirs", "Ledger directories taking writes.", nil, nil)
	descEntryLogs    = prometheus.NewDesc("bookie_gc_ACTIVE_ENTRY_LOG_COUNT", "Entry log files on disk.", nil, nil)
)

func (collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descStatus, descAdds, descReads, descWriteBytes, descReadBytes,
		descJournalQueue, descJournalAdd, descJournalSyncT, descWriteCache, descReadCache, descDeleted, descWritableDirs, descEntryLogs} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	b := c.b
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	status, writable := 1.0, float64(len(b.cfg.LedgerDirs))
	if b.readOnly.Load() {
		status, writable = 0, 0
	}
	gauge(descStatus, status)
	gauge(descWritableDirs, writable)
	js := b.jrnl.Stats()
	counter(descAdds, js.Records, "true")
	counter(descAdds, js.Failed+b.stats.addRejected.Load(), "false")
	counter(descReads, b.stats.readOK.Load(), "true")
	counter(descReads, b.stats.readFailed.Load(), "false")
	counter(descWriteBytes, b.stats.writeBytes.Load())
	counter(descReadBytes, b.stats.readBytes.Load())
	gauge(descJournalQueue, float64(js.Queued))
	summary(ch, descJournalAdd, js.AddLatency)
	summary(ch, descJournalSyncT, js.SyncLatency)
	gauge(descWriteCache, float64(b.wcache.size()))
	gauge(descReadCache, float64(b.rcache.size()))
	counter(descDeleted, b.stats.deletedLedgers.Load())
	gauge(descEntryLogs, float64(len(b.logs.IDs())))
}

// summary exports a latency window as BookKeeper's Prometheus provider exports an
// OpStatsLogger: a summary in milliseconds with quantiles, labelled success="true".
func summary(ch chan<- prometheus.Metric, d *prometheus.Desc, s metrics.Summary) {
	ch <- prometheus.MustNewConstSummary(d, uint64(s.Count), s.SumMs, s.QuantilesMs, "true")
}
