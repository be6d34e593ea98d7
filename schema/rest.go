package schema

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
)

// PolicyLookup resolves a topic's effective schema policy from topic and namespace policies;
// the admin layer implements it. An error wrapping ErrNotFound means the namespace does not
// exist (404).
type PolicyLookup interface {
	SchemaPolicy(ctx context.Context, topic TopicID) (Policy, error)
}

// StaticPolicy gives every topic the same policy (a standalone default, tests).
type StaticPolicy Policy

// SchemaPolicy implements PolicyLookup.
func (p StaticPolicy) SchemaPolicy(context.Context, TopicID) (Policy, error) { return Policy(p), nil }

// Pulsar's REST shapes (org.apache.pulsar.common.protocol.schema).
type (
	getSchemaResponse struct {
		Version    int64             `json:"version"`
		Type       string            `json:"type"`
		Timestamp  int64             `json:"timestamp"`
		Data       string            `json:"data"`
		Properties map[string]string `json:"properties"`
	}
	getAllVersionsResponse struct {
		Responses []getSchemaResponse `json:"getSchemaResponses"`
	}
	postSchemaPayload struct {
		Type       string            `json:"type"`
		Schema     string            `json:"schema"`
		Properties map[string]string `json:"properties"`
	}
	// postSchemaResponse.version is a LongSchemaVersion object, as Jackson writes it.
	postSchemaResponse struct {
		Version versionResponse `json:"version"`
	}
	versionResponse struct {
		Version int64 `json:"version"`
	}
	isCompatibilityResponse struct {
		Compatibility bool   `json:"compatibility"`
		Strategy      string `json:"schemaCompatibilityStrategy"`
	}
	errorResponse struct {
		Reason string `json:"reason"`
	}
)

// Handler serves Pulsar's schema admin API under /admin/v2/schemas/{tenant}/{ns}/{topic}/:
// GET/POST/DELETE schema, GET schema/{version}, GET schemas, POST compatibility and POST
// version, with Pulsar's JSON bodies and status codes. policies may be nil (FULL for every
// topic). Next to other admin handlers, use RegisterHTTP on the shared mux instead: a
// "/admin/v2/schemas/" subtree conflicts with wildcard patterns such as the broker's
// "GET /admin/v2/{domain}/{tenant}/{namespace}/{topic}/partitions".
func Handler(reg *Registry, policies PolicyLookup) http.Handler {
	mux := http.NewServeMux()
	RegisterHTTP(mux, reg, policies)
	return mux
}

// RegisterHTTP adds the schema admin API's routes (see Handler) to mux.
func RegisterHTTP(mux *http.ServeMux, reg *Registry, policies PolicyLookup) {
	if policies == nil {
		policies = StaticPolicy{}
	}
	h := &handler{reg: reg, policies: policies}
	const base = "/admin/v2/schemas/{tenant}/{namespace}/{topic}/"
	mux.HandleFunc("GET "+base+"schema", h.topic(h.getLatest))
	mux.HandleFunc("POST "+base+"schema", h.topic(h.upload))
	mux.HandleFunc("DELETE "+base+"schema", h.topic(h.delete))
	mux.HandleFunc("GET "+base+"schema/{version}", h.topic(h.getVersion))
	mux.HandleFunc("GET "+base+"schemas", h.topic(h.getAll))
	mux.HandleFunc("POST "+base+"compatibility", h.topic(h.compatibility))
	mux.HandleFunc("POST "+base+"version", h.topic(h.version))
}

type handler struct {
	reg      *Registry
	policies PolicyLookup
}

type topicHandler func(w http.ResponseWriter, r *http.Request, id TopicID)

// topic parses the path's topic before calling next.
func (h *handler) topic(next topicHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := NewTopicID(r.PathValue("tenant"), r.PathValue("namespace"), r.PathValue("topic"))
		if err != nil {
			writeError(w, http.StatusPreconditionFailed, "Topic name is not valid")
			return
		}
		next(w, r, id)
	}
}

func (h *handler) getLatest(w http.ResponseWriter, r *http.Request, id TopicID) {
	v, err := h.reg.GetLatest(r.Context(), id.String())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeSchema(w, v)
}

func (h *handler) getVersion(w http.ResponseWriter, r *http.Request, id TopicID) {
	n, err := strconv.ParseInt(r.PathValue("version"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "Invalid schema version "+strconv.Quote(r.PathValue("version")))
		return
	}
	v, err := h.reg.GetByVersion(r.Context(), id.String(), n)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeSchema(w, v)
}

func (h *handler) getAll(w http.ResponseWriter, r *http.Request, id TopicID) {
	all, err := h.reg.AllVersions(r.Context(), id.String())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := getAllVersionsResponse{Responses: make([]getSchemaResponse, 0, len(all))}
	for _, v := range all {
		resp, err := toResponse(v)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		out.Responses = append(out.Responses, resp)
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) delete(w http.ResponseWriter, r *http.Request, id TopicID) {
	force, _ := strconv.ParseBool(r.URL.Query().Get("force"))
	v, err := h.reg.Delete(r.Context(), id.String(), force)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, versionResponse{Version: v})
}

// upload registers a schema under the topic's strategy. Auto-update and validation
// policies govern producers only; the admin API may always add a compatible version.
func (h *handler) upload(w http.ResponseWriter, r *http.Request, id TopicID) {
	info, ok := readPayload(w, r, id)
	if !ok {
		return
	}
	if info.Type == Bytes {
		writeError(w, http.StatusNotAcceptable, "Do not upload a BYTES schema, because it's the default schema type")
		return
	}
	p, err := h.policies.SchemaPolicy(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v, err := h.reg.Register(r.Context(), id.String(), info, Policy{Strategy: p.Strategy})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, postSchemaResponse{Version: versionResponse{Version: v}})
}

// compatibility answers 202 with {"compatibility": bool, ...}. An incompatible schema is
// "compatibility": false, as the response shape means and Pulsar 2.x answered; Pulsar 3.x
// answers an error (500) instead. Malformed definitions are 422.
func (h *handler) compatibility(w http.ResponseWriter, r *http.Request, id TopicID) {
	info, ok := readPayload(w, r, id)
	if !ok {
		return
	}
	p, err := h.policies.SchemaPolicy(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	strategy := p.Strategy.Effective()
	err = h.reg.CheckCompatibility(r.Context(), id.String(), info, strategy)
	if err != nil && !errors.Is(err, ErrIncompatible) {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, isCompatibilityResponse{Compatibility: err == nil, Strategy: strategy.String()})
}

// version answers the version of an identical schema, or -1 (Pulsar's NO_SCHEMA_VERSION).
func (h *handler) version(w http.ResponseWriter, r *http.Request, id TopicID) {
	info, ok := readPayload(w, r, id)
	if !ok {
		return
	}
	v, err := h.reg.FindVersion(r.Context(), id.String(), info)
	if err != nil && !errors.Is(err, ErrNotFound) {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, versionResponse{Version: v})
}

// readPayload decodes a PostSchemaPayload; KEY_VALUE definitions arrive as
// {"key":...,"value":...} and are converted to the binary encoding.
func readPayload(w http.ResponseWriter, r *http.Request, id TopicID) (SchemaInfo, bool) {
	var p postSchemaPayload
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<20)).Decode(&p); err != nil {
		writeError(w, http.StatusBadRequest, "Invalid schema payload: "+err.Error())
		return SchemaInfo{}, false
	}
	t, err := ParseType(p.Type)
	if err != nil {
		writeError(w, http.StatusBadRequest, "Invalid schema type "+strconv.Quote(p.Type))
		return SchemaInfo{}, false
	}
	info := SchemaInfo{Name: id.Local, Type: t, Data: []byte(p.Schema), Properties: p.Properties}
	if t == KeyValue {
		if info.Data, err = kvFromREST(p.Schema); err != nil {
			writeError(w, http.StatusUnprocessableEntity, err.Error())
			return SchemaInfo{}, false
		}
	}
	return info, true
}

// fail maps registry errors to Pulsar's statuses and reasons.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrDeleted):
		writeError(w, http.StatusNotFound, "Schema is deleted")
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, "Schema not found")
	case errors.Is(err, ErrIncompatible):
		writeError(w, http.StatusConflict, err.Error())
	case errors.Is(err, ErrInvalidSchema):
		writeError(w, http.StatusUnprocessableEntity, err.Error())
	default:
		slog.Error("schema admin request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, err.Error())
	}
}

func writeSchema(w http.ResponseWriter, v Versioned) {
	resp, err := toResponse(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// toResponse renders a version as GetSchemaResponse; KEY_VALUE data becomes
// {"key":...,"value":...} JSON, as Pulsar shows it.
func toResponse(v Versioned) (getSchemaResponse, error) {
	data := string(v.Data)
	if v.Type == KeyValue {
		var err error
		if data, err = kvToREST(v.SchemaInfo); err != nil {
			return getSchemaResponse{}, err
		}
	}
	return getSchemaResponse{
		Version: v.Version, Type: v.Type.String(), Timestamp: v.Timestamp,
		Data: data, Properties: nonNil(v.Properties),
	}, nil
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(body); err != nil {
		slog.Debug("schema admin: write response", "err", err)
	}
}

func writeError(w http.ResponseWriter, status int, reason string) {
	writeJSON(w, status, errorResponse{Reason: reason})
}
