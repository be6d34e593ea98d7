package admin

import (
	"io"
	"net/http"

	"github.com/magnetar/magnetar/resources/topicname"
)

func (h *Handler) routeBrokers() {
	const base = "/admin/v2/brokers"
	h.route("GET "+base, func(w http.ResponseWriter, r *http.Request) error {
		return h.activeBrokers(w, r)
	})
	h.route("GET "+base+"/{cluster}", func(w http.ResponseWriter, r *http.Request) error {
		if _, err := h.res.GetCluster(r.Context(), r.PathValue("cluster")); err != nil {
			return err
		}
		return h.activeBrokers(w, r)
	})
	h.route("GET "+base+"/leaderBroker", func(w http.ResponseWriter, r *http.Request) error {
		b, err := h.broker.LeaderBroker(r.Context())
		if err != nil {
			return err
		}
		return ok(w, b)
	})
	health := func(w http.ResponseWriter, r *http.Request) error {
		if err := h.broker.HealthCheck(r.Context()); err != nil {
			return err
		}
		return text(w, "ok")
	}
	h.route("GET "+base+"/health", health)
	h.route("GET "+base+"/ready", health)
	// Dynamic configuration is not supported: no names, no values, updates refused.
	h.route("GET "+base+"/configuration", func(w http.ResponseWriter, r *http.Request) error {
		return ok(w, []string{})
	})
	h.route("GET "+base+"/configuration/values", func(w http.ResponseWriter, r *http.Request) error {
		return ok(w, map[string]string{})
	})
	h.route("POST "+base+"/configuration/{name}/{value}", func(w http.ResponseWriter, r *http.Request) error {
		return preconditionFailed("Can't update non-dynamic configuration %s", r.PathValue("name"))
	})
	h.mux.HandleFunc("GET /status.html", func(w http.ResponseWriter, r *http.Request) { text(w, "OK") })

	lookup := "/lookup/v2/topic/{domain}/{tenant}/{namespace}/{topic}"
	h.route("GET "+lookup, func(w http.ResponseWriter, r *http.Request) error {
		d, err := topicname.ParseDomain(r.PathValue("domain"))
		if err != nil {
			return badRequest("%v", err)
		}
		t, err := topicOf(r, d)
		if err != nil {
			return err
		}
		if err := h.res.CheckNamespace(r.Context(), t.Namespace); err != nil {
			return err
		}
		data, err := h.broker.Lookup(r.Context(), t, r.URL.Query().Get("listenerName"))
		if err != nil {
			return err
		}
		return ok(w, data)
	})
}

// text answers with a plain-text body.
func text(w http.ResponseWriter, s string) error {
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, s)
	return nil
}

// activeBrokers answers the broker list ([] rather than 204 when there are none).
func (h *Handler) activeBrokers(w http.ResponseWriter, r *http.Request) error {
	brokers, err := h.broker.ActiveBrokers(r.Context())
	if err != nil {
		return err
	}
	if brokers == nil {
		brokers = []string{}
	}
	return ok(w, brokers)
}
