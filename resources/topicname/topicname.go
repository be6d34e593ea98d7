// Package topicname parses and validates Pulsar names — tenants, namespaces and topics —
// the way Pulsar does, so that every component (broker, admin, storage) agrees on what a
// name means and how it is spelled in metadata keys and REST paths.
//
// A topic name is "<domain>://<tenant>/<namespace>/<local>"; short forms "<local>" and
// "<tenant>/<namespace>/<local>" mean persistent topics ("public/default" for the first).
// A partition of a partitioned topic is the local name with "-partition-<N>" appended.
// Pulsar's legacy v1 names (with a cluster segment) are not supported.
package topicname

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Domain says whether a topic's messages are stored.
type Domain string

const (
	Persistent    Domain = "persistent"
	NonPersistent Domain = "non-persistent"
)

// ParseDomain accepts "persistent" or "non-persistent".
func ParseDomain(s string) (Domain, error) {
	switch Domain(s) {
	case Persistent, NonPersistent:
		return Domain(s), nil
	}
	return "", fmt.Errorf("Invalid topic domain: '%s'", s)
}

// Defaults of the short topic form.
const (
	PublicTenant     = "public"
	DefaultNamespace = "default"
	// PartitionSuffix joins a partitioned topic's local name and a partition index.
	PartitionSuffix = "-partition-"
)

// namePattern is Pulsar's NamedEntity rule for tenant, namespace and cluster names:
// letters, digits, '_' and the characters - = : .
var namePattern = regexp.MustCompile(`^[-=:.\w]+$`)

// CheckName validates a tenant, namespace or cluster name.
func CheckName(s string) error {
	if !namePattern.MatchString(s) {
		return fmt.Errorf("Invalid named entity: %s", s)
	}
	return nil
}

// Namespace is "<tenant>/<namespace>".
type Namespace struct {
	Tenant string
	Name   string
}

// NewNamespace validates both parts.
func NewNamespace(tenant, name string) (Namespace, error) {
	if tenant == "" || name == "" {
		return Namespace{}, fmt.Errorf("Invalid namespace format. namespace: %s/%s", tenant, name)
	}
	if err := CheckName(tenant); err != nil {
		return Namespace{}, err
	}
	if err := CheckName(name); err != nil {
		return Namespace{}, err
	}
	return Namespace{Tenant: tenant, Name: name}, nil
}

// ParseNamespace parses "<tenant>/<namespace>".
func ParseNamespace(s string) (Namespace, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 2 {
		return Namespace{}, fmt.Errorf("Invalid namespace format. namespace: %s", s)
	}
	return NewNamespace(parts[0], parts[1])
}

func (n Namespace) String() string { return n.Tenant + "/" + n.Name }

// Name is a parsed topic name.
type Name struct {
	Domain    Domain
	Namespace Namespace
	// Local is the topic's own name, including any "-partition-N" suffix.
	Local string
	// Partition is N for "<base>-partition-N", else -1.
	Partition int
}

// Parse parses a full or short topic name.
func Parse(s string) (Name, error) {
	full := s
	if !strings.Contains(s, "://") {
		parts := strings.Split(s, "/")
		switch len(parts) {
		case 1:
			full = string(Persistent) + "://" + PublicTenant + "/" + DefaultNamespace + "/" + s
		case 3:
			full = string(Persistent) + "://" + s
		default:
			return Name{}, fmt.Errorf("Invalid short topic name '%s', it should be in the format of "+
				"<tenant>/<namespace>/<topic> or <topic>", s)
		}
	}
	scheme, rest, _ := strings.Cut(full, "://")
	domain, err := ParseDomain(scheme)
	if err != nil {
		return Name{}, err
	}
	parts := strings.SplitN(rest, "/", 4)
	if len(parts) != 3 {
		return Name{}, fmt.Errorf("Invalid topic name: %s", s)
	}
	return New(domain, parts[0], parts[1], parts[2])
}

// New builds a topic name from its parts (local already decoded), validating each.
func New(domain Domain, tenant, namespace, local string) (Name, error) {
	if _, err := ParseDomain(string(domain)); err != nil {
		return Name{}, err
	}
	ns, err := NewNamespace(tenant, namespace)
	if err != nil {
		return Name{}, err
	}
	if strings.TrimSpace(local) == "" {
		return Name{}, fmt.Errorf("Invalid topic name: %s://%s/%s/%s. Topic local name must not be blank.",
			domain, tenant, namespace, local)
	}
	if strings.ContainsRune(local, '/') {
		return Name{}, fmt.Errorf("Invalid topic name: %s://%s/%s/%s", domain, tenant, namespace, local)
	}
	for _, r := range local {
		if r < 0x20 || r == 0x7f {
			return Name{}, fmt.Errorf("Invalid topic name: %q contains a control character", local)
		}
	}
	return Name{Domain: domain, Namespace: ns, Local: local, Partition: partitionIndex(local)}, nil
}

// partitionIndex follows Pulsar: the text after the last "-partition-" must be a
// non-negative decimal without leading zeros.
func partitionIndex(local string) int {
	i := strings.LastIndex(local, PartitionSuffix)
	if i < 0 {
		return -1
	}
	idx := local[i+len(PartitionSuffix):]
	n, err := strconv.Atoi(idx)
	if err != nil || n < 0 || strconv.Itoa(n) != idx {
		return -1
	}
	return n
}

// String is the full name, "<domain>://<tenant>/<namespace>/<local>".
func (n Name) String() string {
	return string(n.Domain) + "://" + n.Namespace.Tenant + "/" + n.Namespace.Name + "/" + n.Local
}

// IsPersistent reports whether the topic's messages are stored.
func (n Name) IsPersistent() bool { return n.Domain == Persistent }

// IsPartition reports whether this is one partition of a partitioned topic.
func (n Name) IsPartition() bool { return n.Partition >= 0 }

// Base returns the partitioned topic a partition belongs to (itself if not a partition).
func (n Name) Base() Name {
	if n.Partition < 0 {
		return n
	}
	b := n
	b.Local = n.Local[:strings.LastIndex(n.Local, PartitionSuffix)]
	b.Partition = -1
	return b
}

// PartitionName returns partition i of this (partitioned) topic.
func (n Name) PartitionName(i int) Name {
	b := n.Base()
	b.Local = b.Local + PartitionSuffix + strconv.Itoa(i)
	b.Partition = i
	return b
}

// EncodedLocal is the local name URL-encoded as Pulsar's Codec.encode does (Java's
// URLEncoder: space as '+', letters, digits and ".-*_" kept); it is the form used in
// metadata keys and REST paths.
func (n Name) EncodedLocal() string { return Encode(n.Local) }

// PersistenceName is the managed ledger name: "<tenant>/<namespace>/<domain>/<encoded local>".
func (n Name) PersistenceName() string {
	return n.Namespace.String() + "/" + string(n.Domain) + "/" + n.EncodedLocal()
}

// FromPersistenceName parses a managed ledger name ("<tenant>/<namespace>/<domain>/<encoded
// local>", as PersistenceName writes it) back into a topic name.
func FromPersistenceName(s string) (Name, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 4 {
		return Name{}, fmt.Errorf("Invalid managed ledger name: %s", s)
	}
	d, err := ParseDomain(parts[2])
	if err != nil {
		return Name{}, err
	}
	local, err := Decode(parts[3])
	if err != nil {
		return Name{}, err
	}
	return New(d, parts[0], parts[1], local)
}

// RestPath is the topic's part of an admin REST path: "<domain>/<tenant>/<namespace>/<encoded local>".
func (n Name) RestPath() string {
	return string(n.Domain) + "/" + n.Namespace.String() + "/" + n.EncodedLocal()
}

// Encode is Java's URLEncoder.encode(s, UTF-8).
func Encode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '.', c == '-', c == '*', c == '_':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// Decode reverses Encode (and any other form-encoding of the same text).
func Decode(s string) (string, error) {
	d, err := url.QueryUnescape(s)
	if err != nil {
		return "", fmt.Errorf("decode %q: %w", s, err)
	}
	return d, nil
}
