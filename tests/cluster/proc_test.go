package cluster

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proc is one Magnetar role run as its own OS process. It can be started again with the
// same arguments after it died (a restart from the same data directory), and keeps the
// output of every run so that a failing test can show it.
type proc struct {
	t    testing.TB
	name string
	args []string

	mu      sync.Mutex
	runs    int
	lines   []string      // output of every run, prefixed with the run number
	changed chan struct{} // closed and replaced whenever lines grows
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the current run has exited
	exitErr error
}

// newProc prepares `magnetar args...`; start runs it. The process is killed when the
// test ends, and its output is logged if the test failed.
func newProc(t testing.TB, name string, args ...string) *proc {
	p := &proc{t: t, name: name, args: args, changed: make(chan struct{})}
	t.Cleanup(func() {
		p.kill9()
		if t.Failed() {
			t.Logf("--- output of %s (%s):\n%s", p.name, strings.Join(p.args, " "), p.output())
		}
	})
	return p
}

// start runs the process once more and returns the index of its first output line, from
// which waitLine looks for readiness.
func (p *proc) start() int {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && !isClosed(p.exited) {
		p.t.Fatalf("%s: start while still running", p.name)
	}
	p.runs++
	run := p.runs
	cmd := exec.Command(binary, p.args...)
	cmd.SysProcAttr = dieWithParent()
	out, err := cmd.StdoutPipe()
	if err != nil {
		p.t.Fatalf("%s: %v", p.name, err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", p.name, err)
	}
	exited := make(chan struct{})
	p.cmd, p.exited, p.exitErr = cmd, exited, nil
	first := len(p.lines)
	p.appendLocked(fmt.Sprintf("[run %d] $ magnetar %s", run, strings.Join(p.args, " ")))

	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.appendLocked(fmt.Sprintf("[run %d] %s", run, sc.Text()))
			p.mu.Unlock()
		}
	}()
	go func() {
		<-copied // Wait must not close the pipe before the output is read
		err := cmd.Wait()
		p.mu.Lock()
		p.exitErr = err
		p.appendLocked(fmt.Sprintf("[run %d] exited: %v", run, err))
		p.mu.Unlock()
		close(exited)
	}()
	return first
}

func (p *proc) appendLocked(line string) {
	p.lines = append(p.lines, line)
	close(p.changed)
	p.changed = make(chan struct{})
}

// output returns everything every run printed.
func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// waitLine waits until a line at index from or later contains substr (case-insensitive)
// and fails the test if the process exits first or timeout passes (the process's output
// is logged by the cleanup of a failed test).
func (p *proc) waitLine(from int, substr string, timeout time.Duration) {
	p.t.Helper()
	substr = strings.ToLower(substr)
	deadline := time.After(timeout)
	for {
		p.mu.Lock()
		for _, l := range p.lines[from:] {
			if strings.Contains(strings.ToLower(l), substr) {
				p.mu.Unlock()
				return
			}
		}
		changed, exited := p.changed, p.exited
		p.mu.Unlock()
		select {
		case <-changed:
		case <-exited:
			p.t.Fatalf("%s exited before printing %q", p.name, substr)
		case <-deadline:
			p.t.Fatalf("%s did not print %q within %v", p.name, substr, timeout)
		}
	}
}

// running reports whether the current run is alive.
func (p *proc) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil && !isClosed(p.exited)
}

// kill9 kills the process with SIGKILL (no shutdown code runs) and waits for it to die.
func (p *proc) kill9() {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
}

// stop asks the process to shut down (SIGTERM) and kills it if it has not exited within
// grace. It reports whether the process exited by itself.
func (p *proc) stop(grace time.Duration) bool {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	if cmd == nil || isClosed(exited) {
		return true
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		return true
	case <-time.After(grace):
		p.kill9()
		return false
	}
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitPort waits until something accepts TCP connections on the loopback port, failing
// the test if p exits first or timeout passes.
func waitPort(t testing.TB, p *proc, port int, timeout time.Duration) {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if !p.running() {
			t.Fatalf("%s exited before listening on %s", p.name, addr)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not listening on %s after %v: %v", p.name, addr, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
