// Package topicname parses and validates Pulsar topic names:
//
//	{persistent|non-persistent}://<tenant>/<namespace>/<local name>
//
// plus the short forms clients accept ("t" is persistent://public/default/t, "a/b/t" is
// persistent://a/b/t). Partitions of a partitioned topic are topics named
// "<topic>-partition-<i>".
package topicname

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Domains of a topic.
const (
	Persistent    = "persistent"
	NonPersistent = "non-persistent"
)

// PartitionSuffix separates a partitioned topic's name from a partition index.
const PartitionSuffix = "-partition-"

// ErrInvalid is wrapped by every parse error.
var ErrInvalid = errors.New("invalid topic name")

// Name is a parsed, fully qualified topic name.
type Name struct {
	Domain    string
	Tenant    string
	Namespace string // the namespace's own name, without the tenant
	Local     string // the topic's name inside the namespace, with any partition suffix
	// Partition is the index in "-partition-<i>", or -1 if the name has none.
	Partition int
}

// namedEntity is Pulsar's rule for tenant, namespace and cluster names.
var namedEntity = regexp.MustCompile(`^[-=:.\w]+$`)

// Parse parses a full or short topic name.
func Parse(s string) (Name, error) {
	full := s
	if !strings.Contains(s, "://") {
		switch parts := strings.Split(s, "/"); len(parts) {
		case 1:
			full = Persistent + "://public/default/" + s
		case 3:
			full = Persistent + "://" + s
		default:
			return Name{}, fmt.Errorf("%w %q: want <topic>, <tenant>/<namespace>/<topic> or <domain>://<tenant>/<namespace>/<topic>", ErrInvalid, s)
		}
	}
	domain, rest, _ := strings.Cut(full, "://")
	if domain != Persistent && domain != NonPersistent {
		return Name{}, fmt.Errorf("%w %q: domain %q is neither persistent nor non-persistent", ErrInvalid, s, domain)
	}
	parts := strings.SplitN(rest, "/", 4)
	switch {
	case len(parts) == 4:
		return Name{}, fmt.Errorf("%w %q: legacy names with a cluster part are not supported", ErrInvalid, s)
	case len(parts) != 3:
		return Name{}, fmt.Errorf("%w %q: want <domain>://<tenant>/<namespace>/<topic>", ErrInvalid, s)
	}
	n := Name{Domain: domain, Tenant: parts[0], Namespace: parts[1], Local: parts[2], Partition: -1}
	if err := ValidateNamespace(n.Tenant, n.Namespace); err != nil {
		return Name{}, fmt.Errorf("%w %q: %v", ErrInvalid, s, err)
	}
	if n.Local == "" {
		return Name{}, fmt.Errorf("%w %q: empty topic name", ErrInvalid, s)
	}
	if i := strings.LastIndex(n.Local, PartitionSuffix); i >= 0 {
		if p, err := strconv.Atoi(n.Local[i+len(PartitionSuffix):]); err == nil && p >= 0 {
			n.Partition = p
		}
	}
	return n, nil
}

// ValidateNamespace checks tenant and namespace names against Pulsar's rule.
func ValidateNamespace(tenant, namespace string) error {
	if !namedEntity.MatchString(tenant) {
		return fmt.Errorf("invalid tenant name %q", tenant)
	}
	if !namedEntity.MatchString(namespace) {
		return fmt.Errorf("invalid namespace name %q", namespace)
	}
	return nil
}

// String is the fully qualified name.
func (n Name) String() string {
	return n.Domain + "://" + n.Tenant + "/" + n.Namespace + "/" + n.Local
}

// IsPersistent tells whether the topic's messages are stored.
func (n Name) IsPersistent() bool { return n.Domain == Persistent }

// NamespaceName is "<tenant>/<namespace>".
func (n Name) NamespaceName() string { return n.Tenant + "/" + n.Namespace }

// IsPartition tells whether the name is one partition of a partitioned topic.
func (n Name) IsPartition() bool { return n.Partition >= 0 }

// Base is the partitioned topic a partition belongs to (n itself if it is no partition).
func (n Name) Base() Name {
	if n.Partition < 0 {
		return n
	}
	i := strings.LastIndex(n.Local, PartitionSuffix)
	b := n
	b.Local, b.Partition = n.Local[:i], -1
	return b
}

// PartitionName is partition i of n.
func (n Name) PartitionName(i int) Name {
	p := n.Base()
	p.Local = p.Local + PartitionSuffix + strconv.Itoa(i)
	p.Partition = i
	return p
}

// EncodedLocal is the local name escaped for use as one path element (metadata keys,
// managed-ledger names), as Pulsar's Codec.encode does.
func (n Name) EncodedLocal() string { return url.QueryEscape(n.Local) }

// PersistenceName is the managed ledger's name: "<tenant>/<namespace>/persistent/<encoded>".
func (n Name) PersistenceName() string {
	return n.Tenant + "/" + n.Namespace + "/" + n.Domain + "/" + n.EncodedLocal()
}

// FromPersistenceName reverses PersistenceName.
func FromPersistenceName(s string) (Name, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 4 {
		return Name{}, fmt.Errorf("%w: persistence name %q", ErrInvalid, s)
	}
	local, err := url.QueryUnescape(parts[3])
	if err != nil {
		return Name{}, fmt.Errorf("%w: persistence name %q: %v", ErrInvalid, s, err)
	}
	return Parse(parts[2] + "://" + parts[0] + "/" + parts[1] + "/" + local)
}
