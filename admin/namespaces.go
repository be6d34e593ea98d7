package admin

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/magnetar/magnetar/resources"
	"github.com/magnetar/magnetar/resources/topicname"
)

var errNamespaceNotEmpty = &resources.Error{Kind: resources.ErrNotEmpty, Reason: "Cannot delete non empty namespace"}

func (h *Handler) routeNamespaces() {
	const base = "/admin/v2/namespaces/{tenant}"
	const ns = base + "/{namespace}"
	h.route("GET "+base, func(w http.ResponseWriter, r *http.Request) error {
		nss, err := h.res.ListNamespaces(r.Context(), r.PathValue("tenant"))
		if err != nil {
			return err
		}
		names := make([]string, len(nss))
		for i, n := range nss {
			names[i] = n.String()
		}
		return ok(w, names)
	})
	h.route("PUT "+ns, h.createNamespace)
	h.route("GET "+ns, func(w http.ResponseWriter, r *http.Request) error {
		n, err := namespaceOf(r)
		if err != nil {
			return err
		}
		p, err := h.res.GetPolicies(r.Context(), n)
		if err != nil {
			return err
		}
		return ok(w, p)
	})
	h.route("DELETE "+ns, func(w http.ResponseWriter, r *http.Request) error {
		n, err := namespaceOf(r)
		if err != nil {
			return err
		}
		if err := h.deleteNamespace(r.Context(), n, queryBool(r, "force", false)); err != nil {
			return err
		}
		return done(w)
	})
	h.route("GET "+ns+"/topics", func(w http.ResponseWriter, r *http.Request) error {
		n, err := namespaceOf(r)
		if err != nil {
			return err
		}
		var domains []topicname.Domain
		switch mode := strings.ToUpper(r.URL.Query().Get("mode")); mode {
		case "", "PERSISTENT":
			domains = []topicname.Domain{topicname.Persistent}
		case "NON_PERSISTENT":
			domains = []topicname.Domain{topicname.NonPersistent}
		case "ALL":
			domains = []topicname.Domain{topicname.Persistent, topicname.NonPersistent}
		default:
			return badRequest("Invalid mode %q: use PERSISTENT, NON_PERSISTENT or ALL", mode)
		}
		topics, err := h.namespaceTopics(r.Context(), n, domains...)
		if err != nil {
			return err
		}
		return ok(w, topics)
	})
	h.route("GET "+ns+"/bundles", func(w http.ResponseWriter, r *http.Request) error {
		n, err := namespaceOf(r)
		if err != nil {
			return err
		}
		p, err := h.res.GetPolicies(r.Context(), n)
		if err != nil {
			return err
		}
		return ok(w, p.Bundles)
	})
	h.route("PUT "+ns+"/unload", func(w http.ResponseWriter, r *http.Request) error {
		return h.forNamespaceTopics(w, r, func(ctx context.Context, t topicname.Name) error {
			return h.broker.Unload(ctx, t)
		})
	})
	// Unloading one bundle unloads the topics that hash into it (resources.BundleOf).
	h.route("PUT "+ns+"/{bundle}/unload", func(w http.ResponseWriter, r *http.Request) error {
		p, err := h.checkBundle(r)
		if err != nil {
			return err
		}
		bundle := r.PathValue("bundle")
		return h.forNamespaceTopics(w, r, func(ctx context.Context, t topicname.Name) error {
			if b, err := resources.BundleOf(p.Bundles, t.String()); err != nil || b != bundle {
				return err
			}
			return h.broker.Unload(ctx, t)
		})
	})
	h.route("POST "+ns+"/clearBacklog", func(w http.ResponseWriter, r *http.Request) error {
		return h.forNamespaceSubscriptions(w, r, "", func(ctx context.Context, t topicname.Name, sub string) error {
			return h.broker.Skip(ctx, t, sub, -1)
		})
	})
	h.route("POST "+ns+"/clearBacklog/{subscription}", func(w http.ResponseWriter, r *http.Request) error {
		sub, err := subscriptionOf(r)
		if err != nil {
			return err
		}
		return h.forNamespaceSubscriptions(w, r, sub, func(ctx context.Context, t topicname.Name, sub string) error {
			return h.broker.Skip(ctx, t, sub, -1)
		})
	})
	h.route("POST "+ns+"/unsubscribe/{subscription}", func(w http.ResponseWriter, r *http.Request) error {
		sub, err := subscriptionOf(r)
		if err != nil {
			return err
		}
		return h.forNamespaceSubscriptions(w, r, sub, func(ctx context.Context, t topicname.Name, sub string) error {
			return h.broker.DeleteSubscription(ctx, t, sub, false)
		})
	})
}

func (h *Handler) createNamespace(w http.ResponseWriter, r *http.Request) error {
	n, err := topicname.NewNamespace(r.PathValue("tenant"), r.PathValue("namespace"))
	if err != nil {
		if ok, _ := h.res.TenantExists(r.Context(), r.PathValue("tenant")); !ok {
			return &resources.Error{Kind: resources.ErrNotFound, Reason: "Tenant does not exist"}
		}
		return preconditionFailed("Namespace name is not valid")
	}
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	p, err := resources.DecodePolicies(body)
	if err != nil {
		return err
	}
	if err := h.res.CreateNamespace(r.Context(), n, p); err != nil {
		return err
	}
	return done(w)
}

// deleteNamespace deletes a namespace that has no topics; with force its topics are
// deleted first.
func (h *Handler) deleteNamespace(ctx context.Context, ns topicname.Namespace, force bool) error {
	if err := h.res.CheckNamespace(ctx, ns); err != nil {
		return err
	}
	topics, err := h.namespaceTopics(ctx, ns, topicname.Persistent, topicname.NonPersistent)
	if err != nil {
		return err
	}
	if len(topics) > 0 && !force {
		return errNamespaceNotEmpty
	}
	for _, s := range topics {
		t, err := topicname.Parse(s)
		if err != nil {
			continue
		}
		if err := h.broker.DeleteTopic(ctx, t, true); err != nil && !errors.Is(err, ErrTopicNotFound) {
			return err
		}
	}
	return h.res.DeleteNamespace(ctx, ns, force)
}

// namespaceTopics lists a namespace's topics in the given domains: the broker's topics
// and partitions, plus the partitioned topics' partitions the broker has not created yet
// (as Pulsar lists them). Sorted, without duplicates.
func (h *Handler) namespaceTopics(ctx context.Context, ns topicname.Namespace, domains ...topicname.Domain) ([]string, error) {
	if err := h.res.CheckNamespace(ctx, ns); err != nil {
		return nil, err
	}
	out := []string{}
	for _, d := range domains {
		live, err := h.broker.Topics(ctx, ns, d)
		if err != nil {
			return nil, err
		}
		out = append(out, live...)
		parts, err := h.res.ListPartitionedTopics(ctx, ns, d)
		if err != nil {
			return nil, err
		}
		for _, p := range parts {
			m, err := h.res.GetPartitionedTopic(ctx, p)
			if err != nil {
				continue
			}
			for i := range m.Partitions {
				out = append(out, p.PartitionName(i).String())
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// forNamespaceTopics runs fn on every topic of the namespace.
func (h *Handler) forNamespaceTopics(w http.ResponseWriter, r *http.Request, fn func(context.Context, topicname.Name) error) error {
	n, err := namespaceOf(r)
	if err != nil {
		return err
	}
	topics, err := h.namespaceTopics(r.Context(), n, topicname.Persistent, topicname.NonPersistent)
	if err != nil {
		return err
	}
	for _, s := range topics {
		t, err := topicname.Parse(s)
		if err != nil {
			continue
		}
		if err := fn(r.Context(), t); err != nil && !errors.Is(err, ErrTopicNotFound) {
			return err
		}
	}
	return done(w)
}

// forNamespaceSubscriptions runs fn on every subscription (or every one named only) of
// every topic of the namespace.
func (h *Handler) forNamespaceSubscriptions(w http.ResponseWriter, r *http.Request, only string,
	fn func(context.Context, topicname.Name, string) error) error {
	return h.forNamespaceTopics(w, r, func(ctx context.Context, t topicname.Name) error {
		st, err := h.broker.Stats(ctx, t)
		if err != nil {
			return err
		}
		for sub := range st.Subscriptions {
			if only != "" && sub != only {
				continue
			}
			if err := fn(ctx, t, sub); err != nil && !errors.Is(err, ErrSubscriptionNotFound) {
				return err
			}
		}
		return nil
	})
}

// checkBundle validates {bundle} ("0x00000000_0x40000000") against the namespace and
// returns the namespace's policies.
func (h *Handler) checkBundle(r *http.Request) (*resources.Policies, error) {
	n, err := namespaceOf(r)
	if err != nil {
		return nil, err
	}
	p, err := h.res.GetPolicies(r.Context(), n)
	if err != nil {
		return nil, err
	}
	lo, hi, found := strings.Cut(r.PathValue("bundle"), "_")
	if found && p.Bundles != nil {
		for i := 0; i+1 < len(p.Bundles.Boundaries); i++ {
			if p.Bundles.Boundaries[i] == lo && p.Bundles.Boundaries[i+1] == hi {
				return p, nil
			}
		}
	}
	return nil, &resources.Error{Kind: resources.ErrNotFound, Reason: "Bundle " + r.PathValue("bundle") + " not found"}
}
