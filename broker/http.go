package broker

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/magnetar/magnetar/resources"
	"github.com/magnetar/magnetar/resources/topicname"
	"github.com/magnetar/magnetar/wire/pb"
)

// RegisterLookupHTTP serves Pulsar's HTTP lookup on mux (clients whose service URL is
// http://...): GET /lookup/v2/topic/{domain}/{tenant}/{namespace}/{topic}.
func (b *Broker) RegisterLookupHTTP(mux *http.ServeMux) {
	mux.HandleFunc("GET /lookup/v2/topic/{domain}/{tenant}/{namespace}/{topic}", b.httpLookup)
}

// RegisterTopicHTTP serves the two admin reads HTTP-lookup clients need, partitioned
// metadata and a namespace's topics. The admin API, when it serves the full
// /admin/v2 tree, takes their place.
func (b *Broker) RegisterTopicHTTP(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/v2/{domain}/{tenant}/{namespace}/{topic}/partitions", b.httpPartitions)
	mux.HandleFunc("GET /admin/v2/namespaces/{tenant}/{namespace}/topics", b.httpNamespaceTopics)
}

func (b *Broker) httpTopic(r *http.Request) (topicname.Name, error) {
	d, err := topicname.ParseDomain(r.PathValue("domain"))
	if err != nil {
		return topicname.Name{}, errorf(pb.ServerError_InvalidTopicName, "%v", err)
	}
	local, err := topicname.Decode(r.PathValue("topic"))
	if err != nil {
		return topicname.Name{}, errorf(pb.ServerError_InvalidTopicName, "%v", err)
	}
	n, err := topicname.New(d, r.PathValue("tenant"), r.PathValue("namespace"), local)
	if err != nil {
		return topicname.Name{}, errorf(pb.ServerError_InvalidTopicName, "%v", err)
	}
	return n, nil
}

func (b *Broker) httpLookup(w http.ResponseWriter, r *http.Request) {
	n, err := b.httpTopic(r)
	if err == nil {
		err = b.lookup(r.Context(), n.String())
	}
	if err != nil {
		httpError(w, err)
		return
	}
	writeJSON(w, map[string]string{
		"brokerUrl":    b.serviceURL,
		"brokerUrlTls": "",
		"httpUrl":      b.webURL,
		"httpUrlTls":   "",
	})
}

func (b *Broker) httpPartitions(w http.ResponseWriter, r *http.Request) {
	n, err := b.httpTopic(r)
	var parts int
	if err == nil {
		parts, err = b.partitionedMetadata(r.Context(), n.String())
	}
	if err != nil {
		httpError(w, err)
		return
	}
	writeJSON(w, map[string]int{"partitions": parts})
}

func (b *Broker) httpNamespaceTopics(w http.ResponseWriter, r *http.Request) {
	ns, err := topicname.NewNamespace(r.PathValue("tenant"), r.PathValue("namespace"))
	if err != nil {
		httpError(w, errorf(pb.ServerError_InvalidTopicName, "%v", err))
		return
	}
	if _, err := b.namespacePolicies(r.Context(), ns); err != nil {
		httpError(w, err)
		return
	}
	mode := pb.CommandGetTopicsOfNamespace_PERSISTENT
	switch strings.ToUpper(r.URL.Query().Get("mode")) {
	case "NON_PERSISTENT":
		mode = pb.CommandGetTopicsOfNamespace_NON_PERSISTENT
	case "ALL":
		mode = pb.CommandGetTopicsOfNamespace_ALL
	}
	topics, err := b.topicsOfNamespace(r.Context(), ns.String(), mode)
	if err != nil {
		httpError(w, err)
		return
	}
	writeJSON(w, topics)
}

// httpError answers as Pulsar's REST API does: {"reason": ...} with a status for the kind.
func httpError(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	var se *serverError
	switch {
	case errors.As(err, &se) && se.code == pb.ServerError_TopicNotFound:
		status = http.StatusNotFound
	case errors.As(err, &se) && se.code == pb.ServerError_InvalidTopicName:
		status = http.StatusPreconditionFailed
	case errors.As(err, &se) && se.code == pb.ServerError_ServiceNotReady:
		status = http.StatusServiceUnavailable
	case errors.Is(err, resources.ErrNotFound):
		status = http.StatusNotFound
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"reason": messageOf(err)})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
