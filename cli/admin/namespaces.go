package admin

import (
	"fmt"
	"strings"

	pa "github.com/apache/pulsar-client-go/pulsaradmin/pkg/admin"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
	"github.com/spf13/cobra"
)

func nsName(s string) (utils.NameSpaceName, error) {
	n, err := utils.GetNamespaceName(s)
	if err != nil {
		return utils.NameSpaceName{}, err
	}
	return *n, nil
}

func namespacesCommand(o *options) *cobra.Command {
	cmd := group("namespaces", "Operations about namespaces", []string{"namespace"})
	var bundles int
	var clusters string
	create := o.verb("create TENANT/NAMESPACE", "Create a namespace", 1, func(c pa.Client, args []string) (any, error) {
		p := utils.Policies{ReplicationClusters: splitList(clusters)}
		if bundles > 0 {
			p.Bundles = utils.NewBundlesDataWithNumBundles(bundles)
		}
		return nil, c.Namespaces().CreateNsWithPolices(args[0], p)
	})
	create.Flags().IntVarP(&bundles, "bundles", "b", 0, "number of bundles (default: the broker's, 4)")
	create.Flags().StringVarP(&clusters, "clusters", "c", "", "comma-separated replication clusters")
	var force bool
	del := o.verb("delete TENANT/NAMESPACE", "Delete a namespace (-f also deletes its topics)", 1, func(c pa.Client, args []string) (any, error) {
		if force {
			n, err := nsName(args[0])
			if err != nil {
				return nil, err
			}
			return nil, o.forceDelete("/admin/v2/namespaces/" + n.String())
		}
		return nil, c.Namespaces().DeleteNamespace(args[0])
	})
	del.Flags().BoolVarP(&force, "force", "f", false, "delete the namespace's topics too")
	cmd.AddCommand(
		o.verb("list TENANT", "List a tenant's namespaces", 1, func(c pa.Client, args []string) (any, error) {
			return c.Namespaces().GetNamespaces(args[0])
		}),
		o.verb("topics TENANT/NAMESPACE", "List a namespace's topics", 1, func(c pa.Client, args []string) (any, error) {
			return c.Namespaces().GetTopics(args[0])
		}),
		o.verb("policies TENANT/NAMESPACE", "Get a namespace's policies", 1, func(c pa.Client, args []string) (any, error) {
			return c.Namespaces().GetPolicies(args[0])
		}),
		create, del,
		o.verb("unload TENANT/NAMESPACE", "Unload a namespace's topics", 1, func(c pa.Client, args []string) (any, error) {
			return nil, c.Namespaces().Unload(args[0])
		}),
		o.verb("get-clusters TENANT/NAMESPACE", "Get the replication clusters", 1, func(c pa.Client, args []string) (any, error) {
			return c.Namespaces().GetNamespaceReplicationClusters(args[0])
		}),
	)
	setClusters := o.verb("set-clusters TENANT/NAMESPACE", "Set the replication clusters", 1, func(c pa.Client, args []string) (any, error) {
		return nil, c.Namespaces().SetNamespaceReplicationClusters(args[0], splitList(clusters))
	})
	setClusters.Flags().StringVarP(&clusters, "clusters", "c", "", "comma-separated replication clusters")
	cmd.AddCommand(setClusters)
	cmd.AddCommand(nsPermissionCommands(o)...)
	cmd.AddCommand(nsRetentionCommands(o)...)
	cmd.AddCommand(nsBacklogCommands(o)...)
	cmd.AddCommand(nsLimitCommands(o)...)
	cmd.AddCommand(nsMiscCommands(o)...)
	return cmd
}

func nsPermissionCommands(o *options) []*cobra.Command {
	var role, actions string
	grant := o.verb("grant-permission TENANT/NAMESPACE", "Grant a role actions on the namespace", 1, func(c pa.Client, args []string) (any, error) {
		n, err := nsName(args[0])
		if err != nil {
			return nil, err
		}
		var acts []utils.AuthAction
		for _, a := range splitList(actions) {
			act, err := utils.ParseAuthAction(a)
			if err != nil {
				return nil, err
			}
			acts = append(acts, act)
		}
		return nil, c.Namespaces().GrantNamespacePermission(n, role, acts)
	})
	grant.Flags().StringVar(&role, "role", "", "role to grant to")
	grant.Flags().StringVar(&actions, "actions", "", "comma-separated actions: produce, consume, functions, sources, sinks, packages")
	revoke := o.verb("revoke-permission TENANT/NAMESPACE", "Revoke a role's permissions", 1, func(c pa.Client, args []string) (any, error) {
		n, err := nsName(args[0])
		if err != nil {
			return nil, err
		}
		return nil, c.Namespaces().RevokeNamespacePermission(n, role)
	})
	revoke.Flags().StringVar(&role, "role", "", "role to revoke")
	return []*cobra.Command{
		o.verb("permissions TENANT/NAMESPACE", "Get the namespace's permissions", 1, func(c pa.Client, args []string) (any, error) {
			n, err := nsName(args[0])
			if err != nil {
				return nil, err
			}
			return c.Namespaces().GetNamespacePermissions(n)
		}),
		grant, revoke,
	}
}

func nsRetentionCommands(o *options) []*cobra.Command {
	var size, tm string
	set := o.verb("set-retention TENANT/NAMESPACE", "Set the retention of acknowledged messages", 1, func(c pa.Client, args []string) (any, error) {
		bytes, err := parseSize(size)
		if err != nil {
			return nil, err
		}
		secs, err := parseSeconds(tm)
		if err != nil {
			return nil, err
		}
		r := utils.RetentionPolicies{RetentionSizeInMB: bytes, RetentionTimeInMinutes: int(secs)}
		if bytes > 0 {
			r.RetentionSizeInMB = bytes >> 20
		}
		if secs > 0 {
			r.RetentionTimeInMinutes = int(secs / 60)
		}
		return nil, c.Namespaces().SetRetention(args[0], r)
	})
	set.Flags().StringVar(&size, "size", "", "retention size: 10M, 16G, 3T, 0 or -1 (unlimited)")
	set.Flags().StringVar(&tm, "time", "", "retention time: 100m, 3h, 2d, 5w, 0 or -1 (unlimited)")
	var ttl int
	setTTL := o.verb("set-message-ttl TENANT/NAMESPACE", "Set the message TTL in seconds", 1, func(c pa.Client, args []string) (any, error) {
		return nil, c.Namespaces().SetNamespaceMessageTTL(args[0], ttl)
	})
	setTTL.Flags().IntVarP(&ttl, "messageTTL", "t", 0, "message TTL in seconds")
	return []*cobra.Command{
		set,
		o.verb("get-retention TENANT/NAMESPACE", "Get the retention", 1, func(c pa.Client, args []string) (any, error) {
			return c.Namespaces().GetRetention(args[0])
		}),
		o.verb("remove-retention TENANT/NAMESPACE", "Remove the retention (broker default applies)", 1, func(c pa.Client, args []string) (any, error) {
			return nil, c.Namespaces().RemoveRetention(args[0])
		}),
		setTTL,
		o.verb("get-message-ttl TENANT/NAMESPACE", "Get the message TTL (-1: not set)", 1, func(c pa.Client, args []string) (any, error) {
			return c.Namespaces().GetNamespaceMessageTTL(args[0])
		}),
		o.verb("remove-message-ttl TENANT/NAMESPACE", "Remove the message TTL", 1, func(c pa.Client, args []string) (any, error) {
			return nil, c.Namespaces().RemoveNamespaceMessageTTL(args[0])
		}),
	}
}

func nsBacklogCommands(o *options) []*cobra.Command {
	var limit, limitTime, policy, typ string
	set := o.verb("set-backlog-quota TENANT/NAMESPACE", "Set a backlog quota", 1, func(c pa.Client, args []string) (any, error) {
		q, qt, err := backlogQuota(limit, limitTime, policy, typ)
		if err != nil {
			return nil, err
		}
		return nil, c.Namespaces().SetBacklogQuota(args[0], q, qt)
	})
	backlogFlags(set, &limit, &limitTime, &policy, &typ)
	return []*cobra.Command{
		set,
		o.verb("get-backlog-quotas TENANT/NAMESPACE", "Get the backlog quotas", 1, func(c pa.Client, args []string) (any, error) {
			return c.Namespaces().GetBacklogQuotaMap(args[0])
		}),
		o.verb("remove-backlog-quota TENANT/NAMESPACE", "Remove the destination_storage backlog quota", 1, func(c pa.Client, args []string) (any, error) {
			return nil, c.Namespaces().RemoveBacklogQuota(args[0])
		}),
	}
}

func backlogFlags(cmd *cobra.Command, limit, limitTime, policy, typ *string) {
	f := cmd.Flags()
	f.StringVarP(limit, "limit", "l", "-1", "size limit: 10M, 2G or -1")
	f.StringVar(limitTime, "limitTime", "-1", "age limit: 30s, 10m, 3h or -1")
	f.StringVarP(policy, "policy", "p", "", "producer_request_hold, producer_exception or consumer_backlog_eviction")
	f.StringVar(typ, "type", "destination_storage", "destination_storage or message_age")
}

func backlogQuota(limit, limitTime, policy, typ string) (utils.BacklogQuota, utils.BacklogQuotaType, error) {
	size, err := parseSize(limit)
	if err != nil {
		return utils.BacklogQuota{}, "", err
	}
	secs, err := parseSeconds(limitTime)
	if err != nil {
		return utils.BacklogQuota{}, "", err
	}
	p, err := utils.ParseRetentionPolicy(policy)
	if err != nil {
		return utils.BacklogQuota{}, "", err
	}
	qt, err := utils.ParseBacklogQuotaType(typ)
	if err != nil {
		return utils.BacklogQuota{}, "", err
	}
	return utils.NewBacklogQuota(size, secs, p), qt, nil
}

// intPolicy makes set-/get-/remove- verbs for one integer namespace policy.
func intPolicy(o *options, name, flag, usage string, set func(c pa.Client, n utils.NameSpaceName, v int) error,
	get func(c pa.Client, n utils.NameSpaceName) (int, error), remove func(c pa.Client, n utils.NameSpaceName) error) []*cobra.Command {
	var v int
	withNS := func(fn func(c pa.Client, n utils.NameSpaceName) (any, error)) action {
		return func(c pa.Client, args []string) (any, error) {
			n, err := nsName(args[0])
			if err != nil {
				return nil, err
			}
			return fn(c, n)
		}
	}
	setCmd := o.verb("set-"+name+" TENANT/NAMESPACE", "Set "+usage, 1, withNS(func(c pa.Client, n utils.NameSpaceName) (any, error) {
		return nil, set(c, n, v)
	}))
	setCmd.Flags().IntVarP(&v, flag, flag[:1], 0, usage)
	cmds := []*cobra.Command{setCmd,
		o.verb("get-"+name+" TENANT/NAMESPACE", "Get "+usage, 1, withNS(func(c pa.Client, n utils.NameSpaceName) (any, error) {
			return get(c, n)
		}))}
	if remove != nil {
		cmds = append(cmds, o.verb("remove-"+name+" TENANT/NAMESPACE", "Remove "+usage, 1,
			withNS(func(c pa.Client, n utils.NameSpaceName) (any, error) { return nil, remove(c, n) })))
	}
	return cmds
}

func nsLimitCommands(o *options) []*cobra.Command {
	var out []*cobra.Command
	out = append(out, intPolicy(o, "max-producers-per-topic", "max-producers-per-topic", "the max producers per topic",
		func(c pa.Client, n utils.NameSpaceName, v int) error {
			return c.Namespaces().SetMaxProducersPerTopic(n, v)
		},
		func(c pa.Client, n utils.NameSpaceName) (int, error) {
			return c.Namespaces().GetMaxProducersPerTopic(n)
		},
		func(c pa.Client, n utils.NameSpaceName) error { return c.Namespaces().RemoveMaxProducersPerTopic(n) })...)
	out = append(out, intPolicy(o, "max-consumers-per-topic", "max-consumers-per-topic", "the max consumers per topic",
		func(c pa.Client, n utils.NameSpaceName, v int) error {
			return c.Namespaces().SetMaxConsumersPerTopic(n, v)
		},
		func(c pa.Client, n utils.NameSpaceName) (int, error) {
			return c.Namespaces().GetMaxConsumersPerTopic(n)
		},
		func(c pa.Client, n utils.NameSpaceName) error { return c.Namespaces().RemoveMaxConsumersPerTopic(n) })...)
	out = append(out, intPolicy(o, "max-consumers-per-subscription", "max-consumers-per-subscription", "the max consumers per subscription",
		func(c pa.Client, n utils.NameSpaceName, v int) error {
			return c.Namespaces().SetMaxConsumersPerSubscription(n, v)
		},
		func(c pa.Client, n utils.NameSpaceName) (int, error) {
			return c.Namespaces().GetMaxConsumersPerSubscription(n)
		},
		func(c pa.Client, n utils.NameSpaceName) error {
			return c.Namespaces().RemoveMaxConsumersPerSubscription(n)
		})...)
	out = append(out, intPolicy(o, "max-topics-per-namespace", "max-topics-per-namespace", "the max topics of the namespace",
		func(c pa.Client, n utils.NameSpaceName, v int) error {
			return c.Namespaces().SetMaxTopicsPerNamespace(n, v)
		},
		func(c pa.Client, n utils.NameSpaceName) (int, error) {
			return c.Namespaces().GetMaxTopicsPerNamespace(n)
		},
		func(c pa.Client, n utils.NameSpaceName) error { return c.Namespaces().RemoveMaxTopicsPerNamespace(n) })...)
	out = append(out, intPolicy(o, "subscription-expiration-time", "time", "the subscription expiration time in minutes",
		func(c pa.Client, n utils.NameSpaceName, v int) error {
			return c.Namespaces().SetSubscriptionExpirationTime(n, v)
		},
		func(c pa.Client, n utils.NameSpaceName) (int, error) {
			return c.Namespaces().GetSubscriptionExpirationTime(n)
		},
		func(c pa.Client, n utils.NameSpaceName) error {
			return c.Namespaces().RemoveSubscriptionExpirationTime(n)
		})...)
	return out
}

func nsMiscCommands(o *options) []*cobra.Command {
	var enable, disable bool
	dedup := o.verb("set-deduplication TENANT/NAMESPACE", "Enable or disable message deduplication", 1, func(c pa.Client, args []string) (any, error) {
		if enable == disable {
			return nil, fmt.Errorf("give exactly one of --enable and --disable")
		}
		return nil, c.Namespaces().SetDeduplicationStatus(args[0], enable)
	})
	dedup.Flags().BoolVarP(&enable, "enable", "e", false, "enable deduplication")
	dedup.Flags().BoolVarP(&disable, "disable", "d", false, "disable deduplication")

	var strategy string
	setStrategy := o.verb("set-schema-compatibility-strategy TENANT/NAMESPACE", "Set the schema compatibility strategy", 1,
		func(c pa.Client, args []string) (any, error) {
			n, err := nsName(args[0])
			if err != nil {
				return nil, err
			}
			s, err := utils.ParseSchemaCompatibilityStrategy(strings.ToUpper(strategy))
			if err != nil {
				return nil, err
			}
			return nil, c.Namespaces().SetSchemaCompatibilityStrategy(n, s)
		})
	setStrategy.Flags().StringVar(&strategy, "compatibility", "", "ALWAYS_COMPATIBLE, BACKWARD, FORWARD, FULL, ..._TRANSITIVE, UNDEFINED")

	var autoEnable bool
	var topicType string
	var partitions int
	setAuto := o.verb("set-auto-topic-creation TENANT/NAMESPACE", "Override the broker's topic auto-creation", 1,
		func(c pa.Client, args []string) (any, error) {
			n, err := nsName(args[0])
			if err != nil {
				return nil, err
			}
			cfg := utils.TopicAutoCreationConfig{Allow: autoEnable}
			if autoEnable {
				tt, err := utils.ParseTopicType(topicType)
				if err != nil {
					return nil, err
				}
				cfg.Type = tt
				if partitions > 0 {
					cfg.Partitions = &partitions
				}
			}
			return nil, c.Namespaces().SetTopicAutoCreation(n, cfg)
		})
	setAuto.Flags().BoolVarP(&autoEnable, "enable", "e", false, "allow auto topic creation")
	setAuto.Flags().StringVarP(&topicType, "type", "t", "non-partitioned", "partitioned or non-partitioned")
	setAuto.Flags().IntVarP(&partitions, "num-partitions", "n", 0, "default partitions of auto-created partitioned topics")
	withNS := func(fn func(c pa.Client, n utils.NameSpaceName) (any, error)) action {
		return func(c pa.Client, args []string) (any, error) {
			n, err := nsName(args[0])
			if err != nil {
				return nil, err
			}
			return fn(c, n)
		}
	}
	var sub string
	clear := o.verb("clear-backlog TENANT/NAMESPACE", "Clear the backlog of every (or one) subscription", 1, func(c pa.Client, args []string) (any, error) {
		n, err := nsName(args[0])
		if err != nil {
			return nil, err
		}
		if sub != "" {
			return nil, c.Namespaces().ClearNamespaceBacklogForSubscription(n, sub)
		}
		return nil, c.Namespaces().ClearNamespaceBacklog(n)
	})
	clear.Flags().StringVarP(&sub, "sub", "s", "", "only this subscription")
	return []*cobra.Command{
		dedup, setStrategy,
		o.verb("get-schema-compatibility-strategy TENANT/NAMESPACE", "Get the schema compatibility strategy", 1,
			withNS(func(c pa.Client, n utils.NameSpaceName) (any, error) {
				s, err := c.Namespaces().GetSchemaCompatibilityStrategy(n)
				return string(s), err
			})),
		setAuto,
		o.verb("get-auto-topic-creation TENANT/NAMESPACE", "Get the topic auto-creation override", 1,
			withNS(func(c pa.Client, n utils.NameSpaceName) (any, error) {
				cfg, err := c.Namespaces().GetTopicAutoCreation(n)
				if cfg == nil {
					return nil, err
				}
				return cfg, err
			})),
		o.verb("remove-auto-topic-creation TENANT/NAMESPACE", "Remove the topic auto-creation override", 1,
			withNS(func(c pa.Client, n utils.NameSpaceName) (any, error) {
				return nil, c.Namespaces().RemoveTopicAutoCreation(n)
			})),
		clear,
	}
}
