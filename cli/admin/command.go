// Package admin is `magnetar admin`: the pulsar-admin of Magnetar. It speaks the admin
// REST API v2 through the official Go admin client (pulsaradmin), with pulsar-admin's
// command tree, verbs and flags: clusters, tenants, namespaces (with policy
// get/set/remove verbs), topics (with subscriptions and messages) and brokers.
//
// Output is human by default (lists one item per line, objects as indented JSON, nothing
// for a successful change) or JSON with -o json. Errors print the server's reason.
package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	pa "github.com/apache/pulsar-client-go/pulsaradmin/pkg/admin"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/admin/config"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/rest"
	"github.com/spf13/cobra"

	"github.com/magnetar/magnetar/schema/schemacli"
)

// options are the flags every admin command shares.
type options struct {
	adminURL string
	token    string
	output   string
}

// NewCommand returns `magnetar admin` with the pulsar-admin command tree.
func NewCommand() *cobra.Command {
	o := &options{}
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Administer clusters, tenants, namespaces, topics and brokers (pulsar-admin)",
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&o.adminURL, "admin-url", "http://localhost:8080", "admin (web service) URL of a broker")
	pf.StringVar(&o.token, "token", "", "authentication token")
	pf.StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	cmd.AddCommand(clustersCommand(o), tenantsCommand(o), namespacesCommand(o), topicsCommand(o), brokersCommand(o),
		schemacli.NewCommand())
	return cmd
}

// client returns an admin client for the flags' URL.
func (o *options) client() (pa.Client, error) {
	if o.output != "text" && o.output != "json" {
		return nil, fmt.Errorf("unknown output format %q: use text or json", o.output)
	}
	c, err := pa.New(&config.Config{WebServiceURL: o.adminURL, Token: o.token})
	if err != nil {
		return nil, fmt.Errorf("admin client for %s: %w", o.adminURL, err)
	}
	return c, nil
}

// action does one command's work; a non-nil result is printed.
type action func(c pa.Client, args []string) (any, error)

// verb builds a leaf command taking exactly nargs positional arguments.
func (o *options) verb(use, short string, nargs int, fn action) *cobra.Command {
	return o.verbArgs(use, short, cobra.ExactArgs(nargs), fn)
}

// verbArgs builds a leaf command with its own argument rule.
func (o *options) verbArgs(use, short string, args cobra.PositionalArgs, fn action) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  args,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			v, err := fn(c, args)
			if err != nil {
				return reasonOf(err)
			}
			return o.print(cmd.OutOrStdout(), v)
		},
	}
}

// group builds a command that only holds subcommands.
func group(use, short string, aliases []string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Aliases: aliases}
	cmd.AddCommand(subs...)
	return cmd
}

// reasonOf turns a REST error into the server's reason (and status).
func reasonOf(err error) error {
	var re rest.Error
	if errors.As(err, &re) {
		return fmt.Errorf("%s (HTTP %d)", re.Reason, re.Code)
	}
	return err
}

// print writes a result: in text, lists one per line and scalars plainly; objects (and
// everything with -o json) as indented JSON.
func (o *options) print(w io.Writer, v any) error {
	if v == nil {
		return nil
	}
	if o.output == "text" {
		switch x := v.(type) {
		case []string:
			for _, s := range x {
				fmt.Fprintln(w, s)
			}
			return nil
		case string, int, int64, bool, float64:
			_, err := fmt.Fprintln(w, x)
			return err
		case fmt.Stringer:
			_, err := fmt.Fprintln(w, x.String())
			return err
		}
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode output: %w", err)
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

// splitList splits "a,b,c" (empty: none).
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// forceDelete sends DELETE path?force=true, which pulsaradmin has no method for.
func (o *options) forceDelete(path string) error {
	req, err := http.NewRequest(http.MethodDelete, strings.TrimSuffix(o.adminURL, "/")+path+"?force=true", nil)
	if err != nil {
		return err
	}
	if o.token != "" {
		req.Header.Set("Authorization", "Bearer "+o.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("DELETE %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	e := rest.Error{Code: resp.StatusCode, Reason: resp.Status}
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &e)
	return e
}
