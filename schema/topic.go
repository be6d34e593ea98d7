package schema

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// TopicID names the schema of a topic: tenant, namespace and the local name without a
// partition suffix. All partitions of a topic, and its persistent and non-persistent
// variants, share one TopicID, as they share one schema in Pulsar.
type TopicID struct {
	Tenant, Namespace, Local string
}

// String is Pulsar's schema id, "tenant/ns/local".
func (id TopicID) String() string { return id.Tenant + "/" + id.Namespace + "/" + id.Local }

// key is the metadata key of the topic's schemas; the local name is path-escaped because
// Pulsar allows '/' in it.
func (id TopicID) key() string {
	return "/schemas/" + id.Tenant + "/" + id.Namespace + "/" + url.PathEscape(id.Local)
}

// ParseTopic accepts every spelling of a topic Pulsar accepts: "persistent://t/ns/x",
// "non-persistent://t/ns/x", "t/ns/x", and the short "x" (public/default). A
// "-partition-N" suffix is dropped.
func ParseTopic(topic string) (TopicID, error) {
	rest := topic
	if i := strings.Index(rest, "://"); i >= 0 {
		switch rest[:i] {
		case "persistent", "non-persistent":
		default:
			return TopicID{}, fmt.Errorf("schema: topic %q: unknown domain %q", topic, rest[:i])
		}
		rest = rest[i+3:]
	} else if !strings.Contains(rest, "/") {
		rest = "public/default/" + rest
	}
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) != 3 {
		return TopicID{}, fmt.Errorf("schema: topic %q: want tenant/namespace/topic", topic)
	}
	id := TopicID{Tenant: parts[0], Namespace: parts[1], Local: stripPartition(parts[2])}
	if err := id.validate(); err != nil {
		return TopicID{}, fmt.Errorf("schema: topic %q: %w", topic, err)
	}
	return id, nil
}

// NewTopicID builds a TopicID from REST path parts (already unescaped).
func NewTopicID(tenant, namespace, local string) (TopicID, error) {
	id := TopicID{Tenant: tenant, Namespace: namespace, Local: stripPartition(local)}
	if err := id.validate(); err != nil {
		return TopicID{}, fmt.Errorf("schema: topic %s/%s/%s: %w", tenant, namespace, local, err)
	}
	return id, nil
}

func (id TopicID) validate() error {
	for _, p := range []string{id.Tenant, id.Namespace} {
		if p == "" || p == "." || p == ".." || strings.ContainsAny(p, "/\\") {
			return fmt.Errorf("invalid tenant or namespace %q", p)
		}
	}
	if id.Local == "" || id.Local == "." || id.Local == ".." {
		return fmt.Errorf("invalid topic name %q", id.Local)
	}
	return nil
}

// stripPartition removes a "-partition-N" suffix.
func stripPartition(local string) string {
	const suffix = "-partition-"
	i := strings.LastIndex(local, suffix)
	if i <= 0 {
		return local
	}
	if _, err := strconv.ParseUint(local[i+len(suffix):], 10, 31); err != nil {
		return local
	}
	return local[:i]
}
