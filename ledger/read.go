package ledger

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/magnetar/magnetar/bookie"
)

// readParallelism bounds the concurrent entry reads of one Read call.
const readParallelism = 8

// readEntries reads first..last of a ledger whose fragments are m's.
func (c *client) readEntries(ctx context.Context, lid int64, m *ledgerMeta, first, last int64) ([]Entry, error) {
	n := last - first + 1
	out := make([]Entry, n)
	if n == 1 {
		data, err := c.readEntry(ctx, lid, m, first)
		if err != nil {
			return nil, err
		}
		out[0] = Entry{LedgerID: lid, EntryID: first, Data: data}
		return out, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		next     = first
		firstErr error
	)
	workers := min(int64(readParallelism), n)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				e := next
				next++
				stop := e > last || firstErr != nil
				mu.Unlock()
				if stop {
					return
				}
				data, err := c.readEntry(ctx, lid, m, e)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
						cancel()
					}
					mu.Unlock()
					return
				}
				out[e-first] = Entry{LedgerID: lid, EntryID: e, Data: data}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// readEntry reads one entry from its write set, replica after replica until one returns
// it with a good checksum.
func (c *client) readEntry(ctx context.Context, lid int64, m *ledgerMeta, e int64) ([]byte, error) {
	ens := m.fragmentFor(e)
	var errs []error
	for i := 0; i < m.WriteQuorum; i++ {
		id := ens[(e+int64(i))%int64(len(ens))]
		f, err := c.readReplica(ctx, lid, e, id, 0, nil)
		if err == nil {
			return f.data, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("read entry %d/%d: %w", lid, e, ctx.Err())
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("read entry %d/%d: every replica failed: %w", lid, e, errors.Join(errs...))
}

// readReplica reads entry e from one bookie and verifies it.
func (c *client) readReplica(ctx context.Context, lid, e int64, id string, flags bookie.ReadFlags, key []byte) (frame, error) {
	cl, err := c.conn(id)
	if err != nil {
		return frame{}, err
	}
	res, err := cl.ReadEntry(ctx, lid, e, flags, key)
	if err != nil {
		c.connFailed(id, cl, err)
		return frame{}, fmt.Errorf("bookie %s: %w", id, err)
	}
	f, err := parseFrame(lid, e, res.Data)
	if err != nil {
		return frame{}, fmt.Errorf("bookie %s: %w", id, err)
	}
	return f, nil
}

// checkRange validates a Read's bounds against the last readable entry.
func checkRange(first, last, lac int64) error {
	switch {
	case first < 0 || last < first:
		return fmt.Errorf("ledger: bad read range %d..%d", first, last)
	case last > lac:
		return fmt.Errorf("read %d..%d, last add confirmed %d: %w", first, last, lac, ErrReadBeyondLAC)
	}
	return nil
}
