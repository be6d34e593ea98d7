package admin

import (
	"net/http"

	"github.com/magnetar/magnetar/resources"
)

func (h *Handler) routeTenants() {
	const base = "/admin/v2/tenants"
	h.route("GET "+base, func(w http.ResponseWriter, r *http.Request) error {
		names, err := h.res.ListTenants(r.Context())
		if err != nil {
			return err
		}
		return ok(w, names)
	})
	h.route("GET "+base+"/{tenant}", func(w http.ResponseWriter, r *http.Request) error {
		t, err := h.res.GetTenant(r.Context(), r.PathValue("tenant"))
		if err != nil {
			return err
		}
		return ok(w, t)
	})
	h.route("PUT "+base+"/{tenant}", func(w http.ResponseWriter, r *http.Request) error {
		var info resources.TenantInfo
		if err := decodeJSON(w, r, &info); err != nil {
			return err
		}
		if err := h.res.CreateTenant(r.Context(), r.PathValue("tenant"), info); err != nil {
			return err
		}
		return done(w)
	})
	h.route("POST "+base+"/{tenant}", func(w http.ResponseWriter, r *http.Request) error {
		var info resources.TenantInfo
		if err := decodeJSON(w, r, &info); err != nil {
			return err
		}
		if err := h.res.UpdateTenant(r.Context(), r.PathValue("tenant"), info); err != nil {
			return err
		}
		return done(w)
	})
	h.route("DELETE "+base+"/{tenant}", func(w http.ResponseWriter, r *http.Request) error {
		ctx, tenant := r.Context(), r.PathValue("tenant")
		if queryBool(r, "force", false) {
			nss, err := h.res.ListNamespaces(ctx, tenant)
			if err != nil {
				return err
			}
			for _, ns := range nss {
				if err := h.deleteNamespace(ctx, ns, true); err != nil {
					return err
				}
			}
		}
		if err := h.res.DeleteTenant(ctx, tenant); err != nil {
			return err
		}
		return done(w)
	})
}
