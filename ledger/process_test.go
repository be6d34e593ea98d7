package ledger

import (
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/magnetar/magnetar/bookie"
	"github.com/magnetar/magnetar/bookie/bkproto"
	"github.com/magnetar/magnetar/bookie/bookiecmd"
	"github.com/magnetar/magnetar/metadata/connect"
	"github.com/magnetar/magnetar/metadata/testservers"
)

// Bookie processes for the kill -9 test are copies of this test binary running the
// `magnetar bookie` command's Run (bookiecmd.Run), so the test depends on the bookie
// packages only, not on every package of the binary building.
const childBookieEnv = "MAGNETAR_LEDGER_TEST_BOOKIE" // "port|dataDir|metadataURL|rack"

func TestMain(m *testing.M) {
	if spec := os.Getenv(childBookieEnv); spec != "" && testservers.IsChild() {
		runChildBookie(spec)
		return
	}
	os.Exit(m.Run())
}

// runChildBookie runs a bookie and reports ready once it answers on its port; the parent
// kills the process.
func runChildBookie(spec string) {
	f := strings.Split(spec, "|")
	port, _ := strconv.Atoi(f[0])
	go func() {
		err := bookiecmd.Run(context.Background(), bookiecmd.Options{
			Port: port, DataDir: f[1], MetadataURL: f[2], Rack: f[3], AdvertisedAddress: "127.0.0.1",
		})
		fmt.Fprintln(os.Stderr, "bookie exited:", err)
		os.Exit(1)
	}()
	addr := net.JoinHostPort("127.0.0.1", f[0])
	for {
		if c, err := bkproto.Dial(addr, bkproto.WithDialTimeout(time.Second)); err == nil {
			c.Close()
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	testservers.Ready()
}

func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startBookieProc starts a bookie process and returns its id and handle.
func startBookieProc(t *testing.T, metadataURL, rack string) (string, *testservers.Child) {
	t.Helper()
	port := freeLoopbackPort(t)
	spec := strings.Join([]string{strconv.Itoa(port), t.TempDir(), metadataURL, rack}, "|")
	child := testservers.StartChild(t, t.Name(), childBookieEnv+"="+spec)
	return "127.0.0.1:" + strconv.Itoa(port), child
}

// Four bookie processes on etcd; one of the ledger's ensemble is killed with SIGKILL
// while a producer writes. Writes go on after an ensemble change, and another
// client's recovery finds every acknowledged entry, in order.
func TestProcessBookieKill9WhileWriting(t *testing.T) {
	etcd := testservers.StartEtcd(t)
	url := fmt.Sprintf("etcd://%s/ledger-kill9-%d", etcd, time.Now().UnixNano())
	procs := map[string]*testservers.Child{}
	for i := range 4 {
		id, child := startBookieProc(t, url, fmt.Sprintf("/r%d", i%2))
		procs[id] = child
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	store, err := connect.Open(ctx, url, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	dial := func(id string) (bookie.Client, error) { return bkproto.Dial(id, bkproto.WithDialTimeout(time.Second)) }
	cl, err := NewClient(Config{Store: store, Dial: dial, AddTimeoutMs: 2000})
	if err != nil {
		t.Fatal(err)
	}
	w, err := cl.Create(ctx, opts323)
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := readMeta(ctx, store, w.ID())
	if err != nil {
		t.Fatal(err)
	}
	victim := m.Ensembles[0].Bookies[2]

	p := startProducer(w, 64)
	p.waitAcked(t, 300)
	procs[victim].Kill()
	killedAt := w.LastAddConfirmed()
	p.waitAcked(t, killedAt+1000)
	acked := p.finish(t)
	for i, err := range p.a.errs {
		if err != nil {
			t.Fatalf("append %d failed: %v", p.a.ids[i], err)
		}
	}
	if m, _, err = readMeta(ctx, store, w.ID()); err != nil {
		t.Fatal(err)
	}
	if len(m.Ensembles) != 2 || slices.Contains(m.Ensembles[1].Bookies, victim) {
		t.Fatalf("fragments %+v after killing %s", m.Ensembles, victim)
	}

	other, err := NewClient(Config{Store: store, Dial: dial, AddTimeoutMs: 2000})
	if err != nil {
		t.Fatal(err)
	}
	r, err := other.Open(ctx, w.ID(), true, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	if r.LastAddConfirmed() != int64(len(acked))-1 {
		t.Fatalf("recovered up to %d, acknowledged %d", r.LastAddConfirmed(), len(acked))
	}
	checkEntries(t, r, w.ID(), 0, r.LastAddConfirmed())
}
