// Package schemacli is `magnetar admin schemas`: pulsar-admin's schema commands (upload,
// get, delete, compatibility) over the admin REST API.
package schemacli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/apache/pulsar-client-go/pulsaradmin"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/rest"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
	"github.com/spf13/cobra"
)

// NewCommand returns `schemas` with upload, get, delete and compatibility. It reads the
// admin URL from an --admin-url flag, its own or one a parent command defines.
func NewCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "schemas", Short: "Upload, get, delete and check topic schemas"}
	cmd.PersistentFlags().String("admin-url", "http://localhost:8080", "admin REST URL of a broker")
	cmd.AddCommand(uploadCommand(), getCommand(), deleteCommand(), compatibilityCommand())
	return cmd
}

func uploadCommand() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "upload TOPIC --filename FILE",
		Short: "Upload a schema; FILE is pulsar-admin's JSON: {\"type\":\"AVRO\",\"schema\":\"...\",\"properties\":{}}",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			p, err := readPayload(file)
			if err != nil {
				return err
			}
			admin, err := adminClient(c)
			if err != nil {
				return err
			}
			return restError(admin.Schemas().CreateSchemaByPayload(args[0], p))
		},
	}
	cmd.Flags().StringVarP(&file, "filename", "f", "", "schema definition file (required)")
	_ = cmd.MarkFlagRequired("filename")
	return cmd
}

func compatibilityCommand() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "compatibility TOPIC --filename FILE",
		Short: "Test whether a schema could be uploaded under the topic's compatibility strategy",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			p, err := readPayload(file)
			if err != nil {
				return err
			}
			admin, err := adminClient(c)
			if err != nil {
				return err
			}
			res, err := admin.Schemas().TestCompatibilityWithPostSchemaPayload(args[0], p)
			if err != nil {
				return restError(err)
			}
			return printJSON(c.OutOrStdout(), res)
		},
	}
	cmd.Flags().StringVarP(&file, "filename", "f", "", "schema definition file (required)")
	_ = cmd.MarkFlagRequired("filename")
	return cmd
}

func deleteCommand() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "delete TOPIC",
		Short: "Delete a topic's schema (--force also erases its version history)",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			admin, err := adminClient(c)
			if err != nil {
				return err
			}
			if force {
				return restError(admin.Schemas().ForceDeleteSchema(args[0]))
			}
			return restError(admin.Schemas().DeleteSchema(args[0]))
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "delete the schema storage, versions start over")
	return cmd
}

// getCommand reads GetSchemaResponse over plain HTTP: pulsaradmin drops KEY_VALUE
// definitions when it converts the response.
func getCommand() *cobra.Command {
	var version int64
	var all bool
	cmd := &cobra.Command{
		Use:   "get TOPIC",
		Short: "Print a topic's latest schema, one version (--version) or all (--all-version)",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			base, err := schemaURL(c, args[0])
			if err != nil {
				return err
			}
			switch {
			case all:
				var resp struct {
					Schemas []getSchemaResponse `json:"getSchemaResponses"`
				}
				if err := getJSON(c.Context(), base+"/schemas", &resp); err != nil {
					return err
				}
				out := make([]schemaInfoWithVersion, len(resp.Schemas))
				for i, s := range resp.Schemas {
					out[i] = s.withVersion(base)
				}
				return printJSON(c.OutOrStdout(), out)
			case c.Flags().Changed("version"):
				var s getSchemaResponse
				if err := getJSON(c.Context(), fmt.Sprintf("%s/schema/%d", base, version), &s); err != nil {
					return err
				}
				return printJSON(c.OutOrStdout(), s.withVersion(base).SchemaInfo)
			}
			var s getSchemaResponse
			if err := getJSON(c.Context(), base+"/schema", &s); err != nil {
				return err
			}
			return printJSON(c.OutOrStdout(), s.withVersion(base))
		},
	}
	cmd.Flags().Int64Var(&version, "version", 0, "the version to print")
	cmd.Flags().BoolVarP(&all, "all-version", "a", false, "print every version")
	return cmd
}

// getSchemaResponse is the REST body; schemaInfoWithVersion is what pulsar-admin prints,
// with JSON definitions shown as JSON rather than as a quoted string.
type (
	getSchemaResponse struct {
		Version    int64             `json:"version"`
		Type       string            `json:"type"`
		Timestamp  int64             `json:"timestamp"`
		Data       string            `json:"data"`
		Properties map[string]string `json:"properties"`
	}
	schemaInfo struct {
		Name       string            `json:"name"`
		Schema     json.RawMessage   `json:"schema"`
		Type       string            `json:"type"`
		Timestamp  int64             `json:"timestamp"`
		Properties map[string]string `json:"properties"`
	}
	schemaInfoWithVersion struct {
		Version    int64      `json:"version"`
		SchemaInfo schemaInfo `json:"schemaInfo"`
	}
)

func (s getSchemaResponse) withVersion(base string) schemaInfoWithVersion {
	def := json.RawMessage(s.Data)
	if !json.Valid(def) || strings.TrimSpace(s.Data) == "" {
		def, _ = json.Marshal(s.Data)
	}
	props := s.Properties
	if props == nil {
		props = map[string]string{}
	}
	name, _ := url.PathUnescape(base[strings.LastIndex(base, "/")+1:])
	return schemaInfoWithVersion{Version: s.Version, SchemaInfo: schemaInfo{
		Name: name, Schema: def, Type: s.Type, Timestamp: s.Timestamp, Properties: props,
	}}
}

func adminURL(c *cobra.Command) (string, error) {
	u, err := c.Flags().GetString("admin-url")
	if err != nil {
		return "", fmt.Errorf("schemas: --admin-url: %w", err)
	}
	return strings.TrimRight(u, "/"), nil
}

func adminClient(c *cobra.Command) (pulsaradmin.Client, error) {
	u, err := adminURL(c)
	if err != nil {
		return nil, err
	}
	admin, err := pulsaradmin.NewClient(&pulsaradmin.Config{WebServiceURL: u})
	if err != nil {
		return nil, fmt.Errorf("schemas: admin client for %s: %w", u, err)
	}
	return admin, nil
}

// schemaURL is the topic's /admin/v2/schemas/{tenant}/{ns}/{topic} URL.
func schemaURL(c *cobra.Command, topic string) (string, error) {
	u, err := adminURL(c)
	if err != nil {
		return "", err
	}
	tn, err := utils.GetTopicName(topic)
	if err != nil {
		return "", fmt.Errorf("schemas: topic %q: %w", topic, err)
	}
	return fmt.Sprintf("%s/admin/v2/schemas/%s/%s/%s", u, url.PathEscape(tn.GetTenant()),
		url.PathEscape(tn.GetNamespace()), url.PathEscape(tn.GetLocalName())), nil
}

func getJSON(ctx context.Context, u string, out any) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("schemas: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("schemas: GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("schemas: GET %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Reason string `json:"reason"`
		}
		if json.Unmarshal(body, &e) != nil || e.Reason == "" {
			e.Reason = strings.TrimSpace(string(body))
		}
		return fmt.Errorf("%s (HTTP %d)", e.Reason, resp.StatusCode)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("schemas: GET %s: decode: %w", u, err)
	}
	return nil
}

// readPayload reads a pulsar-admin schema file.
func readPayload(file string) (utils.PostSchemaPayload, error) {
	var p utils.PostSchemaPayload
	b, err := os.ReadFile(file)
	if err != nil {
		return p, fmt.Errorf("schemas: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("schemas: %s: want {\"type\":...,\"schema\":...,\"properties\":{...}}: %w", file, err)
	}
	if p.SchemaType == "" {
		return p, fmt.Errorf("schemas: %s: no \"type\"", file)
	}
	return p, nil
}

// restError turns pulsaradmin's error into "reason (HTTP code)", as pulsar-admin prints it.
func restError(err error) error {
	var e rest.Error
	if errors.As(err, &e) {
		return fmt.Errorf("%s (HTTP %d)", e.Reason, e.Code)
	}
	return err
}

func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
