// Package bookie is Magnetar's storage node, modelled on an Apache BookKeeper bookie: adds go
// to a write-ahead journal that is fsynced before they are acknowledged, then to entry logs
// with a pebble index; ledgers can be fenced so that a recovering writer cuts off a stale one.
package bookie

import (
	"context"
	"errors"
)

// Errors a Client returns; the ledger client branches on them.
var (
	ErrNoSuchLedger = errors.New("bookie: no such ledger")
	ErrNoSuchEntry  = errors.New("bookie: no such entry")
	ErrFenced       = errors.New("bookie: ledger is fenced")
	ErrUnauthorized = errors.New("bookie: master key mismatch")
	ErrReadOnly     = errors.New("bookie: read-only")
	ErrTooLarge     = errors.New("bookie: entry too large")
	ErrClosed       = errors.New("bookie: closed")
	ErrTimeout      = errors.New("bookie: request timed out")
)

// AddRequest is one entry of a ledger as the ledger client wrote it.
type AddRequest struct {
	LedgerID int64
	EntryID  int64
	// LastAddConfirmed is the writer's LAC when it sent this entry (piggybacked, as in
	// BookKeeper); the bookie remembers the highest it saw per ledger for ReadLAC.
	LastAddConfirmed int64
	// MasterKey is derived from the ledger password; the first add of a ledger on a
	// bookie records it, later adds and fencing reads must present the same key.
	MasterKey []byte
	// Recovery adds are accepted on a fenced ledger: the recovering client re-replicates
	// the tail with them.
	Recovery bool
	// Data is stored and returned verbatim; the ledger client frames it with its own
	// checksum. The bookie must not retain Data after the callback if the caller reuses it:
	// callers do not reuse it, so a bookie may keep a reference (e.g. in its write cache).
	Data []byte
	// Header, if set, comes before Data: the entry is Header followed by Data, stored and
	// read back as one. The ledger client passes its frame header here, so that the
	// producer's bytes reach the journal without first being copied into one buffer. It
	// is kept by reference like Data.
	Header []byte
	// DataCRC is the CRC-32C (Castagnoli) of Data, if HasDataCRC: a caller that computed
	// it anyway saves the bookie reading Data for it (the journal and the entry logs
	// derive their checksums from it; see package crc32c). A wrong value makes the
	// entry's records read as corrupt.
	DataCRC    uint32
	HasDataCRC bool
}

// ReadFlags modify a read.
type ReadFlags uint8

const (
	// ReadFence fences the ledger before reading: further non-recovery adds fail with
	// ErrFenced. Requires the master key.
	ReadFence ReadFlags = 1 << iota
)

// ReadResult is what a bookie returns for one entry.
type ReadResult struct {
	Data []byte
	// LastAddConfirmed is the highest LAC this bookie knows for the ledger.
	LastAddConfirmed int64
}

// Client is what a ledger client needs of one bookie. *Bookie implements it in process
// (standalone); the TCP client of the bookie protocol implements it for clusters.
// Implementations are safe for concurrent use.
type Client interface {
	// AddEntry journals the entry and calls cb exactly once, after the journal fsync
	// (err == nil) or on failure. cb may run on another goroutine and must not block long.
	AddEntry(req *AddRequest, cb func(err error))
	// ReadEntry returns one entry. With ReadFence the ledger is fenced first (masterKey
	// required). entryID -1 reads nothing but still fences and returns the LAC.
	ReadEntry(ctx context.Context, ledgerID, entryID int64, flags ReadFlags, masterKey []byte) (ReadResult, error)
	// ReadLAC returns the highest last-add-confirmed this bookie has seen for the ledger.
	ReadLAC(ctx context.Context, ledgerID int64) (int64, error)
	// Close releases the connection (not the bookie itself, for the in-process client).
	Close() error
}
