package topicname

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in        string
		full      string
		domain    Domain
		ns        string
		local     string
		partition int
	}{
		{"my-topic", "persistent://public/default/my-topic", Persistent, "public/default", "my-topic", -1},
		{"t1/ns1/x", "persistent://t1/ns1/x", Persistent, "t1/ns1", "x", -1},
		{"persistent://t/ns/x", "persistent://t/ns/x", Persistent, "t/ns", "x", -1},
		{"non-persistent://t/ns/x", "non-persistent://t/ns/x", NonPersistent, "t/ns", "x", -1},
		{"persistent://t/ns/x-partition-3", "persistent://t/ns/x-partition-3", Persistent, "t/ns", "x-partition-3", 3},
		{"x-partition-0", "persistent://public/default/x-partition-0", Persistent, "public/default", "x-partition-0", 0},
		// Pulsar's rules: a leading zero, a negative or a non-number is not a partition.
		{"x-partition-01", "persistent://public/default/x-partition-01", Persistent, "public/default", "x-partition-01", -1},
		{"x-partition--1", "persistent://public/default/x-partition--1", Persistent, "public/default", "x-partition--1", -1},
		{"x-partition-a", "persistent://public/default/x-partition-a", Persistent, "public/default", "x-partition-a", -1},
		{"a-partition-1-partition-2", "persistent://public/default/a-partition-1-partition-2", Persistent, "public/default", "a-partition-1-partition-2", 2},
		{"persistent://my.tenant=1/ns:2/topic with space", "persistent://my.tenant=1/ns:2/topic with space", Persistent, "my.tenant=1/ns:2", "topic with space", -1},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			n, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if n.String() != tt.full || n.Domain != tt.domain || n.Namespace.String() != tt.ns ||
				n.Local != tt.local || n.Partition != tt.partition {
				t.Fatalf("Parse(%q) = %+v (%s), want %s partition %d", tt.in, n, n, tt.full, tt.partition)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct{ in, reason string }{
		{"", "must not be blank"},
		{"a/b", "Invalid short topic name"},
		{"a/b/c/d", "Invalid short topic name"},
		{"http://t/ns/x", "Invalid topic domain"},
		{"persistent://t/ns", "Invalid topic name"},
		{"persistent://t/cluster/ns/x", "Invalid topic name"}, // v1 names are not supported
		{"persistent://t/ns/", "must not be blank"},
		{"persistent://t/ns/  ", "must not be blank"},
		{"persistent://t!/ns/x", "Invalid named entity"},
		{"persistent://t/n s/x", "Invalid named entity"},
		{"persistent:///ns/x", "Invalid namespace format"},
		{"persistent://t/ns/a\x00b", "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			n, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error", tt.in, n)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("Parse(%q) error %q, want it to contain %q", tt.in, err, tt.reason)
			}
		})
	}
}

func TestPartitions(t *testing.T) {
	n, err := Parse("persistent://t/ns/orders")
	if err != nil {
		t.Fatal(err)
	}
	p := n.PartitionName(7)
	if p.String() != "persistent://t/ns/orders-partition-7" || p.Partition != 7 || !p.IsPartition() {
		t.Fatalf("PartitionName(7) = %+v", p)
	}
	if b := p.Base(); b != n {
		t.Fatalf("Base() = %+v, want %+v", b, n)
	}
	if b := n.Base(); b != n {
		t.Fatalf("Base of a non-partition = %+v", b)
	}
	if q := p.PartitionName(2); q.String() != "persistent://t/ns/orders-partition-2" {
		t.Fatalf("PartitionName of a partition = %s", q)
	}
}

func TestEncoding(t *testing.T) {
	tests := []struct{ local, encoded string }{
		{"plain-topic_1.x*", "plain-topic_1.x*"},
		{"with space", "with+space"},
		{"a:b=c%d", "a%3Ab%3Dc%25d"},
		{"über", "%C3%BCber"},
		{"~tilde", "%7Etilde"},
	}
	for _, tt := range tests {
		if got := Encode(tt.local); got != tt.encoded {
			t.Errorf("Encode(%q) = %q, want %q", tt.local, got, tt.encoded)
		}
		back, err := Decode(tt.encoded)
		if err != nil || back != tt.local {
			t.Errorf("Decode(%q) = %q, %v; want %q", tt.encoded, back, err, tt.local)
		}
	}
	n, _ := Parse("persistent://t/ns/a b")
	if got := n.PersistenceName(); got != "t/ns/persistent/a+b" {
		t.Errorf("PersistenceName = %q", got)
	}
	if got := n.RestPath(); got != "persistent/t/ns/a+b" {
		t.Errorf("RestPath = %q", got)
	}
}

func TestNamespace(t *testing.T) {
	good := []string{"public/default", "a-b/c.d", "t=1/n:2"}
	for _, s := range good {
		ns, err := ParseNamespace(s)
		if err != nil || ns.String() != s {
			t.Errorf("ParseNamespace(%q) = %v, %v", s, ns, err)
		}
	}
	bad := []string{"", "public", "a/b/c", "/x", "x/", "a b/c", "a/b#"}
	for _, s := range bad {
		if ns, err := ParseNamespace(s); err == nil {
			t.Errorf("ParseNamespace(%q) = %v, want error", s, ns)
		}
	}
}

func TestFromPersistenceName(t *testing.T) {
	for _, full := range []string{"persistent://t/ns/a b:c", "non-persistent://t/ns/x-partition-2", "persistent://p/d/%zz"} {
		n, err := Parse(full)
		if err != nil {
			t.Fatal(err)
		}
		back, err := FromPersistenceName(n.PersistenceName())
		if err != nil || back != n {
			t.Errorf("FromPersistenceName(%q) = %+v, %v; want %+v", n.PersistenceName(), back, err, n)
		}
	}
	for _, bad := range []string{"", "t/ns/persistent", "t/ns/durable/x", "t/ns/persistent/x/y", "t/n s/persistent/x", "t/ns/persistent/%zz"} {
		if n, err := FromPersistenceName(bad); err == nil {
			t.Errorf("FromPersistenceName(%q) = %v, want error", bad, n)
		}
	}
}
