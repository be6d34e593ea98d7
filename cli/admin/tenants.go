package admin

import (
	"net/url"

	pa "github.com/apache/pulsar-client-go/pulsaradmin/pkg/admin"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
	"github.com/spf13/cobra"
)

func tenantsCommand(o *options) *cobra.Command {
	var roles, clusters string
	infoFlags := func(cmd *cobra.Command) *cobra.Command {
		cmd.Flags().StringVarP(&roles, "admin-roles", "r", "", "comma-separated admin roles")
		cmd.Flags().StringVarP(&clusters, "allowed-clusters", "c", "", "comma-separated allowed clusters")
		return cmd
	}
	info := func(name string) utils.TenantData {
		return utils.TenantData{Name: name, AdminRoles: splitList(roles), AllowedClusters: splitList(clusters)}
	}
	var force bool
	del := o.verb("delete TENANT", "Delete a tenant (-f also deletes its namespaces and topics)", 1, func(c pa.Client, args []string) (any, error) {
		if force {
			return nil, o.forceDelete("/admin/v2/tenants/" + url.PathEscape(args[0]))
		}
		return nil, c.Tenants().Delete(args[0])
	})
	del.Flags().BoolVarP(&force, "force", "f", false, "delete the tenant's namespaces and topics too")
	return group("tenants", "Operations about tenants", []string{"tenant"},
		o.verb("list", "List tenants", 0, func(c pa.Client, _ []string) (any, error) { return c.Tenants().List() }),
		o.verb("get TENANT", "Get a tenant's admin roles and allowed clusters", 1, func(c pa.Client, args []string) (any, error) {
			return c.Tenants().Get(args[0])
		}),
		infoFlags(o.verb("create TENANT", "Create a tenant", 1, func(c pa.Client, args []string) (any, error) {
			return nil, c.Tenants().Create(info(args[0]))
		})),
		infoFlags(o.verb("update TENANT", "Update a tenant", 1, func(c pa.Client, args []string) (any, error) {
			return nil, c.Tenants().Update(info(args[0]))
		})),
		del,
	)
}
