package bookiecmd_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/magnetar/magnetar/bookie"
	"github.com/magnetar/magnetar/bookie/bkproto"
)

// buildMagnetar builds the magnetar binary once per test run.
func buildMagnetar(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "magnetar")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/magnetar/magnetar/cmd/magnetar").CombinedOutput()
	if err != nil {
		t.Fatalf("build magnetar: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// proc is a running `magnetar bookie`.
type proc struct {
	cmd      *exec.Cmd
	httpAddr string // from the ready line
	output   *bytes.Buffer
	mu       *sync.Mutex
	exited   chan error
}

// startBookie starts the process and waits for its ready line.
func startBookie(t *testing.T, bin, dataDir string, port int) *proc {
	t.Helper()
	cmd := exec.Command(bin, "bookie", "--bookie-port", strconv.Itoa(port), "--data-dir", dataDir, "--advertised-address", "127.0.0.1", "--http-port", "0")
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, output: &bytes.Buffer{}, mu: &sync.Mutex{}, exited: make(chan error, 1)}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		once := sync.Once{}
		for sc.Scan() {
			p.mu.Lock()
			p.output.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if line := sc.Text(); strings.Contains(line, "bookie ready") {
				once.Do(func() {
					if _, rest, ok := strings.Cut(line, " http="); ok {
						p.httpAddr, _, _ = strings.Cut(rest, " ")
					}
					close(ready)
				})
			}
		}
	}()
	go func() { err := cmd.Wait(); pw.Close(); p.exited <- err }()
	t.Cleanup(func() { cmd.Process.Kill() })
	select {
	case <-ready:
	case err := <-p.exited:
		t.Fatalf("bookie exited before ready: %v\n%s", err, p.log())
	case <-time.After(20 * time.Second):
		t.Fatalf("bookie not ready after 20s\n%s", p.log())
	}
	return p
}

func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.output.String()
}

var key = []byte("kill-test")

func entryData(l, e int64) []byte {
	b := make([]byte, 1024)
	copy(b, fmt.Sprintf("ledger %d entry %d|", l, e))
	for i := 32; i < len(b); i++ {
		b[i] = byte(int64(i)*13 + l*7 + e)
	}
	return b
}

// TestKill9KeepsAckedEntries writes through the TCP protocol with acks, kills the bookie
// process with SIGKILL in the middle of the writes, restarts it from its data dir and
// reads back every entry that was acknowledged.
func TestKill9KeepsAckedEntries(t *testing.T) {
	bin := buildMagnetar(t)
	dataDir := t.TempDir()
	port := freePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	p := startBookie(t, bin, dataDir, port)

	c, err := bkproto.Dial(addr, bkproto.WithAddTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	acked := map[[2]int64]bool{}
	var sent sync.WaitGroup
	stop := make(chan struct{})
	const ledgers, window = 4, 4
	for l := int64(1); l <= ledgers; l++ {
		sent.Add(1)
		go func() {
			defer sent.Done()
			slots := make(chan struct{}, window)
			for e := int64(0); ; e++ {
				select {
				case <-stop:
					for range window { // wait for the adds in flight
						slots <- struct{}{}
					}
					return
				case slots <- struct{}{}:
				}
				c.AddEntry(&bookie.AddRequest{LedgerID: l, EntryID: e, LastAddConfirmed: e - window, MasterKey: key, Data: entryData(l, e)}, func(err error) {
					if err == nil {
						mu.Lock()
						acked[[2]int64{l, e}] = true
						mu.Unlock()
					}
					<-slots
				})
			}
		}()
	}
	// Let a good number of adds through, and at least two flushes (1s apart) move
	// entries to the entry logs and the checkpoint forward, then kill while adds keep
	// coming: the restart reads from entry logs and replays the journal's tail.
	start := time.Now()
	deadline := start.Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 3000 && time.Since(start) > 2500*time.Millisecond || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.exited
	close(stop)
	sent.Wait()
	c.Close()
	mu.Lock()
	total := len(acked)
	mu.Unlock()
	if total < 100 {
		t.Fatalf("only %d adds acknowledged before the kill", total)
	}

	p2 := startBookie(t, bin, dataDir, port)
	c2, err := bkproto.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	ctx := context.Background()
	keys := make(chan [2]int64, 1024)
	var missing []string
	var readers sync.WaitGroup
	for range 16 { // reads pipelined on the one connection
		readers.Add(1)
		go func() {
			defer readers.Done()
			for k := range keys {
				res, err := c2.ReadEntry(ctx, k[0], k[1], 0, nil)
				if err == nil && !bytes.Equal(res.Data, entryData(k[0], k[1])) {
					err = errors.New("corrupt")
				}
				if err != nil {
					mu.Lock()
					missing = append(missing, fmt.Sprintf("%d/%d: %v", k[0], k[1], err))
					mu.Unlock()
				}
			}
		}()
	}
	for k := range acked {
		keys <- k
	}
	close(keys)
	readers.Wait()
	if len(missing) > 0 {
		t.Fatalf("%d acked entries lost or corrupt after kill -9, e.g. %v\nlog after restart:\n%s", len(missing), missing[:min(len(missing), 10)], p2.log())
	}
	t.Logf("%d acknowledged entries all read back after kill -9 and restart", total)
	for _, line := range strings.Split(p2.log(), "\n") {
		if strings.Contains(line, "journal") {
			t.Log(line)
		}
	}

	// The HTTP port serves the heartbeat and the metrics, under BookKeeper's names.
	_, port2, _ := net.SplitHostPort(p2.httpAddr)
	for path, want := range map[string]string{"/heartbeat": "OK", "/metrics": "bookie_SERVER_STATUS 1"} {
		resp, err := http.Get("http://127.0.0.1:" + port2 + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Fatalf("GET %s: %d, body lacks %q", path, resp.StatusCode, want)
		}
	}

	// A clean stop: SIGTERM, exit status 0.
	if err := p2.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p2.exited:
		var ee *exec.ExitError
		if errors.As(err, &ee) || err != nil {
			t.Fatalf("bookie exit after SIGTERM: %v\n%s", err, p2.log())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("bookie did not stop within 15s of SIGTERM")
	}
	if !strings.Contains(p2.log(), "bookie stopped") {
		t.Fatalf("no clean stop in the log:\n%s", p2.log())
	}
}
