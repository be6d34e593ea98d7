package admin

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"

	"github.com/magnetar/magnetar/resources"
)

// nsPolicy is one namespace policy endpoint, /admin/v2/namespaces/{t}/{ns}/<name>:
// GET reads it, the set method (POST unless Pulsar uses PUT) writes it, DELETE removes it.
type nsPolicy struct {
	name      string
	setMethod string
	// get returns the value to serve; a nil pointer answers 204 (not set).
	get func(p *resources.Policies) any
	// parse reads the request and returns the change to apply (it may run more than once).
	parse func(w http.ResponseWriter, r *http.Request) (func(p *resources.Policies) error, error)
	// remove unsets the policy; nil for policies without DELETE.
	remove func(r *http.Request, p *resources.Policies) error
}

func (h *Handler) routeNSPolicy(pol nsPolicy) {
	path := "/admin/v2/namespaces/{tenant}/{namespace}/" + pol.name
	if pol.get != nil {
		h.route("GET "+path, func(w http.ResponseWriter, r *http.Request) error {
			n, err := namespaceOf(r)
			if err != nil {
				return err
			}
			p, err := h.res.GetPolicies(r.Context(), n)
			if err != nil {
				return err
			}
			return ok(w, pol.get(p))
		})
	}
	if pol.parse != nil {
		method := pol.setMethod
		if method == "" {
			method = http.MethodPost
		}
		h.route(method+" "+path, func(w http.ResponseWriter, r *http.Request) error {
			n, err := namespaceOf(r)
			if err != nil {
				return err
			}
			// A missing namespace is reported before a bad body, as Pulsar does.
			if err := h.res.CheckNamespace(r.Context(), n); err != nil {
				return err
			}
			apply, err := pol.parse(w, r)
			if err != nil {
				return err
			}
			if err := h.res.UpdatePolicies(r.Context(), n, apply); err != nil {
				return err
			}
			return done(w)
		})
	}
	if pol.remove != nil {
		h.route("DELETE "+path, func(w http.ResponseWriter, r *http.Request) error {
			n, err := namespaceOf(r)
			if err != nil {
				return err
			}
			err = h.res.UpdatePolicies(r.Context(), n, func(p *resources.Policies) error { return pol.remove(r, p) })
			if err != nil {
				return err
			}
			return done(w)
		})
	}
}

// Body readers shared by namespace and topic policies.
func jsonBody[T any](w http.ResponseWriter, r *http.Request) (T, error) {
	var v T
	err := decodeJSON(w, r, &v)
	return v, err
}

func stringBody(w http.ResponseWriter, r *http.Request) (string, error) { return scalar(w, r) }

// optionalNS is a namespace policy held in a pointer field: set, read, removed.
func optionalNS[T any](name, setMethod string, field func(p *resources.Policies) **T,
	read func(http.ResponseWriter, *http.Request) (T, error), check func(T) error) nsPolicy {
	return nsPolicy{
		name:      name,
		setMethod: setMethod,
		get: func(p *resources.Policies) any {
			v := *field(p)
			if v == nil {
				return nil
			}
			return v
		},
		parse: func(w http.ResponseWriter, r *http.Request) (func(*resources.Policies) error, error) {
			v, err := read(w, r)
			if err != nil {
				return nil, err
			}
			if check != nil {
				if err := check(v); err != nil {
					return nil, err
				}
			}
			return func(p *resources.Policies) error {
				c := v
				*field(p) = &c
				return nil
			}, nil
		},
		remove: func(_ *http.Request, p *resources.Policies) error {
			*field(p) = nil
			return nil
		},
	}
}

// nonNegative rejects a negative count with Pulsar's reason.
func nonNegative(what string) func(int) error {
	return func(v int) error { return resources.NonNegative(what, &v) }
}

// clusterRate is a namespace rate kept per cluster (Pulsar's maps keyed by cluster).
func clusterRate[T any](h *Handler, name string, field func(p *resources.Policies) map[string]T) nsPolicy {
	cluster := h.res.Defaults().ClusterName
	return nsPolicy{
		name: name,
		get: func(p *resources.Policies) any {
			if v, ok := field(p)[cluster]; ok {
				return v
			}
			return nil
		},
		parse: func(w http.ResponseWriter, r *http.Request) (func(*resources.Policies) error, error) {
			v, err := jsonBody[T](w, r)
			if err != nil {
				return nil, err
			}
			return func(p *resources.Policies) error { field(p)[cluster] = v; return nil }, nil
		},
		remove: func(_ *http.Request, p *resources.Policies) error { delete(field(p), cluster); return nil },
	}
}

func (h *Handler) routeNamespacePolicies() {
	type P = resources.Policies
	policies := []nsPolicy{
		optionalNS("messageTTL", "", func(p *P) **int { return &p.MessageTTLInSeconds }, intBody, nil),
		retentionPolicy(),
		optionalNS("deduplication", "", func(p *P) **bool { return &p.DeduplicationEnabled }, boolBody, nil),
		optionalNS("deduplicationSnapshotInterval", "", func(p *P) **int { return &p.DeduplicationSnapshotInterval }, intBody,
			nonNegative("deduplicationSnapshotInterval")),
		optionalNS("persistence", "", func(p *P) **resources.PersistencePolicies { return &p.Persistence },
			jsonBody[resources.PersistencePolicies], func(v resources.PersistencePolicies) error { return resources.ValidatePersistence(&v) }),
		optionalNS("persistence/bookieAffinity", "", func(p *P) **resources.BookieAffinityGroupData { return &p.BookieAffinityGroup },
			jsonBody[resources.BookieAffinityGroupData], nil),
		optionalNS("autoTopicCreation", "", func(p *P) **resources.AutoTopicCreationOverride { return &p.AutoTopicCreationOverride },
			jsonBody[resources.AutoTopicCreationOverride], func(v resources.AutoTopicCreationOverride) error { return resources.ValidateAutoTopicCreation(&v) }),
		optionalNS("autoSubscriptionCreation", "", func(p *P) **resources.AutoSubscriptionCreationOverride {
			return &p.AutoSubscriptionCreationOverride
		}, jsonBody[resources.AutoSubscriptionCreationOverride], nil),
		optionalNS("delayedDelivery", "", func(p *P) **resources.DelayedDeliveryPolicies { return &p.DelayedDeliveryPolicies },
			jsonBody[resources.DelayedDeliveryPolicies], nil),
		optionalNS("inactiveTopicPolicies", "", func(p *P) **resources.InactiveTopicPolicies { return &p.InactiveTopicPolicies },
			jsonBody[resources.InactiveTopicPolicies], nil),
		optionalNS("subscriptionExpirationTime", "", func(p *P) **int { return &p.SubscriptionExpirationTimeMinutes }, intBody,
			func(v int) error {
				if v < 0 {
					return preconditionFailed("Invalid value for subscription expiration time")
				}
				return nil
			}),
		optionalNS("maxProducersPerTopic", "", func(p *P) **int { return &p.MaxProducersPerTopic }, intBody, nonNegative("maxProducersPerTopic")),
		optionalNS("maxConsumersPerTopic", "", func(p *P) **int { return &p.MaxConsumersPerTopic }, intBody, nonNegative("maxConsumersPerTopic")),
		optionalNS("maxConsumersPerSubscription", "", func(p *P) **int { return &p.MaxConsumersPerSubscription }, intBody,
			nonNegative("maxConsumersPerSubscription")),
		optionalNS("maxUnackedMessagesPerConsumer", "", func(p *P) **int { return &p.MaxUnackedMessagesPerConsumer }, intBody,
			nonNegative("maxUnackedMessagesPerConsumer")),
		optionalNS("maxUnackedMessagesPerSubscription", "", func(p *P) **int { return &p.MaxUnackedMessagesPerSubscription }, intBody,
			nonNegative("maxUnackedMessagesPerSubscription")),
		optionalNS("maxSubscriptionsPerTopic", "", func(p *P) **int { return &p.MaxSubscriptionsPerTopic }, intBody,
			nonNegative("maxSubscriptionsPerTopic")),
		optionalNS("compactionThreshold", http.MethodPut, func(p *P) **int64 { return &p.CompactionThreshold }, int64Body,
			func(v int64) error {
				if v < 0 {
					return preconditionFailed("compactionThreshold must be 0 or more")
				}
				return nil
			}),
		optionalNS("offloadDeletionLagMs", http.MethodPut, func(p *P) **int64 { return &p.OffloadDeletionLagMs }, int64Body,
			func(v int64) error {
				if v < 0 {
					return preconditionFailed("offloadDeletionLagMs must be 0 or more")
				}
				return nil
			}),
		optionalNS("antiAffinity", "", func(p *P) **string { return &p.AntiAffinityGroup }, stringBody, nil),
		clusterRate(h, "dispatchRate", func(p *P) map[string]resources.DispatchRate { return p.TopicDispatchRate }),
		clusterRate(h, "subscriptionDispatchRate", func(p *P) map[string]resources.DispatchRate { return p.SubscriptionDispatchRate }),
		clusterRate(h, "replicatorDispatchRate", func(p *P) map[string]resources.DispatchRate { return p.ReplicatorDispatchRate }),
		clusterRate(h, "publishRate", func(p *P) map[string]resources.PublishRate { return p.PublishMaxMessageRate }),
		clusterRate(h, "subscribeRate", func(p *P) map[string]resources.SubscribeRate { return p.ClusterSubscribeRate }),
		maxTopicsPolicy(),
		{
			name:   "offloadPolicies",
			get:    func(p *P) any { return p.OffloadPolicies },
			parse:  parseRawObject(func(p *P) *json.RawMessage { return &p.OffloadPolicies }),
			remove: func(_ *http.Request, p *P) error { p.OffloadPolicies = nil; return nil },
		},
		{
			name:   "removeOffloadPolicies",
			remove: func(_ *http.Request, p *P) error { p.OffloadPolicies = nil; return nil },
		},
		{
			name:      "offloadThreshold",
			setMethod: http.MethodPut,
			get:       func(p *P) any { return p.OffloadThreshold },
			parse: func(w http.ResponseWriter, r *http.Request) (func(*P) error, error) {
				v, err := int64Body(w, r)
				if err != nil {
					return nil, err
				}
				if v < -1 {
					return nil, preconditionFailed("Invalid value for offloadThreshold")
				}
				return func(p *P) error { p.OffloadThreshold = v; return nil }, nil
			},
		},
		{
			name:      "offloadThresholdInSeconds",
			setMethod: http.MethodPut,
			get:       func(p *P) any { return p.OffloadThresholdInSeconds },
			parse: func(w http.ResponseWriter, r *http.Request) (func(*P) error, error) {
				v, err := int64Body(w, r)
				if err != nil {
					return nil, err
				}
				if v < 0 {
					return nil, preconditionFailed("Invalid value for offloadThresholdInSecond")
				}
				return func(p *P) error { p.OffloadThresholdInSeconds = v; return nil }, nil
			},
		},
		{
			name:      "schemaCompatibilityStrategy",
			setMethod: http.MethodPut,
			get:       func(p *P) any { return p.SchemaCompatibilityStrategy },
			parse: func(w http.ResponseWriter, r *http.Request) (func(*P) error, error) {
				s, err := stringBody(w, r)
				if err != nil {
					return nil, err
				}
				v, err := resources.ParseSchemaCompatibilityStrategy(s)
				if err != nil {
					return nil, badRequest("%v", err)
				}
				return func(p *P) error { p.SchemaCompatibilityStrategy = v; return nil }, nil
			},
		},
		{
			name:      "schemaAutoUpdateCompatibilityStrategy",
			setMethod: http.MethodPut,
			get:       func(p *P) any { return p.SchemaAutoUpdateStrategy },
			parse: func(w http.ResponseWriter, r *http.Request) (func(*P) error, error) {
				s, err := stringBody(w, r)
				if err != nil {
					return nil, err
				}
				v, err := resources.ParseSchemaAutoUpdateStrategy(s)
				if err != nil {
					return nil, badRequest("%v", err)
				}
				return func(p *P) error { p.SchemaAutoUpdateStrategy = v; return nil }, nil
			},
		},
		boolNS("schemaValidationEnforced", func(p *P) *bool { return &p.SchemaValidationEnforced }),
		boolNS("encryptionRequired", func(p *P) *bool { return &p.EncryptionRequired }),
		{
			name: "isAllowAutoUpdateSchema",
			get:  func(p *P) any { return p.IsAllowAutoUpdateSchema },
			parse: func(w http.ResponseWriter, r *http.Request) (func(*P) error, error) {
				v, err := boolBody(w, r)
				if err != nil {
					return nil, err
				}
				return func(p *P) error { p.IsAllowAutoUpdateSchema = &v; return nil }, nil
			},
		},
		{
			name: "subscriptionAuthMode",
			get:  func(p *P) any { return p.SubscriptionAuthMode },
			parse: func(w http.ResponseWriter, r *http.Request) (func(*P) error, error) {
				s, err := stringBody(w, r)
				if err != nil {
					return nil, err
				}
				var m resources.SubscriptionAuthMode
				if err := m.UnmarshalText([]byte(s)); err != nil {
					return nil, badRequest("%v", err)
				}
				return func(p *P) error { p.SubscriptionAuthMode = m; return nil }, nil
			},
		},
		{
			name: "subscriptionTypesEnabled",
			get:  func(p *P) any { return p.SubscriptionTypesEnabled },
			parse: func(w http.ResponseWriter, r *http.Request) (func(*P) error, error) {
				types, err := jsonBody[[]string](w, r)
				if err != nil {
					return nil, err
				}
				for _, t := range types {
					if !slices.Contains([]string{"Exclusive", "Shared", "Failover", "Key_Shared"}, t) {
						return nil, badRequest("Invalid subscription type %q", t)
					}
				}
				return func(p *P) error { p.SubscriptionTypesEnabled = types; return nil }, nil
			},
			remove: func(_ *http.Request, p *P) error { p.SubscriptionTypesEnabled = nil; return nil },
		},
		{
			name:      "properties",
			setMethod: http.MethodPut,
			get:       func(p *P) any { return p.Properties },
			parse: func(w http.ResponseWriter, r *http.Request) (func(*P) error, error) {
				props, err := jsonBody[map[string]string](w, r)
				if err != nil {
					return nil, err
				}
				return func(p *P) error { maps.Copy(p.Properties, props); return nil }, nil
			},
			remove: func(_ *http.Request, p *P) error { clear(p.Properties); return nil },
		},
		{
			name: "replication",
			get:  func(p *P) any { return p.ReplicationClusters },
		},
		{
			name: "backlogQuotaMap",
			get:  func(p *P) any { return p.BacklogQuotaMap },
		},
		{
			name:   "backlogQuota",
			parse:  parseBacklogQuota,
			remove: removeBacklogQuota,
		},
	}
	for _, p := range policies {
		h.routeNSPolicy(p)
	}
	h.routeNSReplication()
	h.routeNSProperty()
	h.routeNSPermissions()
}

// boolNS is a plain boolean namespace policy (POST to set, GET to read).
func boolNS(name string, field func(p *resources.Policies) *bool) nsPolicy {
	return nsPolicy{
		name: name,
		get:  func(p *resources.Policies) any { return *field(p) },
		parse: func(w http.ResponseWriter, r *http.Request) (func(*resources.Policies) error, error) {
			v, err := boolBody(w, r)
			if err != nil {
				return nil, err
			}
			return func(p *resources.Policies) error { *field(p) = v; return nil }, nil
		},
	}
}

// maxTopicsPolicy: Pulsar answers 0 when it is not set.
func maxTopicsPolicy() nsPolicy {
	pol := optionalNS("maxTopicsPerNamespace", "", func(p *resources.Policies) **int { return &p.MaxTopicsPerNamespace },
		intBody, nonNegative("maxTopicsPerNamespace"))
	pol.get = func(p *resources.Policies) any {
		if p.MaxTopicsPerNamespace == nil {
			return 0
		}
		return *p.MaxTopicsPerNamespace
	}
	return pol
}

// retentionPolicy: retention must stay above the destination_storage backlog quota
// (Pulsar's check).
func retentionPolicy() nsPolicy {
	pol := optionalNS("retention", "", func(p *resources.Policies) **resources.RetentionPolicies { return &p.RetentionPolicies },
		jsonBody[resources.RetentionPolicies], nil)
	pol.parse = func(w http.ResponseWriter, r *http.Request) (func(*resources.Policies) error, error) {
		v, err := jsonBody[resources.RetentionPolicies](w, r)
		if err != nil {
			return nil, err
		}
		if err := resources.ValidateRetention(&v); err != nil {
			return nil, err
		}
		return func(p *resources.Policies) error {
			if q, ok := p.BacklogQuotaMap[resources.DestinationStorage]; ok && !resources.QuotaWithinRetention(q, &v) {
				return preconditionFailed("Retention Quota must exceed configured backlog quota for namespace.")
			}
			p.RetentionPolicies = &v
			return nil
		}, nil
	}
	return pol
}

func parseBacklogQuota(w http.ResponseWriter, r *http.Request) (func(*resources.Policies) error, error) {
	typ, err := resources.ParseBacklogQuotaType(r.URL.Query().Get("backlogQuotaType"))
	if err != nil {
		return nil, badRequest("%v", err)
	}
	q, err := jsonBody[resources.BacklogQuota](w, r)
	if err != nil {
		return nil, err
	}
	if q.Policy == "" {
		q.Policy = resources.ProducerRequestHold
	}
	if err := resources.ValidateBacklogQuota(q); err != nil {
		return nil, err
	}
	return func(p *resources.Policies) error {
		if typ == resources.DestinationStorage && !resources.QuotaWithinRetention(q, p.RetentionPolicies) {
			return preconditionFailed("Backlog Quota exceeds configured retention quota for namespace. " +
				"Please increase retention quota and retry")
		}
		p.BacklogQuotaMap[typ] = q
		return nil
	}, nil
}

func removeBacklogQuota(r *http.Request, p *resources.Policies) error {
	typ, err := resources.ParseBacklogQuotaType(r.URL.Query().Get("backlogQuotaType"))
	if err != nil {
		return badRequest("%v", err)
	}
	delete(p.BacklogQuotaMap, typ)
	return nil
}

// parseRawObject stores a JSON object as it came (offload policies are not interpreted).
func parseRawObject(field func(p *resources.Policies) *json.RawMessage) func(http.ResponseWriter, *http.Request) (func(*resources.Policies) error, error) {
	return func(w http.ResponseWriter, r *http.Request) (func(*resources.Policies) error, error) {
		obj, err := jsonBody[map[string]any](w, r)
		if err != nil {
			return nil, err
		}
		b, _ := json.Marshal(obj)
		return func(p *resources.Policies) error { *field(p) = b; return nil }, nil
	}
}

// routeNSReplication: POST sets the replication clusters, checked against the tenant.
func (h *Handler) routeNSReplication() {
	h.route("POST /admin/v2/namespaces/{tenant}/{namespace}/replication", func(w http.ResponseWriter, r *http.Request) error {
		n, err := namespaceOf(r)
		if err != nil {
			return err
		}
		if err := h.res.CheckNamespace(r.Context(), n); err != nil {
			return err
		}
		clusters, err := jsonBody[[]string](w, r)
		if err != nil {
			return err
		}
		if err := h.res.SetReplicationClusters(r.Context(), n, clusters); err != nil {
			return err
		}
		return done(w)
	})
}

// routeNSProperty: single namespace properties.
func (h *Handler) routeNSProperty() {
	const base = "/admin/v2/namespaces/{tenant}/{namespace}/property/{key}"
	h.route("GET "+base, func(w http.ResponseWriter, r *http.Request) error {
		n, err := namespaceOf(r)
		if err != nil {
			return err
		}
		p, err := h.res.GetPolicies(r.Context(), n)
		if err != nil {
			return err
		}
		if v, found := p.Properties[r.PathValue("key")]; found {
			return ok(w, v)
		}
		return ok(w, nil)
	})
	h.route("PUT "+base+"/{value}", func(w http.ResponseWriter, r *http.Request) error {
		n, err := namespaceOf(r)
		if err != nil {
			return err
		}
		err = h.res.UpdatePolicies(r.Context(), n, func(p *resources.Policies) error {
			p.Properties[r.PathValue("key")] = r.PathValue("value")
			return nil
		})
		if err != nil {
			return err
		}
		return done(w)
	})
	h.route("DELETE "+base, func(w http.ResponseWriter, r *http.Request) error {
		n, err := namespaceOf(r)
		if err != nil {
			return err
		}
		err = h.res.UpdatePolicies(r.Context(), n, func(p *resources.Policies) error {
			delete(p.Properties, r.PathValue("key"))
			return nil
		})
		if err != nil {
			return err
		}
		return done(w)
	})
}

// routeNSPermissions: stored now, enforced by the security work.
func (h *Handler) routeNSPermissions() {
	const base = "/admin/v2/namespaces/{tenant}/{namespace}/permissions"
	get := func(fn func(p *resources.Policies) any) apiFunc {
		return func(w http.ResponseWriter, r *http.Request) error {
			n, err := namespaceOf(r)
			if err != nil {
				return err
			}
			p, err := h.res.GetPolicies(r.Context(), n)
			if err != nil {
				return err
			}
			return ok(w, fn(p))
		}
	}
	change := func(parse func(w http.ResponseWriter, r *http.Request) (func(p *resources.Policies) error, error)) apiFunc {
		return func(w http.ResponseWriter, r *http.Request) error {
			n, err := namespaceOf(r)
			if err != nil {
				return err
			}
			if err := h.res.CheckNamespace(r.Context(), n); err != nil {
				return err
			}
			apply, err := parse(w, r)
			if err != nil {
				return err
			}
			if err := h.res.UpdatePolicies(r.Context(), n, apply); err != nil {
				return err
			}
			return done(w)
		}
	}
	h.route("GET "+base, get(func(p *resources.Policies) any { return p.AuthPolicies.NamespaceAuth }))
	h.route("GET "+base+"/subscription", get(func(p *resources.Policies) any { return p.AuthPolicies.SubscriptionAuthRoles }))
	h.route("POST "+base+"/{role}", change(func(w http.ResponseWriter, r *http.Request) (func(*resources.Policies) error, error) {
		actions, err := jsonBody[[]resources.AuthAction](w, r)
		if err != nil {
			return nil, err
		}
		role := r.PathValue("role")
		return func(p *resources.Policies) error { p.AuthPolicies.NamespaceAuth[role] = actions; return nil }, nil
	}))
	h.route("DELETE "+base+"/{role}", change(func(w http.ResponseWriter, r *http.Request) (func(*resources.Policies) error, error) {
		role := r.PathValue("role")
		return func(p *resources.Policies) error { delete(p.AuthPolicies.NamespaceAuth, role); return nil }, nil
	}))
	h.route("POST "+base+"/subscription/{subscription}", change(func(w http.ResponseWriter, r *http.Request) (func(*resources.Policies) error, error) {
		roles, err := jsonBody[[]string](w, r)
		if err != nil {
			return nil, err
		}
		sub := decodeName(r.PathValue("subscription"))
		return func(p *resources.Policies) error {
			cur := p.AuthPolicies.SubscriptionAuthRoles[sub]
			for _, role := range roles {
				if !slices.Contains(cur, role) {
					cur = append(cur, role)
				}
			}
			p.AuthPolicies.SubscriptionAuthRoles[sub] = cur
			return nil
		}, nil
	}))
	// Pulsar's revoke path has no "subscription" segment: permissions/{sub}/{role}.
	h.route("DELETE "+base+"/{subscription}/{role}", change(func(w http.ResponseWriter, r *http.Request) (func(*resources.Policies) error, error) {
		sub, role := decodeName(r.PathValue("subscription")), r.PathValue("role")
		return func(p *resources.Policies) error {
			roles := slices.DeleteFunc(p.AuthPolicies.SubscriptionAuthRoles[sub], func(s string) bool { return s == role })
			if len(roles) == 0 {
				delete(p.AuthPolicies.SubscriptionAuthRoles, sub)
			} else {
				p.AuthPolicies.SubscriptionAuthRoles[sub] = roles
			}
			return nil
		}, nil
	}))
}
