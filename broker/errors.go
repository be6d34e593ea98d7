package broker

import (
	"context"
	"errors"
	"fmt"

	"github.com/magnetar/magnetar/managedledger"
	"github.com/magnetar/magnetar/wire/pb"
)

// serverError is an error with the Pulsar ServerError code the client will see. Clients
// branch on the code's name ("ProducerBusy", "TopicNotFound"), not on the text.
type serverError struct {
	code pb.ServerError
	msg  string
}

func (e *serverError) Error() string { return e.code.String() + ": " + e.msg }

func errorf(code pb.ServerError, format string, args ...any) error {
	return &serverError{code: code, msg: fmt.Sprintf(format, args...)}
}

// Errors the broker returns in several places.
var (
	errServiceClosing = errorf(pb.ServerError_ServiceNotReady, "broker is shutting down")
	errNoStorage      = errorf(pb.ServerError_PersistenceError, "persistent topics are not available on this broker")
)

// codeOf maps an error to the ServerError code sent to the client, in one place.
func codeOf(err error) pb.ServerError {
	var se *serverError
	switch {
	case errors.As(err, &se):
		return se.code
	case errors.Is(err, managedledger.ErrTerminated):
		return pb.ServerError_TopicTerminatedError
	case errors.Is(err, managedledger.ErrFenced), errors.Is(err, managedledger.ErrClosed):
		return pb.ServerError_ServiceNotReady
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return pb.ServerError_ServiceNotReady
	}
	return pb.ServerError_PersistenceError
}

// messageOf is the text sent with an error: without the code prefix for serverErrors.
func messageOf(err error) string {
	var se *serverError
	if errors.As(err, &se) {
		return se.msg
	}
	return err.Error()
}
