package cluster

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/magnetar/magnetar/metadata"
	"github.com/magnetar/magnetar/metadata/connect"
	"github.com/magnetar/magnetar/metadata/testservers"
)

// startTimeout bounds how long any role may take to become ready.
const startTimeout = 30 * time.Second

// Metadata store kinds a cluster can run on.
const (
	etcdKind = "etcd"
	zkKind   = "zk"
)

// startMetadata starts a real etcd or ZooKeeper server for this test and returns the
// metadata URL every role of the cluster is given, rooted under a key prefix of its own.
func startMetadata(t testing.TB, kind string) string {
	t.Helper()
	switch kind {
	case etcdKind:
		return "etcd://" + testservers.StartEtcd(t) + testservers.UniqueRoot(t)
	case zkKind:
		return "zk://" + testservers.StartZooKeeper(t) + testservers.UniqueRoot(t)
	}
	t.Fatalf("unknown metadata kind %q", kind)
	return ""
}

// openStore opens the metadata store at url for the test's own inspection (bookie
// registrations, ledger metadata), as an operator's tool would.
func openStore(t testing.TB, url string) metadata.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	s, err := connect.Open(ctx, url, "")
	if err != nil {
		t.Fatalf("open metadata store %s: %v", url, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// availablePath is where bookies register, one ephemeral key per bookie ("host:port").
const availablePath = "/bookies/available"

// bookieNode is a `magnetar bookie` process.
type bookieNode struct {
	*proc
	port  int
	id    string // the registration's key name, known once registered
	store metadata.Store
}

// startBookie starts a bookie with its own data and journal directories and waits until
// it is registered as available in store.
func startBookie(t testing.TB, store metadata.Store, url, rack string) *bookieNode {
	t.Helper()
	port := freePort(t)
	args := []string{"bookie", "--metadata-url", url, "--bookie-port", fmt.Sprint(port),
		"--advertised-address", "127.0.0.1", "--http-port", fmt.Sprint(freePort(t)),
		"--data-dir", t.TempDir(), "--journal-dir", t.TempDir()}
	if rack != "" {
		args = append(args, "--rack", rack)
	}
	b := &bookieNode{proc: newProc(t, fmt.Sprintf("bookie:%d", port), args...), port: port, store: store}
	b.start(t, true)
	return b
}

// start runs the bookie (again) and waits for its registration. A restarted bookie may
// find the key of its killed predecessor still there until that session expires, so
// only a fresh start may take an existing key as its own; a restart waits for the new
// process to write the key.
func (b *bookieNode) start(t testing.TB, fresh bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	events, err := b.store.Watch(ctx, availablePath)
	if err != nil {
		t.Fatalf("watch %s: %v", availablePath, err)
	}
	first := b.proc.start()
	suffix := fmt.Sprintf(":%d", b.port)
	poll := time.NewTicker(200 * time.Millisecond)
	defer poll.Stop()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("%s: not registered under %s within %v", b.name, availablePath, startTimeout)
			}
			if ev.Type == metadata.EventPut && path.Dir(ev.Key) == availablePath && strings.HasSuffix(ev.Key, suffix) {
				b.id = path.Base(ev.Key)
				b.waitServing(t, first)
				return
			}
		case <-poll.C:
			if !b.running() {
				t.Fatalf("%s exited before registering", b.name)
			}
			if !fresh {
				continue
			}
			names, err := b.store.Children(ctx, availablePath)
			if err != nil {
				continue
			}
			for _, n := range names {
				if strings.HasSuffix(n, suffix) {
					b.id = n
					b.waitServing(t, first)
					return
				}
			}
		}
	}
}

// waitServing waits for the port and the ready line of the run whose output starts at
// line first.
func (b *bookieNode) waitServing(t testing.TB, first int) {
	t.Helper()
	waitPort(t, b.proc, b.port, startTimeout)
	b.waitLine(first, "bookie ready", startTimeout)
}

// restart starts the bookie again on the same port and directories.
func (b *bookieNode) restart(t testing.TB) { b.start(t, false) }

// brokerNode is a `magnetar broker` process.
type brokerNode struct {
	*proc
	port, webPort int
}

// startBroker starts a broker on the metadata store at url with the given broker.conf
// keys (on top of a loopback address) and waits until it serves.
func startBroker(t testing.TB, url string, conf map[string]string) *brokerNode {
	t.Helper()
	return startBrokerOn(t, url, freePort(t), conf)
}

// startBrokerOn is startBroker on a given broker port (a replacement broker on the
// address clients already know).
func startBrokerOn(t testing.TB, url string, port int, conf map[string]string) *brokerNode {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "broker.conf")
	writeConf(t, cfg, conf)
	web := freePort(t)
	b := &brokerNode{port: port, webPort: web}
	b.proc = newProc(t, fmt.Sprintf("broker:%d", port), "broker", "--metadata-url", url,
		"--broker-port", fmt.Sprint(port), "--web-port", fmt.Sprint(web),
		"--data-dir", filepath.Join(dir, "data"), "--config", cfg)
	b.start(t)
	return b
}

// start runs the broker (again) and waits for its port and its ready line.
func (b *brokerNode) start(t testing.TB) {
	t.Helper()
	first := b.proc.start()
	waitPort(t, b.proc, b.port, startTimeout)
	b.waitLine(first, "ready", startTimeout)
}

func (b *brokerNode) serviceURL() string { return fmt.Sprintf("pulsar://127.0.0.1:%d", b.port) }

// writeConf writes a Pulsar-style key=value file; the broker binds and advertises the
// loopback address so that lookups send clients back to it.
func writeConf(t testing.TB, file string, conf map[string]string) {
	t.Helper()
	all := map[string]string{"advertisedAddress": "127.0.0.1", "bindAddress": "127.0.0.1"}
	for k, v := range conf {
		all[k] = v
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&sb, "%s=%s\n", k, all[k])
	}
	if err := os.WriteFile(file, []byte(sb.String()), 0o644); err != nil {
		t.Fatalf("write config: %v", err)
	}
}

// quorum returns the broker.conf keys for ensemble size e, write quorum qw, ack quorum qa.
func quorum(e, qw, qa int) map[string]string {
	return map[string]string{
		"managedLedgerDefaultEnsembleSize": fmt.Sprint(e),
		"managedLedgerDefaultWriteQuorum":  fmt.Sprint(qw),
		"managedLedgerDefaultAckQuorum":    fmt.Sprint(qa),
	}
}

// standaloneNode is a `magnetar standalone` process.
type standaloneNode struct {
	*proc
	port, webPort int
}

// startStandalone starts `magnetar standalone` on dataDir and waits until it serves.
func startStandalone(t testing.TB, dataDir string) *standaloneNode {
	t.Helper()
	s := &standaloneNode{port: freePort(t), webPort: freePort(t)}
	s.proc = newProc(t, fmt.Sprintf("standalone:%d", s.port), "standalone", "--data-dir", dataDir,
		"--broker-port", fmt.Sprint(s.port), "--web-port", fmt.Sprint(s.webPort))
	s.start(t)
	return s
}

// start runs standalone (again, on the same ports and data) and waits until it serves.
func (s *standaloneNode) start(t testing.TB) {
	t.Helper()
	first := s.proc.start()
	waitPort(t, s.proc, s.port, startTimeout)
	s.waitLine(first, "ready", startTimeout)
}

func (s *standaloneNode) serviceURL() string { return fmt.Sprintf("pulsar://127.0.0.1:%d", s.port) }
