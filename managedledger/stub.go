package managedledger

// Temporary: replaced by the real implementation.

import (
	"context"
	"errors"
	"time"
)

var errTODO = errors.New("managedledger: not implemented yet")

type factory struct{}
type managedLedger struct{ name string }
type cursor struct {
	name    string
	durable bool
}

func newFactory(FactoryConfig) (*Factory, error)                                { return nil, errTODO }
func (f *factory) open(context.Context, string, Config) (*ManagedLedger, error) { return nil, errTODO }
func (f *factory) exists(context.Context, string) (bool, error)                 { return false, errTODO }
func (f *factory) names(context.Context, string) ([]string, error)              { return nil, errTODO }
func (f *factory) close() error                                                 { return errTODO }

func (m *managedLedger) addEntry(_ []byte, cb func(Position, error))   { cb(Position{}, errTODO) }
func (m *managedLedger) lastConfirmed() Position                       { return Position{} }
func (m *managedLedger) firstPosition() Position                       { return Position{} }
func (m *managedLedger) newEntries() <-chan struct{}                   { return nil }
func (m *managedLedger) read(context.Context, Position) (Entry, error) { return Entry{}, errTODO }
func (m *managedLedger) next(Position) (Position, bool)                { return Position{}, false }
func (m *managedLedger) findFirst(context.Context, func(Entry) bool) (Position, error) {
	return Position{}, errTODO
}
func (m *managedLedger) openCursor(context.Context, string, Position) (*Cursor, error) {
	return nil, errTODO
}
func (m *managedLedger) newNonDurableCursor(string, Position) *Cursor { return nil }
func (m *managedLedger) deleteCursor(context.Context, string) error   { return errTODO }
func (m *managedLedger) cursors() []*Cursor                           { return nil }
func (m *managedLedger) stats() Stats                                 { return Stats{} }
func (m *managedLedger) setConfig(Config)                             {}
func (m *managedLedger) trim(context.Context) error                   { return errTODO }
func (m *managedLedger) terminate(context.Context) (Position, error)  { return Position{}, errTODO }
func (m *managedLedger) terminated() bool                             { return false }
func (m *managedLedger) close(context.Context) error                  { return errTODO }
func (m *managedLedger) delete(context.Context) error                 { return errTODO }

func (c *cursor) read(context.Context, int, int64) ([]Entry, error)      { return nil, errTODO }
func (c *cursor) readPosition() Position                                 { return Position{} }
func (c *cursor) hasMore() bool                                          { return false }
func (c *cursor) rewind()                                                {}
func (c *cursor) seek(Position)                                          {}
func (c *cursor) reset(context.Context, Position) error                  { return errTODO }
func (c *cursor) markDelete(Position) error                              { return errTODO }
func (c *cursor) delete([]Position) error                                { return errTODO }
func (c *cursor) setBatchAckSet(Position, []int64)                       {}
func (c *cursor) batchAckSet(Position) []int64                           { return nil }
func (c *cursor) isAcked(Position) bool                                  { return false }
func (c *cursor) markDeleted() Position                                  { return Position{} }
func (c *cursor) backlog() int64                                         { return 0 }
func (c *cursor) backlogBytes() int64                                    { return 0 }
func (c *cursor) skip(int64) error                                       { return errTODO }
func (c *cursor) properties() map[string]string                          { return nil }
func (c *cursor) setProperties(context.Context, map[string]string) error { return errTODO }
func (c *cursor) lastActive() time.Time                                  { return time.Time{} }
func (c *cursor) flush(context.Context) error                            { return errTODO }
