package admin

import (
	"net/http"

	"github.com/magnetar/magnetar/resources"
)

func (h *Handler) routeClusters() {
	const base = "/admin/v2/clusters"
	h.route("GET "+base, func(w http.ResponseWriter, r *http.Request) error {
		names, err := h.res.ListClusters(r.Context())
		if err != nil {
			return err
		}
		return ok(w, names)
	})
	h.route("GET "+base+"/{cluster}", func(w http.ResponseWriter, r *http.Request) error {
		c, err := h.res.GetCluster(r.Context(), r.PathValue("cluster"))
		if err != nil {
			return err
		}
		return ok(w, c)
	})
	h.route("PUT "+base+"/{cluster}", func(w http.ResponseWriter, r *http.Request) error {
		var c resources.ClusterData
		if err := decodeJSON(w, r, &c); err != nil {
			return err
		}
		if err := h.res.CreateCluster(r.Context(), r.PathValue("cluster"), c); err != nil {
			return err
		}
		return done(w)
	})
	h.route("POST "+base+"/{cluster}", func(w http.ResponseWriter, r *http.Request) error {
		var c resources.ClusterData
		if err := decodeJSON(w, r, &c); err != nil {
			return err
		}
		if err := h.res.UpdateCluster(r.Context(), r.PathValue("cluster"), c); err != nil {
			return err
		}
		return done(w)
	})
	h.route("DELETE "+base+"/{cluster}", func(w http.ResponseWriter, r *http.Request) error {
		if err := h.res.DeleteCluster(r.Context(), r.PathValue("cluster")); err != nil {
			return err
		}
		return done(w)
	})
	h.route("GET "+base+"/{cluster}/peers", func(w http.ResponseWriter, r *http.Request) error {
		c, err := h.res.GetCluster(r.Context(), r.PathValue("cluster"))
		if err != nil {
			return err
		}
		return ok(w, c.PeerClusterNames)
	})
	h.route("POST "+base+"/{cluster}/peers", func(w http.ResponseWriter, r *http.Request) error {
		var peers []string
		if err := decodeJSON(w, r, &peers); err != nil {
			return err
		}
		if err := h.res.UpdateClusterPeers(r.Context(), r.PathValue("cluster"), peers); err != nil {
			return err
		}
		return done(w)
	})
	// Failure domains and namespace isolation are not modelled: existing clusters have none.
	for _, sub := range []string{"failureDomains", "namespaceIsolationPolicies"} {
		h.route("GET "+base+"/{cluster}/"+sub, func(w http.ResponseWriter, r *http.Request) error {
			if _, err := h.res.GetCluster(r.Context(), r.PathValue("cluster")); err != nil {
				return err
			}
			return ok(w, map[string]any{})
		})
	}
}
