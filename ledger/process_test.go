package ledger

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/magnetar/magnetar/bookie"
	"github.com/magnetar/magnetar/bookie/bkproto"
	"github.com/magnetar/magnetar/metadata/connect"
	"github.com/magnetar/magnetar/metadata/testservers"
)

// bookieProc is a `magnetar bookie` process.
type bookieProc struct {
	id  string
	cmd *exec.Cmd

	mu  sync.Mutex
	out strings.Builder
}

func (p *bookieProc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// buildMagnetar builds the magnetar binary into a temporary directory.
func buildMagnetar(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "magnetar")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/magnetar/magnetar/cmd/magnetar").CombinedOutput()
	if err != nil {
		t.Fatalf("build magnetar: %v\n%s", err, out)
	}
	return bin
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

// startBookieProc starts `magnetar bookie` and waits for its ready line.
func startBookieProc(t *testing.T, bin, metadataURL, rack string) *bookieProc {
	t.Helper()
	port := freeLoopbackPort(t)
	p := &bookieProc{id: "127.0.0.1:" + strconv.Itoa(port)}
	p.cmd = exec.Command(bin, "bookie", "--bookie-port", strconv.Itoa(port), "--data-dir", t.TempDir(),
		"--advertised-address", "127.0.0.1", "--metadata-url", metadataURL, "--rack", rack)
	pr, pw := io.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill() })
	ready, exited := make(chan struct{}), make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		var once sync.Once
		for sc.Scan() {
			p.mu.Lock()
			p.out.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if strings.Contains(sc.Text(), "bookie ready") {
				once.Do(func() { close(ready) })
			}
		}
	}()
	go func() { exited <- p.cmd.Wait(); pw.Close() }()
	select {
	case <-ready:
	case err := <-exited:
		t.Fatalf("bookie exited before ready: %v\n%s", err, p.log())
	case <-time.After(20 * time.Second):
		t.Fatalf("bookie not ready after 20s\n%s", p.log())
	}
	return p
}

// Four `magnetar bookie` processes on etcd; one of the ledger's ensemble is killed with
// SIGKILL while a producer writes. Writes go on after an ensemble change, and another
// client's recovery finds every acknowledged entry, in order.
func TestProcessBookieKill9WhileWriting(t *testing.T) {
	bin := buildMagnetar(t)
	etcd := testservers.StartEtcd(t)
	url := fmt.Sprintf("etcd://%s/ledger-kill9-%d", etcd, time.Now().UnixNano())
	procs := map[string]*bookieProc{}
	for i := range 4 {
		p := startBookieProc(t, bin, url, fmt.Sprintf("/r%d", i%2))
		procs[p.id] = p
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
	if err := procs[victim].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
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
