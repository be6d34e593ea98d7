package broker

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name        string
		input       string
		want        func(*Config)
		wantUnknown []string
		wantErr     string
	}{
		{
			name:  "empty file keeps defaults",
			input: "",
			want:  func(*Config) {},
		},
		{
			name: "pulsar keys of every kind",
			input: `# Pulsar standalone.conf excerpt
clusterName=test-cluster
maxMessageSize = 1048576
brokerDeleteInactiveTopicsEnabled=false
managedLedgerDefaultMarkDeleteRateLimit=2.5
allowAutoTopicCreationType=partitioned
`,
			want: func(c *Config) {
				c.ClusterName = "test-cluster"
				c.MaxMessageSize = 1048576
				c.BrokerDeleteInactiveTopicsEnabled = false
				c.ManagedLedgerDefaultMarkDeleteRateLimit = 2.5
				c.AllowAutoTopicCreationType = "partitioned"
			},
		},
		{
			name:        "unknown keys reported sorted, not fatal",
			input:       "zooKeeperSessionTimeoutMillis=30000\nbrokerServicePort=7000\ntlsEnabled=true\n",
			want:        func(c *Config) { c.BrokerServicePort = 7000 },
			wantUnknown: []string{"tlsEnabled", "zooKeeperSessionTimeoutMillis"},
		},
		{
			name:  "empty value keeps the default",
			input: "advertisedAddress=\nwebServicePort=\n",
			want:  func(*Config) {},
		},
		{
			name:  "colon separator and comments",
			input: "! a comment\nclusterName: c2\n",
			want:  func(c *Config) { c.ClusterName = "c2" },
		},
		{
			name:    "bad integer",
			input:   "maxMessageSize=lots\n",
			wantErr: `line 1: maxMessageSize: "lots" is not an integer`,
		},
		{
			name:    "bad boolean",
			input:   "\n\nallowAutoTopicCreation=yes please\n",
			wantErr: "line 3: allowAutoTopicCreation",
		},
		{
			name:    "line without separator",
			input:   "justakey\n",
			wantErr: "line 1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DefaultConfig()
			unknown, err := ParseConfig(&got, strings.NewReader(tt.input))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v; want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := DefaultConfig()
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("config = %+v\nwant     %+v", got, want)
			}
			if !reflect.DeepEqual(unknown, tt.wantUnknown) {
				t.Errorf("unknown = %v; want %v", unknown, tt.wantUnknown)
			}
		})
	}
}

func TestDefaultConfigIsPulsars(t *testing.T) {
	c := DefaultConfig()
	if c.ClusterName != "standalone" || c.BrokerServicePort != 6650 || c.WebServicePort != 8080 ||
		c.MaxMessageSize != 5242880 || c.DefaultNumberOfNamespaceBundles != 4 {
		t.Errorf("defaults differ from Pulsar's: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("default config invalid: %v", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"no cluster", func(c *Config) { c.ClusterName = "" }, "clusterName"},
		{"zero max message size", func(c *Config) { c.MaxMessageSize = 0 }, "maxMessageSize"},
		{"bad creation type", func(c *Config) { c.AllowAutoTopicCreationType = "sometimes" }, "allowAutoTopicCreationType"},
		{"ack quorum above write quorum", func(c *Config) { c.ManagedLedgerDefaultAckQuorum = 2 }, "ackQuorum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.mod(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v; want an error about %s", err, tt.want)
			}
		})
	}
}

func TestLoadConfigFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "standalone.conf")
	if err := os.WriteFile(path, []byte("maxMessageSize=1048576\nfoo=bar\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	unknown, err := LoadConfigFile(&c, path)
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxMessageSize != 1048576 || len(unknown) != 1 || unknown[0] != "foo" {
		t.Errorf("got max %d unknown %v", c.MaxMessageSize, unknown)
	}
	if _, err := LoadConfigFile(&c, filepath.Join(t.TempDir(), "missing.conf")); err == nil {
		t.Error("missing file: no error")
	}
}

// TestResourceDefaults: keys the policy defaults know (but Config does not) are accepted
// and reach resources.Defaults, as do shared keys.
func TestResourceDefaults(t *testing.T) {
	c := DefaultConfig()
	unknown, err := ParseConfig(&c, strings.NewReader("clusterName=east\nmaxNumPartitionsPerPartitionedTopic=10\nbrokerDeduplicationEnabled=true\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(unknown) != 0 {
		t.Errorf("unknown = %v; want none", unknown)
	}
	d := c.ResourceDefaults()
	if d.ClusterName != "east" || d.MaxNumPartitionsPerPartitionedTopic != 10 || !d.BrokerDeduplicationEnabled {
		t.Errorf("defaults = cluster %q, max partitions %d, dedup %v", d.ClusterName, d.MaxNumPartitionsPerPartitionedTopic, d.BrokerDeduplicationEnabled)
	}
	if d.ManagedLedgerDefaultEnsembleSize != 1 {
		t.Errorf("ensemble size %d; want the broker's 1", d.ManagedLedgerDefaultEnsembleSize)
	}
}
