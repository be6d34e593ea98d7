package managedledger

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Metadata layout in the store:
//
//	/managed-ledgers/<name>             mlInfo (JSON)
//	/managed-ledgers/<name>/@<cursor>   cursorInfo (JSON); <cursor> is url.PathEscape'd
//
// A managed ledger's name is a slash-separated path ("public/default/persistent/t"), so
// its node's children may be both cursors and other managed ledgers whose names extend
// it. Cursor nodes are told apart by the '@' that starts their last element: managed
// ledger names may not have an element starting with '@' (Pulsar's persistence names
// URL-encode the topic's local name, so they never do). Intermediate nodes (a tenant,
// namespace or domain) have empty values.
const rootKey = "/managed-ledgers"

const cursorMark = "@"

// validateName checks that a managed ledger name maps to a clean key without reserved
// elements.
func validateName(name string) error {
	if name == "" {
		return fmt.Errorf("managedledger: empty name")
	}
	for _, el := range strings.Split(name, "/") {
		switch {
		case el == "", el == ".", el == "..":
			return fmt.Errorf("managedledger: invalid name %q: empty, . or .. element", name)
		case strings.HasPrefix(el, cursorMark):
			return fmt.Errorf("managedledger: invalid name %q: element starts with %q", name, cursorMark)
		case strings.ContainsRune(el, 0):
			return fmt.Errorf("managedledger: invalid name %q: NUL", name)
		}
	}
	return nil
}

func mlKey(name string) string { return rootKey + "/" + name }

func cursorKey(mlName, cursor string) string {
	return mlKey(mlName) + "/" + cursorMark + url.PathEscape(cursor)
}

// cursorNameFromChild returns the cursor name of a child element of a managed ledger's
// node, ok=false if the child is not a cursor.
func cursorNameFromChild(child string) (string, bool) {
	if !strings.HasPrefix(child, cursorMark) {
		return "", false
	}
	n, err := url.PathUnescape(child[len(cursorMark):])
	if err != nil {
		return "", false
	}
	return n, true
}

// mlInfo is the stored form of a managed ledger.
type mlInfo struct {
	Ledgers            []ledgerMeta      `json:"ledgers"`
	TerminatedPosition *posJSON          `json:"terminatedPosition,omitempty"`
	Properties         map[string]string `json:"properties,omitempty"`
}

// posJSON is a position as stored.
type posJSON struct {
	LedgerID int64 `json:"ledgerId"`
	EntryID  int64 `json:"entryId"`
}

func toJSONPos(p Position) posJSON   { return posJSON{p.LedgerID, p.EntryID} }
func (p posJSON) position() Position { return Position{p.LedgerID, p.EntryID} }

// decodeMLInfo parses a managed ledger node; ok=false for an intermediate (empty) node.
func decodeMLInfo(b []byte) (mlInfo, bool, error) {
	var info mlInfo
	if len(strings.TrimSpace(string(b))) == 0 {
		return info, false, nil
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return info, false, fmt.Errorf("decode managed ledger metadata: %w", err)
	}
	return info, true, nil
}

// encode never returns an empty value, so a stored managed ledger is never mistaken for
// an intermediate node.
func (info mlInfo) encode() ([]byte, error) {
	if info.Ledgers == nil {
		info.Ledgers = []ledgerMeta{}
	}
	return json.Marshal(info)
}

// cursorInfo is the stored form of a durable cursor. IndividuallyDeleted holds closed
// ranges [from, to] of positions after MarkDelete (see posRange).
type cursorInfo struct {
	MarkDelete          posJSON            `json:"markDelete"`
	IndividuallyDeleted [][2]posJSON       `json:"individuallyDeleted,omitempty"`
	BatchAckSets        map[string][]int64 `json:"batchAckSets,omitempty"`
	Properties          map[string]string  `json:"properties,omitempty"`
	LastActiveMs        int64              `json:"lastActiveMs"`
}

// maxPersistedRanges bounds the individually deleted ranges stored with a cursor
// (Pulsar's managedLedgerMaxUnackedRangesToPersist): ranges beyond it are dropped from
// the stored state, so after a crash those entries are delivered again, never lost.
const maxPersistedRanges = 10000

// batchKey is how a position is written as a JSON object key.
func batchKey(p Position) string {
	return strconv.FormatInt(p.LedgerID, 10) + ":" + strconv.FormatInt(p.EntryID, 10)
}

func parseBatchKey(s string) (Position, error) {
	l, e, ok := strings.Cut(s, ":")
	if !ok {
		return Position{}, fmt.Errorf("bad position %q", s)
	}
	li, err := strconv.ParseInt(l, 10, 64)
	if err != nil {
		return Position{}, fmt.Errorf("bad position %q: %w", s, err)
	}
	ei, err := strconv.ParseInt(e, 10, 64)
	if err != nil {
		return Position{}, fmt.Errorf("bad position %q: %w", s, err)
	}
	return Position{li, ei}, nil
}
