package schema

import "errors"

var (
	// ErrNotFound: the topic has no schema (none registered, or deleted), or not the
	// version asked for.
	ErrNotFound = errors.New("schema: not found")
	// ErrIncompatible: the schema breaks the topic's compatibility strategy or policies.
	// The broker answers ServerError IncompatibleSchema, the REST API 409.
	ErrIncompatible = errors.New("schema: incompatible")
	// ErrInvalidSchema: the schema data is malformed for its type. Pulsar answers
	// IncompatibleSchema on the wire and 422 over REST.
	ErrInvalidSchema = errors.New("schema: invalid schema data")
)

// Error carries Pulsar's message for an incompatible or invalid schema; Error() is that
// message alone, so it can go to clients as is. errors.Is matches its kind.
type Error struct {
	Kind error // ErrIncompatible or ErrInvalidSchema
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// Is makes errors.Is(err, ErrIncompatible) (or ErrInvalidSchema) true.
func (e *Error) Is(target error) bool { return target == e.Kind }

func incompatible(msg string) error { return &Error{Kind: ErrIncompatible, Msg: msg} }

func invalid(msg string) error { return &Error{Kind: ErrInvalidSchema, Msg: msg} }
