package standalone

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

// process is `magnetar standalone` running as a child process.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{}
	mu     sync.Mutex
	log    strings.Builder
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startProcess runs the binary and waits for its ready line.
func startProcess(t *testing.T, bin, dir string, brokerPort, webPort int) *process {
	t.Helper()
	p := &process{exited: make(chan struct{})}
	p.cmd = exec.Command(bin, "standalone", "--data-dir", dir,
		"--broker-port", strconv.Itoa(brokerPort), "--web-port", strconv.Itoa(webPort))
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = p.cmd.Stdout
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		once := sync.Once{}
		for sc.Scan() {
			p.mu.Lock()
			p.log.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if strings.Contains(sc.Text(), "standalone ready") {
				once.Do(func() { close(ready) })
			}
		}
	}()
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() { p.kill9() })
	select {
	case <-ready:
	case <-p.exited:
		t.Fatalf("standalone exited before ready:\n%s", p.output())
	case <-time.After(30 * time.Second):
		t.Fatalf("standalone not ready after 30s:\n%s", p.output())
	}
	return p
}

func (p *process) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

func (p *process) kill9() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// TestKill9KeepsAcknowledgedMessages builds the magnetar binary, produces with acks to
// `magnetar standalone`, kills it with SIGKILL in the middle of the stream, restarts it
// and checks that every acknowledged message is there, in order.
func TestKill9KeepsAcknowledgedMessages(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "magnetar")
	build := exec.Command("go", "build", "-o", bin, "../cmd/magnetar")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dir := filepath.Join(t.TempDir(), "data")
	brokerPort, webPort := freePort(t), freePort(t)
	proc := startProcess(t, bin, dir, brokerPort, webPort)
	url := fmt.Sprintf("pulsar://127.0.0.1:%d", brokerPort)

	c, err := pulsar.NewClient(pulsar.ClientOptions{URL: url, OperationTimeout: 5 * time.Second, Logger: clientLogger()})
	if err != nil {
		t.Fatal(err)
	}
	topic := uniqueTopic("kill9")
	prod, err := c.CreateProducer(pulsar.ProducerOptions{Topic: topic, BatchingMaxPublishDelay: time.Millisecond,
		SendTimeout: 3 * time.Second, MaxPendingMessages: 500})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var acked []int
	var nAcked atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sent := 0
	for ; sent < 200000 && nAcked.Load() < 3000; sent++ {
		i := sent
		prod.SendAsync(ctx, &pulsar.ProducerMessage{Payload: []byte(strconv.Itoa(i))},
			func(_ pulsar.MessageID, _ *pulsar.ProducerMessage, err error) {
				if err == nil {
					mu.Lock()
					acked = append(acked, i)
					mu.Unlock()
					nAcked.Add(1)
				}
			})
	}
	proc.kill9() // while sends are in flight
	mu.Lock()
	ackedAtKill := append([]int(nil), acked...)
	mu.Unlock()
	cancel()
	c.Close()
	if len(ackedAtKill) == 0 {
		t.Fatal("nothing was acknowledged before the kill")
	}

	startProcess(t, bin, dir, brokerPort, webPort)
	c2, err := pulsar.NewClient(pulsar.ClientOptions{URL: url, Logger: clientLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	r, err := c2.CreateReader(pulsar.ReaderOptions{Topic: topic, StartMessageID: pulsar.EarliestMessageID()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var stored []int
	rctx, rcancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer rcancel()
	for r.HasNext() {
		m, err := r.Next(rctx)
		if err != nil {
			t.Fatalf("read after restart: %v", err)
		}
		v, _ := strconv.Atoi(string(m.Payload()))
		stored = append(stored, v)
	}
	for i := 1; i < len(stored); i++ {
		if stored[i] <= stored[i-1] {
			t.Fatalf("stored messages out of order or duplicated at %d: %d after %d", i, stored[i], stored[i-1])
		}
	}
	have := map[int]bool{}
	for _, v := range stored {
		have[v] = true
	}
	for _, v := range ackedAtKill {
		if !have[v] {
			t.Fatalf("message %d was acknowledged before kill -9 but is missing after restart (%d stored, %d acked)",
				v, len(stored), len(ackedAtKill))
		}
	}
	t.Logf("sent %d, acknowledged %d before kill -9, %d stored after restart", sent, len(ackedAtKill), len(stored))
}
