// Package integration drives the magnetar binary as a user would: it builds ./cmd/magnetar
// once, starts real processes on free loopback ports, and talks to them with the official
// Pulsar Go client and Magnetar's own CLIs.
package integration

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "magnetar-it-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "magnetar")
	build := exec.Command("go", "build", "-o", binary, "../../cmd/magnetar")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build magnetar:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// standalone is a running `magnetar standalone` process.
type standalone struct {
	t          *testing.T
	cmd        *exec.Cmd
	dataDir    string
	brokerPort int
	webPort    int
	readyAfter time.Duration
	readyLine  string
	mu         sync.Mutex
	log        strings.Builder
	exited     chan struct{}
	exitErr    error
	extraArgs  []string
}

func (s *standalone) ServiceURL() string { return fmt.Sprintf("pulsar://127.0.0.1:%d", s.brokerPort) }
func (s *standalone) WebURL() string     { return fmt.Sprintf("http://127.0.0.1:%d", s.webPort) }

// startStandalone starts magnetar standalone on fresh ports with dataDir and waits for its
// ready line. The process is killed when the test ends.
func startStandalone(t *testing.T, dataDir string, args ...string) *standalone {
	t.Helper()
	s := &standalone{t: t, dataDir: dataDir, brokerPort: freePort(t), webPort: freePort(t), extraArgs: args}
	s.start()
	return s
}

func (s *standalone) start() {
	t := s.t
	t.Helper()
	args := append([]string{"standalone", "--data-dir", s.dataDir,
		"--broker-port", fmt.Sprint(s.brokerPort), "--web-port", fmt.Sprint(s.webPort)}, s.extraArgs...)
	s.cmd = exec.Command(binary, args...)
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stderr = s.cmd.Stdout
	s.exited = make(chan struct{})
	began := time.Now()
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start standalone: %v", err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.log.WriteString(line + "\n")
			s.mu.Unlock()
			if strings.Contains(line, "ready") {
				select {
				case ready <- line:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	go func() { s.exitErr = s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		<-s.exited
		if t.Failed() {
			t.Logf("standalone log:\n%s", s.Log())
		}
	})
	select {
	case line := <-ready:
		s.readyAfter, s.readyLine = time.Since(began), line
	case <-s.exited:
		t.Fatalf("standalone exited before ready (%v):\n%s", s.exitErr, s.Log())
	case <-time.After(30 * time.Second):
		t.Fatalf("standalone not ready after 30s:\n%s", s.Log())
	}
}

// Log returns everything the process printed so far.
func (s *standalone) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// kill9 kills the process with SIGKILL and waits for it to die.
func (s *standalone) kill9() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
}

// restart starts a new process on the same ports and data directory.
func (s *standalone) restart() { s.start() }

// run runs a magnetar CLI command and returns its combined output.
func run(t *testing.T, ctx context.Context, args ...string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(ctx, binary, args...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
