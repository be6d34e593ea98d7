package bookie

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/magnetar/magnetar/bookie/disk"
	"github.com/magnetar/magnetar/metadata"
)

// AvailablePath is where bookies register (ephemeral keys named by bookie id).
const AvailablePath = "/bookies/available"

// Registration is the value of a bookie's key under AvailablePath.
type Registration struct {
	Rack     string `json:"rack"`
	ReadOnly bool   `json:"readOnly"`
	Address  string `json:"address"`
}

func (b *Bookie) regKey() string { return AvailablePath + "/" + b.cfg.ID }

func (b *Bookie) regValue() []byte {
	v, _ := json.Marshal(Registration{Rack: b.cfg.Rack, ReadOnly: b.readOnly.Load(), Address: b.cfg.ID})
	return v
}

// register creates the bookie's ephemeral key. A key left by a previous process with
// the same id (killed before its session expired) is replaced, so that its expiry does
// not take this registration with it.
func (b *Bookie) register(ctx context.Context) error {
	b.regMu.Lock()
	defer b.regMu.Unlock()
	key := b.regKey()
	if err := b.cfg.Store.Delete(ctx, key, metadata.AnyVersion); err != nil && !errors.Is(err, metadata.ErrNotFound) {
		return fmt.Errorf("bookie: register %s: remove stale key: %w", key, err)
	}
	if _, err := b.cfg.Store.Put(ctx, key, b.regValue(), metadata.NotExists, metadata.Ephemeral()); err != nil {
		return fmt.Errorf("bookie: register %s: %w", key, err)
	}
	return nil
}

// publish updates the registration (read-only flag), or re-registers if the key is gone
// (the session expired).
func (b *Bookie) publish(ctx context.Context) error {
	b.regMu.Lock()
	key := b.regKey()
	val, st, err := b.cfg.Store.Get(ctx, key)
	switch {
	case errors.Is(err, metadata.ErrNotFound):
		b.regMu.Unlock()
		b.log.Warn("bookie: registration vanished (metadata session expired?); registering again")
		return b.register(ctx)
	case err != nil:
		b.regMu.Unlock()
		return fmt.Errorf("bookie: check registration: %w", err)
	}
	defer b.regMu.Unlock()
	want := b.regValue()
	if string(val) == string(want) {
		return nil
	}
	if _, err := b.cfg.Store.Put(ctx, key, want, st.Version); err != nil {
		return fmt.Errorf("bookie: update registration: %w", err)
	}
	return nil
}

func (b *Bookie) unregister(ctx context.Context) error {
	b.regMu.Lock()
	defer b.regMu.Unlock()
	err := b.cfg.Store.Delete(ctx, b.regKey(), metadata.AnyVersion)
	if err != nil && !errors.Is(err, metadata.ErrNotFound) && !errors.Is(err, metadata.ErrClosed) {
		return fmt.Errorf("bookie: unregister: %w", err)
	}
	return nil
}

// maintenanceLoop checks the disks and the registration every DiskCheckInterval.
func (b *Bookie) maintenanceLoop() {
	defer b.wg.Done()
	t := time.NewTicker(b.cfg.DiskCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
		}
		b.checkDisks()
		if b.cfg.Store != nil {
			ctx, cancel := context.WithTimeout(context.Background(), b.cfg.DiskCheckInterval)
			if err := b.publish(ctx); err != nil {
				b.log.Warn("bookie: registration", "err", err)
			}
			cancel()
		}
	}
}

// checkDisks turns the bookie read-only when a disk is fuller than DiskUsageThreshold,
// and writable again when all are below DiskUsageLwmThreshold.
func (b *Bookie) checkDisks() {
	dirs := append([]string{b.cfg.JournalDir}, b.cfg.LedgerDirs...)
	var worst float64
	var worstDir string
	for _, d := range dirs {
		u, err := disk.Stat(d)
		if err != nil {
			b.log.Warn("bookie: disk check", "err", err)
			continue
		}
		if used := u.Used(); used >= worst {
			worst, worstDir = used, d
		}
	}
	was := b.readOnly.Load()
	now := nextReadOnly(was, worst, b.cfg.DiskUsageThreshold, b.cfg.DiskUsageLwmThreshold)
	if now == was {
		return
	}
	b.readOnly.Store(now)
	if now {
		b.log.Warn("bookie: disk almost full, turning read-only", "dir", worstDir, "used", fmt.Sprintf("%.1f%%", worst*100), "threshold", b.cfg.DiskUsageThreshold)
	} else {
		b.log.Info("bookie: disk usage back below the low-water mark, writable again", "used", fmt.Sprintf("%.1f%%", worst*100))
	}
}

// nextReadOnly is the read-only state's hysteresis: on above high, off below low.
func nextReadOnly(readOnly bool, used, high, low float64) bool {
	if readOnly {
		return used >= low
	}
	return used > high
}
