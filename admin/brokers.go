package admin

import (
	"io"
	"net/http"

	"github.com/magnetar/magnetar/resources"
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
	h.routeConfiguration(base + "/configuration")
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
	// The bundle a topic belongs to (pulsar-admin topics bundle-range), as plain text.
	h.route("GET "+lookup+"/bundle", func(w http.ResponseWriter, r *http.Request) error {
		d, err := topicname.ParseDomain(r.PathValue("domain"))
		if err != nil {
			return badRequest("%v", err)
		}
		t, err := topicOf(r, d)
		if err != nil {
			return err
		}
		p, err := h.res.GetPolicies(r.Context(), t.Namespace)
		if err != nil {
			return err
		}
		bundle, err := resources.BundleOf(p.Bundles, t.String())
		if err != nil {
			return err
		}
		return text(w, bundle)
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

// routeConfiguration serves the dynamic configuration. An update answers 200, as
// Pulsar's does; a value may contain '/' (escaped or not).
func (h *Handler) routeConfiguration(base string) {
	h.route("GET "+base, func(w http.ResponseWriter, r *http.Request) error {
		return ok(w, h.broker.DynamicConfigNames())
	})
	h.route("GET "+base+"/values", func(w http.ResponseWriter, r *http.Request) error {
		values, err := h.broker.DynamicConfigValues(r.Context())
		return okOrErr(w, values, err)
	})
	h.route("GET "+base+"/runtime", func(w http.ResponseWriter, r *http.Request) error {
		return ok(w, h.broker.RuntimeConfig())
	})
	h.route("POST "+base+"/{name}/{value...}", func(w http.ResponseWriter, r *http.Request) error {
		if err := h.broker.UpdateDynamicConfig(r.Context(), r.PathValue("name"), r.PathValue("value")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusOK)
		return nil
	})
	h.route("DELETE "+base+"/{name}", func(w http.ResponseWriter, r *http.Request) error {
		if err := h.broker.DeleteDynamicConfig(r.Context(), r.PathValue("name")); err != nil {
			return err
		}
		return done(w)
	})
}
