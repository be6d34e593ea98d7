// Package ledger is Magnetar's BookKeeper client: it writes a ledger (an append-only log of
// entries) to an ensemble of E bookies, each entry striped to Qw of them and acknowledged
// once Qa have journaled it, and it recovers ledgers whose writer died.
//
// This file is the contract the managed ledger codes against; implementation elsewhere.
package ledger

import (
	"context"
	"errors"

	"github.com/magnetar/magnetar/bookie"
	"github.com/magnetar/magnetar/metadata"
)

// Errors callers branch on.
var (
	ErrNoSuchLedger   = errors.New("ledger: no such ledger")
	ErrLedgerClosed   = errors.New("ledger: closed")
	ErrFenced         = errors.New("ledger: fenced by another writer")
	ErrNotEnoughBooks = errors.New("ledger: not enough bookies")
	ErrReadBeyondLAC  = errors.New("ledger: read beyond last add confirmed")
)

// Config wires a Client to the metadata store and to bookies.
type Config struct {
	Store metadata.Store
	// Dial returns a client for a bookie id ("host:port", as registered under
	// /bookies/available). Standalone returns the in-process *bookie.Bookie.
	Dial func(bookieID string) (bookie.Client, error)
	// AddTimeout bounds how long a bookie may take to acknowledge an add before the
	// writer replaces it (ensemble change). Default 10s.
	AddTimeoutMs int64
}

// CreateOptions are Pulsar's managedLedgerDefaultEnsembleSize/WriteQuorum/AckQuorum.
type CreateOptions struct {
	EnsembleSize, WriteQuorum, AckQuorum int
	Password                             []byte
	// Custom is stored with the ledger metadata (e.g. the managed ledger's name).
	Custom map[string]string
}

// Entry is one entry read back from a ledger.
type Entry struct {
	LedgerID, EntryID int64
	Data              []byte
}

// Info describes a ledger as stored in the metadata store (/ledgers/<id>).
type Info struct {
	ID                                   int64
	EnsembleSize, WriteQuorum, AckQuorum int
	Closed                               bool
	LastEntryID                          int64 // -1 if empty; valid once closed
	Length                               int64 // bytes; valid once closed
	CreatedMs                            int64
	Custom                               map[string]string
}

// Client creates, opens and deletes ledgers. Safe for concurrent use.
type Client struct{ impl *client }

// NewClient returns a client; it starts no goroutines until ledgers are created.
func NewClient(cfg Config) (*Client, error) { return newClient(cfg) }

// Create picks an ensemble (rack-aware) among the available bookies and stores the
// ledger's metadata; the returned handle is the only writer.
func (c *Client) Create(ctx context.Context, opts CreateOptions) (*WriteHandle, error) {
	return c.impl.create(ctx, opts)
}

// Open opens a ledger for reading. With recover=true an open ledger is fenced on its
// bookies, its last entry found and re-replicated, and the ledger closed, so a previous
// writer can neither add to nor fork it; a closed ledger opens as is.
func (c *Client) Open(ctx context.Context, id int64, recover bool, password []byte) (*ReadHandle, error) {
	return c.impl.open(ctx, id, recover, password)
}

// Delete removes a ledger's metadata; bookies garbage-collect its entries.
func (c *Client) Delete(ctx context.Context, id int64) error { return c.impl.delete(ctx, id) }

// Stat returns a ledger's metadata.
func (c *Client) Stat(ctx context.Context, id int64) (Info, error) { return c.impl.stat(ctx, id) }

// WriteHandle is the single writer of a ledger.
type WriteHandle struct{ impl *writer }

// ID is the ledger id.
func (w *WriteHandle) ID() int64 { return w.impl.id() }

// Append adds data as the next entry. cb is called exactly once per Append, in entry
// order, with the entry id once Qa bookies have journaled it (and every earlier entry is
// acknowledged), or with an error after which the handle accepts no more appends.
// data must not be modified after the call.
func (w *WriteHandle) Append(data []byte, cb func(entryID int64, err error)) { w.impl.append(data, cb) }

// LastAddConfirmed is the highest entry id acknowledged to the caller, -1 if none.
func (w *WriteHandle) LastAddConfirmed() int64 { return w.impl.lac() }

// Length is the total size in bytes of the acknowledged entries.
func (w *WriteHandle) Length() int64 { return w.impl.length() }

// Read reads entries first..last (inclusive), all <= LastAddConfirmed.
func (w *WriteHandle) Read(ctx context.Context, first, last int64) ([]Entry, error) {
	return w.impl.read(ctx, first, last)
}

// Close waits for pending appends and seals the ledger in the metadata store.
func (w *WriteHandle) Close(ctx context.Context) error { return w.impl.close(ctx) }

// ReadHandle reads a ledger opened with Client.Open.
type ReadHandle struct{ impl *reader }

// ID is the ledger id.
func (r *ReadHandle) ID() int64 { return r.impl.id() }

// LastAddConfirmed is the last readable entry id, -1 for an empty ledger.
func (r *ReadHandle) LastAddConfirmed() int64 { return r.impl.lac() }

// Length is the ledger size in bytes (for a closed ledger).
func (r *ReadHandle) Length() int64 { return r.impl.length() }

// Read reads entries first..last (inclusive), trying other replicas on failure.
func (r *ReadHandle) Read(ctx context.Context, first, last int64) ([]Entry, error) {
	return r.impl.read(ctx, first, last)
}

// Close releases the handle.
func (r *ReadHandle) Close() error { return r.impl.close() }
