package bookie

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/magnetar/magnetar/bookie/crc32c"
)

// testConfig is a bookie in fresh temp dirs, with background flush and GC slowed down so
// tests decide when they happen.
func testConfig(t *testing.T) Config {
	t.Helper()
	dir := t.TempDir()
	return Config{
		ID:            "127.0.0.1:3181",
		JournalDir:    filepath.Join(dir, "journal"),
		LedgerDirs:    []string{filepath.Join(dir, "ledgers")},
		FlushInterval: time.Hour,
		GCInterval:    time.Hour,
	}
}

func openBookie(t *testing.T, cfg Config) *Bookie {
	t.Helper()
	b, err := Open(cfg)
	if err != nil {
		t.Fatalf("open bookie: %v", err)
	}
	return b
}

// crash stops the bookie the way kill -9 would leave its disk: the journal holds what
// was acknowledged, the write cache is lost, nothing is flushed or checkpointed.
func crash(t *testing.T, b *Bookie) {
	t.Helper()
	b.closed.Store(true)
	b.wcache.wakeAll()
	close(b.stop)
	b.wg.Wait()
	b.lifeMu.Lock()
	if err := b.jrnl.Close(); err != nil {
		t.Fatal(err)
	}
	b.flushMu.Lock()
	if b.writer != nil {
		b.writer.Close()
	}
	b.flushMu.Unlock()
	b.logs.Close()
	b.idx.Close()
}

var key = []byte("master-key")

func data(l, e int64) []byte {
	return []byte(fmt.Sprintf("ledger %d entry %d %s", l, e, bytes.Repeat([]byte{byte(l + e)}, int(e%7)*100)))
}

// entryReq is the add of entry e of ledger l with the LAC trailing by one. Odd entries
// come as the ledger client sends them, a header and the data, which the bookie must
// store and return as one entry; every third comes with its data's CRC, from which the
// bookie derives its records' checksums.
func entryReq(l, e int64) AddRequest {
	r := AddRequest{LedgerID: l, EntryID: e, LastAddConfirmed: e - 1, MasterKey: key, Data: data(l, e)}
	if e%2 == 1 {
		r.Header, r.Data = r.Data[:7], r.Data[7:]
	}
	if e%3 == 0 {
		r.DataCRC, r.HasDataCRC = crc32c.Checksum(r.Data), true
	}
	return r
}

// add adds one entry and waits for its ack.
func add(c Client, req AddRequest) error {
	done := make(chan error, 1)
	c.AddEntry(&req, func(err error) { done <- err })
	return <-done
}

// addMany adds entries [0,n) of each ledger concurrently (in order per ledger, each
// after the previous one's ack) with the LAC trailing by one.
func addMany(t *testing.T, c Client, ledgers []int64, n int64) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(ledgers))
	for _, l := range ledgers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := int64(0); e < n; e++ {
				if err := add(c, entryReq(l, e)); err != nil {
					errs <- fmt.Errorf("add %d/%d: %w", l, e, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// checkEntries reads every entry back and compares it.
func checkEntries(t *testing.T, c Client, ledgers []int64, n int64) {
	t.Helper()
	ctx := context.Background()
	for _, l := range ledgers {
		for e := int64(0); e < n; e++ {
			res, err := c.ReadEntry(ctx, l, e, 0, nil)
			if err != nil {
				t.Fatalf("read %d/%d: %v", l, e, err)
			}
			if !bytes.Equal(res.Data, data(l, e)) {
				t.Fatalf("read %d/%d: got %q", l, e, res.Data)
			}
		}
		if _, err := c.ReadEntry(ctx, l, n, 0, nil); !errors.Is(err, ErrNoSuchEntry) {
			t.Fatalf("read %d/%d past the end: %v, want ErrNoSuchEntry", l, n, err)
		}
	}
}
