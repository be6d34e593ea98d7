package ledger

// Temporary: replaced by the real implementation (client.go, writer.go, reader.go).

import (
	"context"
	"errors"
)

var errTODO = errors.New("ledger: not implemented yet")

type client struct{}
type writer struct{}
type reader struct{}

func newClient(Config) (*Client, error) { return nil, errTODO }
func (c *client) create(context.Context, CreateOptions) (*WriteHandle, error) {
	return nil, errTODO
}
func (c *client) open(context.Context, int64, bool, []byte) (*ReadHandle, error) {
	return nil, errTODO
}
func (c *client) delete(context.Context, int64) error                 { return errTODO }
func (c *client) stat(context.Context, int64) (Info, error)           { return Info{}, errTODO }
func (w *writer) id() int64                                           { return 0 }
func (w *writer) append(_ []byte, cb func(int64, error))              { cb(-1, errTODO) }
func (w *writer) lac() int64                                          { return -1 }
func (w *writer) length() int64                                       { return 0 }
func (w *writer) read(context.Context, int64, int64) ([]Entry, error) { return nil, errTODO }
func (w *writer) close(context.Context) error                         { return errTODO }
func (r *reader) id() int64                                           { return 0 }
func (r *reader) lac() int64                                          { return -1 }
func (r *reader) length() int64                                       { return 0 }
func (r *reader) read(context.Context, int64, int64) ([]Entry, error) { return nil, errTODO }
func (r *reader) close() error                                        { return errTODO }
