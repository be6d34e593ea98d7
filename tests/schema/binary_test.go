package schemae2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binaries are the magnetar executable and the COVID-19 example's producer and consumer,
// built once, on first use, from this checkout (MAGNETAR_BINARY names a prebuilt magnetar;
// the example is always built).
var binaries struct {
	once                         sync.Once
	dir                          string
	magnetar, producer, consumer string
	err                          error
}

// repoRoot is the module's root, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller information")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func buildBinaries(t *testing.T) (magnetar, producer, consumer string) {
	t.Helper()
	b := &binaries
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "magnetar-schema-"); b.err != nil {
			return
		}
		pkgs := []string{"./examples/covid19/producer", "./examples/covid19/consumer"}
		b.magnetar = os.Getenv("MAGNETAR_BINARY")
		if b.magnetar == "" {
			pkgs = append(pkgs, "./cmd/magnetar")
			b.magnetar = filepath.Join(b.dir, "magnetar")
		}
		cmd := exec.Command("go", append([]string{"build", "-o", b.dir + "/"}, pkgs...)...)
		cmd.Dir = repoRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build %s: %v\n%s", strings.Join(pkgs, " "), err, out)
		}
		b.producer, b.consumer = filepath.Join(b.dir, "producer"), filepath.Join(b.dir, "consumer")
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.magnetar, b.producer, b.consumer
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binaries.dir != "" {
		os.RemoveAll(binaries.dir)
	}
	os.Exit(code)
}

// standaloneProc is `magnetar standalone` as its own process on free loopback ports.
type standaloneProc struct {
	brokerURL, webURL string
}

func startStandaloneProc(t *testing.T, magnetar string) *standaloneProc {
	t.Helper()
	brokerPort, webPort := freePort(t), freePort(t)
	cmd := exec.Command(magnetar, "standalone", "--data-dir", t.TempDir(),
		"--broker-port", fmt.Sprint(brokerPort), "--web-port", fmt.Sprint(webPort))
	cmd.SysProcAttr = dieWithParent()
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start magnetar standalone: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("magnetar standalone exited with %v on SIGTERM", err)
			}
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Error("magnetar standalone did not stop within 30s of SIGTERM")
		}
		if t.Failed() {
			t.Logf("--- magnetar standalone output:\n%s", out.String())
		}
	})
	p := &standaloneProc{
		brokerURL: fmt.Sprintf("pulsar://127.0.0.1:%d", brokerPort),
		webURL:    fmt.Sprintf("http://127.0.0.1:%d", webPort),
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.webURL + "/admin/v2/clusters")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("magnetar standalone exited before serving: %v\n%s", err, out.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("magnetar standalone not serving %s after 30s:\n%s", p.webURL, out.String())
		}
	}
}

// run runs a binary to completion and returns its stdout, its stderr and its error.
func run(t *testing.T, timeout time.Duration, name string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = repoRoot(t)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		err = errors.Join(err, fmt.Errorf("timed out after %v", timeout))
	}
	return stdout.String(), stderr.String(), err
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// syncBuffer is a bytes.Buffer a process may write while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
