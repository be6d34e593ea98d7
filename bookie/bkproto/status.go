package bkproto

import (
	"context"
	"errors"
	"fmt"

	"github.com/magnetar/magnetar/bookie"
)

// Status is a response's outcome (PROTOCOL.md, "Status codes").
type Status uint8

const (
	StatusOK Status = iota
	StatusNoSuchLedger
	StatusNoSuchEntry
	StatusFenced
	StatusUnauthorized
	StatusReadOnly
	StatusTooLarge
	StatusClosed
	StatusTimeout
	StatusBadRequest
	StatusInternal
)

// sentinels maps statuses to the bookie errors callers branch on.
var sentinels = map[Status]error{
	StatusNoSuchLedger: bookie.ErrNoSuchLedger,
	StatusNoSuchEntry:  bookie.ErrNoSuchEntry,
	StatusFenced:       bookie.ErrFenced,
	StatusUnauthorized: bookie.ErrUnauthorized,
	StatusReadOnly:     bookie.ErrReadOnly,
	StatusTooLarge:     bookie.ErrTooLarge,
	StatusClosed:       bookie.ErrClosed,
	StatusTimeout:      bookie.ErrTimeout,
}

// statusOf is the status a bookie error travels as.
func statusOf(err error) Status {
	if err == nil {
		return StatusOK
	}
	for st, s := range sentinels {
		if errors.Is(err, s) {
			return st
		}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return StatusTimeout
	}
	return StatusInternal
}

// RemoteError is an error a bookie returned; it unwraps to the matching bookie error.
type RemoteError struct {
	Addr    string
	Status  Status
	Message string
}

func (e *RemoteError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = fmt.Sprintf("status %d", e.Status)
		if s := sentinels[e.Status]; s != nil {
			msg = s.Error()
		}
	}
	return fmt.Sprintf("bookie %s: %s", e.Addr, msg)
}

func (e *RemoteError) Unwrap() error { return sentinels[e.Status] }
