package broker

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"regexp"
	"sort"
	"strings"

	"github.com/magnetar/magnetar/resources/topicname"
)

// topicsPattern is a pattern consumer's regular expression as the broker evaluates it
// (Pulsar's TopicsPattern): it must match the whole of a topic's name without its domain
// and without any partition suffix, "tenant/namespace/base".
//
// Go's regexp is RE2, the syntax Pulsar evaluates patterns with first (re2j). Patterns
// that only java.util.regex accepts (lookaround, backreferences, possessive quantifiers,
// \p{Alpha}-style POSIX classes) are refused with InvalidTopicName; the Java client then
// falls back to polling GET_TOPICS_OF_NAMESPACE and filters the list itself.
type topicsPattern struct {
	input string // without the domain, as the client's length limit counts it
	re    *regexp.Regexp
}

// parseTopicsPattern strips the domain as Pulsar's TopicList.removeTopicDomainScheme does
// ("persistent://public/default/a.*" is "public/default/a.*") and compiles the rest.
func parseTopicsPattern(s string) (topicsPattern, error) {
	p, err := removeDomainScheme(s)
	if err != nil {
		return topicsPattern{}, err
	}
	re, err := regexp.Compile(`^(?:` + p + `)$`)
	if err != nil {
		return topicsPattern{}, fmt.Errorf("invalid topics pattern %q: %w", s, err)
	}
	return topicsPattern{input: p, re: re}, nil
}

// removeDomainScheme drops "persistent://" or "non-persistent://" from a pattern. A
// pattern may put regex text before the scheme ("(persistent|x)://..."): Pulsar then keeps
// what precedes the domain word, and so does this.
func removeDomainScheme(s string) (string, error) {
	prefix, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s, nil
	}
	// Java's String.split drops everything after a second separator; nobody relies on that,
	// so a second "://" stays part of the pattern here.
	switch {
	case prefix == string(topicname.Persistent), prefix == string(topicname.NonPersistent):
		prefix = ""
	case strings.HasSuffix(prefix, string(topicname.NonPersistent)):
		prefix = strings.TrimSuffix(prefix, string(topicname.NonPersistent))
	case strings.HasSuffix(prefix, string(topicname.Persistent)):
		prefix = strings.TrimSuffix(prefix, string(topicname.Persistent))
	default:
		return "", fmt.Errorf("invalid topics pattern %q: unsupported topic domain %q", s, prefix)
	}
	return prefix + rest, nil
}

// matches tells whether a topic (full name, partition suffix allowed) is selected.
func (p topicsPattern) matches(topic string) bool {
	n, err := topicname.Parse(topic)
	if err != nil {
		return false
	}
	b := n.Base()
	return p.re.MatchString(b.Namespace.String() + "/" + b.Local)
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// topicListHash is Pulsar's TopicList.calculateHash: CRC32C of the sorted names joined by
// ',', printed as Guava's HashCode does (the four bytes little-endian, lower-case hex).
// Clients send it back on reconnect so an unchanged list need not be resent.
func topicListHash(topics []string) string {
	sorted := append([]string(nil), topics...)
	sort.Strings(sorted)
	sum := crc32.Checksum([]byte(strings.Join(sorted, ",")), castagnoli)
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], sum)
	return hex.EncodeToString(b[:])
}
