// Package admin is Pulsar's admin REST API v2 (and /lookup/v2) for Magnetar: the paths,
// JSON and status codes of Pulsar's, so that pulsar-admin, pulsarctl and the official
// Go admin client (pulsaradmin) work unchanged. Metadata is read and written through
// resources; what needs the live broker goes through the Broker interface.
//
// Routing uses Go's pattern ServeMux. Topic routes are registered once per domain
// (persistent, non-persistent) with the domain spelled out, so they never overlap the
// namespace routes. Topic and subscription names arrive URL-encoded twice by Pulsar's
// clients; handlers decode the path value once more, as Pulsar does.
package admin

import (
	"context"
	"net/http"
	"time"

	"github.com/magnetar/magnetar/resources"
	"github.com/magnetar/magnetar/resources/topicname"
)

// requestTimeout bounds one admin request's metadata and broker work.
const requestTimeout = 30 * time.Second

// Handler serves the admin API. Other components add their routes (for example
// /admin/v2/schemas/...) with Handle before serving.
type Handler struct {
	res    *resources.Resources
	broker Broker
	mux    *http.ServeMux
}

// New returns the admin API over res and b.
func New(res *resources.Resources, b Broker) *Handler {
	h := &Handler{res: res, broker: b, mux: http.NewServeMux()}
	h.routeClusters()
	h.routeTenants()
	h.routeNamespaces()
	h.routeNamespacePolicies()
	for _, d := range []topicname.Domain{topicname.Persistent, topicname.NonPersistent} {
		h.routeTopics(d)
		h.routeTopicPolicies(d)
		h.routeSubscriptions(d)
	}
	h.routeBrokers()
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}

// Handle registers an extra route (a Go 1.22 ServeMux pattern) on the admin API.
func (h *Handler) Handle(pattern string, handler http.Handler) {
	h.mux.Handle(pattern, handler)
}

// apiFunc is a handler that reports failures as errors (answered Pulsar's way).
type apiFunc func(w http.ResponseWriter, r *http.Request) error

// route registers fn for pattern.
func (h *Handler) route(pattern string, fn apiFunc) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
		defer cancel()
		if err := fn(w, r.WithContext(ctx)); err != nil {
			writeError(w, r, err)
		}
	})
}

// namespaceOf reads {tenant}/{namespace} from the path (412 if the names are invalid).
func namespaceOf(r *http.Request) (topicname.Namespace, error) {
	ns, err := topicname.NewNamespace(r.PathValue("tenant"), r.PathValue("namespace"))
	if err != nil {
		return ns, preconditionFailed("Namespace name is not valid: %v", err)
	}
	return ns, nil
}

// decodeName undoes the second URL-encoding Pulsar's clients apply to topic and
// subscription names; a name that is not valid encoding is taken as it is.
func decodeName(s string) string {
	if d, err := topicname.Decode(s); err == nil {
		return d
	}
	return s
}

// topicOf reads the topic of a topic route.
func topicOf(r *http.Request, d topicname.Domain) (topicname.Name, error) {
	t, err := topicname.New(d, r.PathValue("tenant"), r.PathValue("namespace"), decodeName(r.PathValue("topic")))
	if err != nil {
		return t, preconditionFailed("Topic name is not valid: %v", err)
	}
	return t, nil
}

// subscriptionOf reads {subscription} from the path.
func subscriptionOf(r *http.Request) (string, error) {
	s := decodeName(r.PathValue("subscription"))
	if s == "" {
		return "", preconditionFailed("Subscription name is not valid")
	}
	return s, nil
}
