// Package connect opens the metadata store a URL names, the one setting every Magnetar
// role takes (Pulsar's metadataStoreUrl):
//
//	""                          embedded store in <dataDir>/metadata (standalone)
//	embedded:///abs/dir         embedded store in /abs/dir
//	etcd://h1:p1,h2:p2[/prefix] etcd, keys under an optional prefix
//	zk://h1:p1,h2:p2[/chroot]   ZooKeeper, keys under an optional chroot
//
// Pulsar's spellings "zk:h1:p1/chroot", "etcd:http://h1:p1,http://h2:p2" and the
// "metadata-store:" prefix are accepted too.
package connect

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"

	"github.com/magnetar/magnetar/metadata"
	"github.com/magnetar/magnetar/metadata/embedded"
	"github.com/magnetar/magnetar/metadata/etcdstore"
	"github.com/magnetar/magnetar/metadata/zkstore"
)

// Kinds of store.
const (
	Embedded = "embedded"
	Etcd     = "etcd"
	ZK       = "zk"
)

// Spec is a parsed metadata store URL.
type Spec struct {
	Kind  string
	Dir   string   // Embedded: the database directory
	Hosts []string // Etcd, ZK: "host:port" (etcd also "http://host:port")
	Root  string   // Etcd: key prefix; ZK: chroot; "" for none
}

// Parse reads a metadata store URL; dataDir is where the default embedded store lives.
func Parse(url, dataDir string) (Spec, error) {
	u := strings.TrimSpace(url)
	u = strings.TrimPrefix(u, "metadata-store:")
	kind, rest, ok := strings.Cut(u, ":")
	switch {
	case u == "":
		if dataDir == "" {
			return Spec{}, errors.New("metadata URL: empty, and no data directory for the embedded store")
		}
		return Spec{Kind: Embedded, Dir: filepath.Join(dataDir, "metadata")}, nil
	case !ok:
		return Spec{}, fmt.Errorf("metadata URL %q: want embedded://, etcd:// or zk://", url)
	}
	rest = strings.TrimPrefix(rest, "//")
	switch kind {
	case Embedded:
		if rest == "" {
			return Parse("", dataDir)
		}
		if !filepath.IsAbs(rest) {
			return Spec{}, fmt.Errorf("metadata URL %q: embedded directory must be absolute (embedded:///abs/dir)", url)
		}
		return Spec{Kind: Embedded, Dir: filepath.Clean(rest)}, nil
	case Etcd, ZK:
		hosts, root, err := parseHosts(rest, kind == Etcd)
		if err != nil {
			return Spec{}, fmt.Errorf("metadata URL %q: %w", url, err)
		}
		return Spec{Kind: kind, Hosts: hosts, Root: root}, nil
	}
	return Spec{}, fmt.Errorf("metadata URL %q: unknown scheme %q (want embedded, etcd or zk)", url, kind)
}

// parseHosts splits "h1:p1,h2:p2/root"; with schemes, entries may be "http://h:p".
func parseHosts(s string, schemes bool) (hosts []string, root string, err error) {
	entries := strings.Split(s, ",")
	last := entries[len(entries)-1]
	scheme := ""
	if i := strings.Index(last, "://"); i >= 0 && schemes {
		scheme, last = last[:i+3], last[i+3:]
	}
	if i := strings.IndexByte(last, '/'); i >= 0 {
		last, root = last[:i], last[i:]
	}
	entries[len(entries)-1] = scheme + last
	for _, e := range entries {
		hostPort := e
		if schemes {
			for _, sch := range []string{"http://", "https://"} {
				hostPort = strings.TrimPrefix(hostPort, sch)
			}
		}
		if strings.Contains(hostPort, "/") {
			return nil, "", fmt.Errorf("host %q: a path is allowed only after the last host", e)
		}
		if h, p, err := net.SplitHostPort(hostPort); err != nil || h == "" || p == "" {
			return nil, "", fmt.Errorf("host %q: want host:port", e)
		}
		hosts = append(hosts, e)
	}
	if root == "/" {
		root = ""
	}
	if root != "" {
		if err := metadata.ValidateKey(root); err != nil {
			return nil, "", err
		}
	}
	return hosts, root, nil
}

// Open opens the store url names; see the package comment. The embedded store is the
// *embedded.Store that owns its database (NewSession gives more sessions).
func Open(ctx context.Context, url, dataDir string) (metadata.Store, error) {
	spec, err := Parse(url, dataDir)
	if err != nil {
		return nil, err
	}
	// Each case returns its own nil on error: a nil *Store in the interface is not nil.
	switch spec.Kind {
	case Embedded:
		s, err := embedded.Open(spec.Dir)
		if err != nil {
			return nil, err
		}
		return s, nil
	case Etcd:
		s, err := etcdstore.Open(ctx, spec.Hosts, etcdstore.Options{Prefix: spec.Root})
		if err != nil {
			return nil, err
		}
		return s, nil
	default:
		s, err := zkstore.Open(ctx, spec.Hosts, zkstore.Options{Chroot: spec.Root})
		if err != nil {
			return nil, err
		}
		return s, nil
	}
}
