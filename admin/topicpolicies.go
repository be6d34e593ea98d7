package admin

import (
	"encoding/json"
	"net/http"

	"github.com/magnetar/magnetar/resources"
	"github.com/magnetar/magnetar/resources/topicname"
)

// tpPolicy is one topic-level policy endpoint, /admin/v2/<domain>/{t}/{ns}/{topic}/<name>.
// GET answers the topic's own value (204 if unset) or, with ?applied=true, the value in
// force (topic over namespace over broker).
type tpPolicy struct {
	name      string
	setMethod string
	get       func(tp *resources.TopicPolicies) any
	applied   func(e *resources.Effective) any
	parse     func(w http.ResponseWriter, r *http.Request) (func(tp *resources.TopicPolicies) error, error)
	remove    func(r *http.Request, tp *resources.TopicPolicies)
}

var errPolicyOnPartition = preconditionFailed("Topic level policies apply to the partitioned topic, not to one of its partitions")

// policyTopic is the topic of a policy request: it must exist and not be a partition.
func (h *Handler) policyTopic(r *http.Request, d topicname.Domain) (topicname.Name, error) {
	t, err := topicOf(r, d)
	if err != nil {
		return t, err
	}
	if t.IsPartition() {
		return t, errPolicyOnPartition
	}
	if err := h.res.CheckNamespace(r.Context(), t.Namespace); err != nil {
		return t, err
	}
	exists, err := h.topicExists(r.Context(), t)
	if err != nil {
		return t, err
	}
	if !exists {
		return t, ErrTopicNotFound
	}
	return t, nil
}

func (h *Handler) routeTPPolicy(d topicname.Domain, pol tpPolicy) {
	path := "/admin/v2/" + string(d) + "/{tenant}/{namespace}/{topic}/" + pol.name
	if pol.get != nil {
		h.route("GET "+path, func(w http.ResponseWriter, r *http.Request) error {
			t, err := h.policyTopic(r, d)
			if err != nil {
				return err
			}
			if queryBool(r, "applied", false) && pol.applied != nil {
				e, err := h.res.EffectivePolicies(r.Context(), t)
				if err != nil {
					return err
				}
				return ok(w, pol.applied(&e))
			}
			tp, err := h.res.TopicPolicies(r.Context(), t)
			if err != nil {
				return err
			}
			if tp == nil {
				return ok(w, nil)
			}
			return ok(w, pol.get(tp))
		})
	}
	if pol.parse != nil {
		method := pol.setMethod
		if method == "" {
			method = http.MethodPost
		}
		h.route(method+" "+path, func(w http.ResponseWriter, r *http.Request) error {
			t, err := h.policyTopic(r, d)
			if err != nil {
				return err
			}
			apply, err := pol.parse(w, r)
			if err != nil {
				return err
			}
			if err := h.res.UpdateTopicPolicies(r.Context(), t, apply); err != nil {
				return err
			}
			return done(w)
		})
	}
	if pol.remove != nil {
		h.route("DELETE "+path, func(w http.ResponseWriter, r *http.Request) error {
			t, err := h.policyTopic(r, d)
			if err != nil {
				return err
			}
			err = h.res.UpdateTopicPolicies(r.Context(), t, func(tp *resources.TopicPolicies) error {
				pol.remove(r, tp)
				return nil
			})
			if err != nil {
				return err
			}
			return done(w)
		})
	}
}

// optionalTP is a topic policy held in a pointer field.
func optionalTP[T any](name string, field func(tp *resources.TopicPolicies) **T,
	read func(http.ResponseWriter, *http.Request) (T, error), check func(T) error, applied func(e *resources.Effective) any) tpPolicy {
	return tpPolicy{
		name: name,
		get: func(tp *resources.TopicPolicies) any {
			if v := *field(tp); v != nil {
				return v
			}
			return nil
		},
		applied: applied,
		parse: func(w http.ResponseWriter, r *http.Request) (func(*resources.TopicPolicies) error, error) {
			v, err := read(w, r)
			if err != nil {
				return nil, err
			}
			if check != nil {
				if err := check(v); err != nil {
					return nil, err
				}
			}
			return func(tp *resources.TopicPolicies) error { c := v; *field(tp) = &c; return nil }, nil
		},
		remove: func(_ *http.Request, tp *resources.TopicPolicies) { *field(tp) = nil },
	}
}

func (h *Handler) routeTopicPolicies(d topicname.Domain) {
	type T = resources.TopicPolicies
	type E = resources.Effective
	intTP := func(name string, field func(tp *T) **int, applied func(e *E) int) tpPolicy {
		return optionalTP(name, field, intBody, nonNegative(name), func(e *E) any { return applied(e) })
	}
	policies := []tpPolicy{
		messageTTLPolicy(),
		optionalTP("retention", func(tp *T) **resources.RetentionPolicies { return &tp.RetentionPolicies },
			jsonBody[resources.RetentionPolicies], func(v resources.RetentionPolicies) error { return resources.ValidateRetention(&v) },
			func(e *E) any { return e.Retention }),
		optionalTP("persistence", func(tp *T) **resources.PersistencePolicies { return &tp.Persistence },
			jsonBody[resources.PersistencePolicies], func(v resources.PersistencePolicies) error { return resources.ValidatePersistence(&v) },
			func(e *E) any { return e.Persistence }),
		optionalTP("deduplicationEnabled", func(tp *T) **bool { return &tp.DeduplicationEnabled }, boolBody, nil,
			func(e *E) any { return e.DeduplicationEnabled }),
		intTP("deduplicationSnapshotInterval", func(tp *T) **int { return &tp.DeduplicationSnapshotIntervalSecs },
			func(e *E) int { return e.DeduplicationSnapshotIntervalSecs }),
		optionalTP("delayedDelivery", func(tp *T) **resources.DelayedDeliveryPolicies { return &tp.DelayedDelivery },
			jsonBody[resources.DelayedDeliveryPolicies], nil, func(e *E) any { return e.DelayedDelivery }),
		optionalTP("dispatchRate", func(tp *T) **resources.DispatchRate { return &tp.DispatchRate },
			jsonBody[resources.DispatchRate], nil, func(e *E) any { return e.DispatchRate }),
		optionalTP("subscriptionDispatchRate", func(tp *T) **resources.DispatchRate { return &tp.SubscriptionDispatchRate },
			jsonBody[resources.DispatchRate], nil, func(e *E) any { return e.SubscriptionDispatchRate }),
		optionalTP("replicatorDispatchRate", func(tp *T) **resources.DispatchRate { return &tp.ReplicatorDispatchRate },
			jsonBody[resources.DispatchRate], nil, nil),
		optionalTP("publishRate", func(tp *T) **resources.PublishRate { return &tp.PublishRate },
			jsonBody[resources.PublishRate], nil, func(e *E) any { return e.PublishRate }),
		optionalTP("subscribeRate", func(tp *T) **resources.SubscribeRate { return &tp.SubscribeRate },
			jsonBody[resources.SubscribeRate], nil, func(e *E) any { return e.SubscribeRate }),
		intTP("maxProducers", func(tp *T) **int { return &tp.MaxProducerPerTopic }, func(e *E) int { return e.MaxProducersPerTopic }),
		intTP("maxConsumers", func(tp *T) **int { return &tp.MaxConsumerPerTopic }, func(e *E) int { return e.MaxConsumersPerTopic }),
		intTP("maxConsumersPerSubscription", func(tp *T) **int { return &tp.MaxConsumersPerSubscription },
			func(e *E) int { return e.MaxConsumersPerSubscription }),
		intTP("maxUnackedMessagesOnConsumer", func(tp *T) **int { return &tp.MaxUnackedMessagesOnConsumer },
			func(e *E) int { return e.MaxUnackedMessagesPerConsumer }),
		intTP("maxUnackedMessagesOnSubscription", func(tp *T) **int { return &tp.MaxUnackedMessagesOnSubscription },
			func(e *E) int { return e.MaxUnackedMessagesPerSubscription }),
		intTP("maxSubscriptionsPerTopic", func(tp *T) **int { return &tp.MaxSubscriptionsPerTopic },
			func(e *E) int { return e.MaxSubscriptionsPerTopic }),
		intTP("maxMessageSize", func(tp *T) **int { return &tp.MaxMessageSize }, func(e *E) int { return e.MaxMessageSize }),
		optionalTP("compactionThreshold", func(tp *T) **int64 { return &tp.CompactionThreshold }, int64Body,
			func(v int64) error {
				if v < 0 {
					return preconditionFailed("compactionThreshold must be 0 or more")
				}
				return nil
			}, func(e *E) any { return e.CompactionThreshold }),
		optionalTP("inactiveTopicPolicies", func(tp *T) **resources.InactiveTopicPolicies { return &tp.InactiveTopicPolicies },
			jsonBody[resources.InactiveTopicPolicies], nil, func(e *E) any { return e.InactiveTopic }),
		optionalTP("schemaValidationEnforced", func(tp *T) **bool { return &tp.SchemaValidationEnforced }, boolBody, nil,
			func(e *E) any { return e.SchemaValidationEnforced }),
		optionalTP("autoSubscriptionCreation", func(tp *T) **resources.AutoSubscriptionCreationOverride {
			return &tp.AutoSubscriptionCreationOverride
		}, jsonBody[resources.AutoSubscriptionCreationOverride], nil,
			func(e *E) any {
				return resources.AutoSubscriptionCreationOverride{AllowAutoSubscriptionCreation: e.AutoSubscriptionCreation}
			}),
		{
			name:      "schemaCompatibilityStrategy",
			setMethod: http.MethodPut,
			get: func(tp *T) any {
				if tp.SchemaCompatibilityStrategy == nil {
					return nil
				}
				return *tp.SchemaCompatibilityStrategy
			},
			applied: func(e *E) any { return e.SchemaCompatibilityStrategy },
			parse: func(w http.ResponseWriter, r *http.Request) (func(*T) error, error) {
				s, err := stringBody(w, r)
				if err != nil {
					return nil, err
				}
				v, err := resources.ParseSchemaCompatibilityStrategy(s)
				if err != nil {
					return nil, badRequest("%v", err)
				}
				return func(tp *T) error { tp.SchemaCompatibilityStrategy = &v; return nil }, nil
			},
			remove: func(_ *http.Request, tp *T) { tp.SchemaCompatibilityStrategy = nil },
		},
		{
			name: "replication",
			get: func(tp *T) any {
				if tp.ReplicationClusters == nil {
					return nil
				}
				return tp.ReplicationClusters
			},
			applied: func(e *E) any { return e.ReplicationClusters },
			parse: func(w http.ResponseWriter, r *http.Request) (func(*T) error, error) {
				clusters, err := jsonBody[[]string](w, r)
				if err != nil {
					return nil, err
				}
				if len(clusters) == 0 {
					return nil, preconditionFailed("ClusterIds should not be null or empty")
				}
				return func(tp *T) error { tp.ReplicationClusters = clusters; return nil }, nil
			},
			remove: func(_ *http.Request, tp *T) { tp.ReplicationClusters = nil },
		},
		{
			name: "subscriptionTypesEnabled",
			get: func(tp *T) any {
				if tp.SubscriptionTypesEnabled == nil {
					return nil
				}
				return tp.SubscriptionTypesEnabled
			},
			parse: func(w http.ResponseWriter, r *http.Request) (func(*T) error, error) {
				types, err := jsonBody[[]string](w, r)
				if err != nil {
					return nil, err
				}
				return func(tp *T) error { tp.SubscriptionTypesEnabled = types; return nil }, nil
			},
			remove: func(_ *http.Request, tp *T) { tp.SubscriptionTypesEnabled = nil },
		},
		{
			name: "offloadPolicies",
			get: func(tp *T) any {
				if tp.OffloadPolicies == nil {
					return nil
				}
				return tp.OffloadPolicies
			},
			parse: func(w http.ResponseWriter, r *http.Request) (func(*T) error, error) {
				obj, err := jsonBody[map[string]any](w, r)
				if err != nil {
					return nil, err
				}
				b, _ := json.Marshal(obj)
				return func(tp *T) error { tp.OffloadPolicies = b; return nil }, nil
			},
			remove: func(_ *http.Request, tp *T) { tp.OffloadPolicies = nil },
		},
		{
			name: "backlogQuotaMap",
			get: func(tp *T) any {
				if tp.BacklogQuotaMap == nil {
					return nil
				}
				return tp.BacklogQuotaMap
			},
			applied: func(e *E) any { return e.BacklogQuotas },
		},
		{
			name: "backlogQuota",
			parse: func(w http.ResponseWriter, r *http.Request) (func(*T) error, error) {
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
				return func(tp *T) error {
					if typ == resources.DestinationStorage && !resources.QuotaWithinRetention(q, tp.RetentionPolicies) {
						return preconditionFailed("Backlog Quota exceeds configured retention quota for topic. " +
							"Please increase retention quota and retry")
					}
					if tp.BacklogQuotaMap == nil {
						tp.BacklogQuotaMap = map[resources.BacklogQuotaType]resources.BacklogQuota{}
					}
					tp.BacklogQuotaMap[typ] = q
					return nil
				}, nil
			},
			remove: func(r *http.Request, tp *T) {
				typ, err := resources.ParseBacklogQuotaType(r.URL.Query().Get("backlogQuotaType"))
				if err == nil {
					delete(tp.BacklogQuotaMap, typ)
				}
			},
		},
	}
	for _, p := range policies {
		h.routeTPPolicy(d, p)
	}
}

// messageTTLPolicy: pulsaradmin sends the topic TTL as ?messageTTL=N (with no body);
// a JSON body is accepted too.
func messageTTLPolicy() tpPolicy {
	pol := optionalTP("messageTTL", func(tp *resources.TopicPolicies) **int { return &tp.MessageTTLInSeconds }, intBody,
		nil, func(e *resources.Effective) any { return e.MessageTTLSeconds })
	inner := pol.parse
	pol.parse = func(w http.ResponseWriter, r *http.Request) (func(*resources.TopicPolicies) error, error) {
		q := r.URL.Query().Get("messageTTL")
		if q == "" {
			return inner(w, r)
		}
		v, err := parseInt(q)
		if err != nil {
			return nil, badRequest("Invalid messageTTL %q", q)
		}
		if v < 0 {
			return nil, preconditionFailed("Invalid value for message TTL")
		}
		return func(tp *resources.TopicPolicies) error { tp.MessageTTLInSeconds = &v; return nil }, nil
	}
	return pol
}
