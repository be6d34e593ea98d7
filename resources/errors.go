package resources

import (
	"errors"
	"fmt"
)

// Kinds of failure callers branch on (the admin API maps each to Pulsar's status code).
// Errors returned by Resources wrap one of these in an *Error carrying Pulsar's reason.
var (
	ErrNotFound = errors.New("not found")       // 404
	ErrExists   = errors.New("already exists")  // 409
	ErrNotEmpty = errors.New("not empty")       // 409
	ErrConflict = errors.New("concurrent edit") // 409: a CAS update lost too many races
	ErrInvalid  = errors.New("invalid")         // 412: a name or value Pulsar refuses
	ErrBadInput = errors.New("bad input")       // 400: malformed JSON or a bad enum value
	ErrDenied   = errors.New("not allowed")     // 403: e.g. a cluster the tenant may not use
	// ErrNotAcceptable: 406, Pulsar's answer to a partition count out of range.
	ErrNotAcceptable = errors.New("not acceptable")
)

// Error is a failure with Pulsar's reason text (what the REST API puts in {"reason": ...}).
type Error struct {
	Kind   error
	Reason string
}

func (e *Error) Error() string { return e.Reason }
func (e *Error) Unwrap() error { return e.Kind }

func newErr(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Reason: fmt.Sprintf(format, args...)}
}

// Reasons Pulsar gives, reused by the admin API.
var (
	errTenantNotFound    = &Error{ErrNotFound, "Tenant does not exist"}
	errTenantExists      = &Error{ErrExists, "Tenant already exists"}
	errTenantNotEmpty    = &Error{ErrNotEmpty, "The tenant still has active namespaces"}
	errNamespaceNotFound = &Error{ErrNotFound, "Namespace does not exist"}
	errNamespaceExists   = &Error{ErrExists, "Namespace already exists"}
	errClusterNotFound   = &Error{ErrNotFound, "Cluster does not exist"}
	errClusterExists     = &Error{ErrExists, "Cluster already exists"}
	errPartitionedExists = &Error{ErrExists, "Partitioned topic already exists"}
	errConcurrent        = &Error{ErrConflict, "Concurrent modification"}
)

// ReasonOf returns the reason of a Resources error, or err's text.
func ReasonOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return err.Error()
}
