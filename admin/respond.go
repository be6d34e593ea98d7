package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/magnetar/magnetar/resources"
)

// Errors the Broker returns (possibly wrapped); each carries Pulsar's status and reason.
var (
	ErrTopicNotFound        error = &resources.Error{Kind: resources.ErrNotFound, Reason: "Topic not found"}
	ErrTopicExists          error = &resources.Error{Kind: resources.ErrExists, Reason: "This topic already exists"}
	ErrTopicBusy            error = &resources.Error{Kind: resources.ErrInvalid, Reason: "Topic has active producers/subscriptions"}
	ErrSubscriptionNotFound error = &resources.Error{Kind: resources.ErrNotFound, Reason: "Subscription not found"}
	ErrSubscriptionExists   error = &resources.Error{Kind: resources.ErrExists, Reason: "Subscription already exists for topic"}
	ErrSubscriptionBusy     error = &resources.Error{Kind: resources.ErrInvalid, Reason: "Subscription has active connected consumers"}
	ErrMessageNotFound      error = &resources.Error{Kind: resources.ErrNotFound, Reason: "Message not found"}
	ErrTopicTerminated      error = &resources.Error{Kind: resources.ErrInvalid, Reason: "Topic is already terminated"}
	ErrNotPersistent        error = &resources.Error{Kind: resources.ErrInvalid, Reason: "Operation not supported on non-persistent topics"}
)

// RedirectError tells the caller another broker owns the topic: the request is answered
// with 307 to the same path on WebServiceURL (e.g. "http://host:8080").
type RedirectError struct {
	WebServiceURL string
}

func (e *RedirectError) Error() string { return "topic is served by " + e.WebServiceURL }

// statusError is an error with an explicit status (for the few codes resources has no
// kind for, e.g. 405).
type statusError struct {
	code   int
	reason string
}

func (e *statusError) Error() string { return e.reason }

// badRequest is a 400 with a reason.
func badRequest(format string, args ...any) error {
	return &resources.Error{Kind: resources.ErrBadInput, Reason: fmt.Sprintf(format, args...)}
}

// preconditionFailed is a 412 with a reason.
func preconditionFailed(format string, args ...any) error {
	return &resources.Error{Kind: resources.ErrInvalid, Reason: fmt.Sprintf(format, args...)}
}

// statusOf maps an error to Pulsar's HTTP status.
func statusOf(err error) int {
	var se *statusError
	if errors.As(err, &se) {
		return se.code
	}
	switch {
	case errors.Is(err, resources.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, resources.ErrExists), errors.Is(err, resources.ErrNotEmpty), errors.Is(err, resources.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, resources.ErrInvalid):
		return http.StatusPreconditionFailed
	case errors.Is(err, resources.ErrBadInput):
		return http.StatusBadRequest
	case errors.Is(err, resources.ErrDenied):
		return http.StatusForbidden
	case errors.Is(err, resources.ErrNotAcceptable):
		return http.StatusNotAcceptable
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	}
	return http.StatusInternalServerError
}

// writeError answers with {"reason": ...} (or a 307 for a RedirectError).
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var re *RedirectError
	if errors.As(err, &re) {
		http.Redirect(w, r, strings.TrimSuffix(re.WebServiceURL, "/")+r.URL.RequestURI(), http.StatusTemporaryRedirect)
		return
	}
	code := statusOf(err)
	reason := resources.ReasonOf(err)
	var se *statusError
	if errors.As(err, &se) {
		reason = se.reason
	}
	if code == http.StatusInternalServerError {
		slog.Warn("admin request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, code, map[string]string{"reason": reason})
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"reason":"cannot encode response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(code)
	w.Write(b)
}

// ok answers a GET with v, or 204 No Content when v is nil (a policy that is not set,
// which pulsaradmin reads as "unset").
func ok(w http.ResponseWriter, v any) error {
	if isNil(v) {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// isNil reports a nil value, including a typed nil pointer, map or slice.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// done answers a successful mutation.
func done(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// maxBody bounds request bodies; admin bodies are small.
const maxBody = 4 << 20

// readBody returns the request body (empty if none).
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return nil, badRequest("Cannot read request body: %v", err)
	}
	return b, nil
}

// decodeJSON reads a required JSON body into v; malformed JSON is a 400.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	b, err := readBody(w, r)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return badRequest("Request body is required")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return badRequest("Invalid request body: %v", err)
	}
	return nil
}

// scalar returns a JSON scalar body with quotes removed: Jackson accepts "3600" for an
// int and "true" for a bool, and pulsaradmin sends both forms.
func scalar(w http.ResponseWriter, r *http.Request) (string, error) {
	b, err := readBody(w, r)
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(b))
	if s == "" || s == "null" {
		return "", badRequest("Request body is required")
	}
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal([]byte(s), &str); err != nil {
			return "", badRequest("Invalid request body: %v", err)
		}
		s = strings.TrimSpace(str)
	}
	return s, nil
}

func intBody(w http.ResponseWriter, r *http.Request) (int, error) {
	s, err := scalar(w, r)
	if err != nil {
		return 0, err
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, badRequest("Invalid request body: %q is not an integer", s)
	}
	return v, nil
}

func int64Body(w http.ResponseWriter, r *http.Request) (int64, error) {
	s, err := scalar(w, r)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, badRequest("Invalid request body: %q is not an integer", s)
	}
	return v, nil
}

func boolBody(w http.ResponseWriter, r *http.Request) (bool, error) {
	s, err := scalar(w, r)
	if err != nil {
		return false, err
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return false, badRequest("Invalid request body: %q is not a boolean", s)
	}
	return v, nil
}

// queryBool reads a boolean query parameter (absent: def).
func queryBool(r *http.Request, name string, def bool) bool {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return def
	}
	return b
}

func parseInt(s string) (int, error) { return strconv.Atoi(strings.TrimSpace(s)) }
