package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/magnetar/magnetar/metadata"
)

// Metadata store layout.
const (
	ledgersPath   = "/ledgers"
	counterPath   = "/counters/ledgers"
	availablePath = "/bookies/available"
)

// Ledger states as stored in the metadata. Only the writer moves a ledger out of OPEN by
// closing it; a recovering client moves it to IN_RECOVERY first, which is what makes the
// writer's next metadata update (an ensemble change or its close) fail.
const (
	stateOpen       = "OPEN"
	stateInRecovery = "IN_RECOVERY"
	stateClosed     = "CLOSED"
)

// fragment is a range of entries written to one ensemble: from FirstEntryID up to the next
// fragment's first entry (or the ledger's end).
type fragment struct {
	FirstEntryID int64    `json:"firstEntryId"`
	Bookies      []string `json:"bookies"`
}

// ledgerMeta is the JSON stored at /ledgers/<id>. Every update is a compare-and-set on the
// key's version, so concurrent writers and recoverers serialise through the store.
type ledgerMeta struct {
	EnsembleSize   int               `json:"ensembleSize"`
	WriteQuorum    int               `json:"writeQuorum"`
	AckQuorum      int               `json:"ackQuorum"`
	State          string            `json:"state"`
	LastEntryID    int64             `json:"lastEntryId"`
	Length         int64             `json:"length"`
	Ensembles      []fragment        `json:"ensembles"`
	CtimeMs        int64             `json:"ctimeMs"`
	Custom         map[string]string `json:"custom,omitempty"`
	PasswordDigest string            `json:"passwordDigest,omitempty"`
}

func ledgerKey(id int64) string { return ledgersPath + "/" + strconv.FormatInt(id, 10) }

// fragmentFor returns the ensemble that holds entry e.
func (m *ledgerMeta) fragmentFor(e int64) []string {
	ens := m.Ensembles[0].Bookies
	for _, f := range m.Ensembles[1:] {
		if f.FirstEntryID > e {
			break
		}
		ens = f.Bookies
	}
	return ens
}

// last returns the last fragment (the one an open ledger is written to).
func (m *ledgerMeta) last() fragment { return m.Ensembles[len(m.Ensembles)-1] }

// clone deep-copies the parts of the metadata that callers modify.
func (m *ledgerMeta) clone() *ledgerMeta {
	c := *m
	c.Ensembles = make([]fragment, len(m.Ensembles))
	for i, f := range m.Ensembles {
		c.Ensembles[i] = fragment{FirstEntryID: f.FirstEntryID, Bookies: append([]string(nil), f.Bookies...)}
	}
	return &c
}

func (m *ledgerMeta) validate() error {
	switch {
	case m.EnsembleSize < 1 || m.WriteQuorum < 1 || m.AckQuorum < 1:
		return errors.New("quorum sizes must be positive")
	case m.WriteQuorum > m.EnsembleSize || m.AckQuorum > m.WriteQuorum:
		return fmt.Errorf("want ensemble %d >= write quorum %d >= ack quorum %d", m.EnsembleSize, m.WriteQuorum, m.AckQuorum)
	case len(m.Ensembles) == 0:
		return errors.New("no ensembles")
	}
	for _, f := range m.Ensembles {
		if len(f.Bookies) != m.EnsembleSize {
			return fmt.Errorf("fragment at entry %d has %d bookies, want %d", f.FirstEntryID, len(f.Bookies), m.EnsembleSize)
		}
	}
	switch m.State {
	case stateOpen, stateInRecovery, stateClosed:
	default:
		return fmt.Errorf("unknown state %q", m.State)
	}
	return nil
}

func (m *ledgerMeta) info(id int64) Info {
	return Info{
		ID:           id,
		EnsembleSize: m.EnsembleSize, WriteQuorum: m.WriteQuorum, AckQuorum: m.AckQuorum,
		Closed:      m.State == stateClosed,
		LastEntryID: m.LastEntryID,
		Length:      m.Length,
		CreatedMs:   m.CtimeMs,
		Custom:      m.Custom,
	}
}

// readMeta loads a ledger's metadata and its version.
func readMeta(ctx context.Context, s metadata.Store, id int64) (*ledgerMeta, int64, error) {
	val, st, err := s.Get(ctx, ledgerKey(id))
	if errors.Is(err, metadata.ErrNotFound) {
		return nil, 0, fmt.Errorf("ledger %d: %w", id, ErrNoSuchLedger)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("ledger %d: read metadata: %w", id, err)
	}
	m := new(ledgerMeta)
	if err := json.Unmarshal(val, m); err != nil {
		return nil, 0, fmt.Errorf("ledger %d: decode metadata: %w", id, err)
	}
	if err := m.validate(); err != nil {
		return nil, 0, fmt.Errorf("ledger %d: bad metadata: %w", id, err)
	}
	return m, st.Version, nil
}

// writeMeta stores m if the key is still at version (metadata.NotExists to create) and
// returns the new version; metadata.ErrBadVersion tells the caller to re-read.
func writeMeta(ctx context.Context, s metadata.Store, id int64, m *ledgerMeta, version int64) (int64, error) {
	val, err := json.Marshal(m)
	if err != nil {
		return 0, fmt.Errorf("ledger %d: encode metadata: %w", id, err)
	}
	st, err := s.Put(ctx, ledgerKey(id), val, version)
	if err != nil {
		return 0, fmt.Errorf("ledger %d: write metadata: %w", id, err)
	}
	return st.Version, nil
}
