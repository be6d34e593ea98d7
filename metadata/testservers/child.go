package testservers

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// ChildEnv is set in a child process started by StartChild; a test that finds it set
// plays the child's part.
const ChildEnv = "MAGNETAR_TEST_CHILD"

// Child is a second copy of the test binary running one test: a separate process that
// can be killed with SIGKILL, as a crashed broker or bookie would die.
type Child struct {
	cmd *exec.Cmd
}

// StartChild runs the test named test (the caller's own, typically) in a new process
// with ChildEnv and env set, and waits until it calls Ready. The child is killed when the
// test ends at the latest.
func StartChild(t testing.TB, test string, env ...string) *Child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1", "-test.timeout=2m")
	cmd.Env = append(append(os.Environ(), ChildEnv+"=1"), env...)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = dieWithParent()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child %s: %v", test, err)
	}
	c := &Child{cmd: cmd}
	t.Cleanup(c.Kill)
	ready := make(chan error, 1)
	go func() {
		r := bufio.NewReader(out)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				ready <- fmt.Errorf("child exited before it was ready: %w", err)
				return
			}
			if strings.TrimSpace(line) == "child ready" {
				ready <- nil
				// Keep draining so the child never blocks on a full pipe.
				_, _ = r.WriteTo(discard{})
				return
			}
		}
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatalf("child %s: %v", test, err)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("child %s not ready after 60s", test)
	}
	return c
}

// IsChild reports whether this process is a child started by StartChild.
func IsChild() bool { return os.Getenv(ChildEnv) != "" }

// Ready tells the parent the child has done its setup, then blocks until the parent
// kills it (or exits after two minutes, if it never does).
func Ready() {
	fmt.Println("child ready")
	time.Sleep(2 * time.Minute)
	os.Exit(3)
}

// Kill ends the child with SIGKILL: no deferred code, no Close, no goodbye to servers.
func (c *Child) Kill() {
	if c.cmd.ProcessState != nil {
		return
	}
	_ = c.cmd.Process.Kill()
	_ = c.cmd.Wait()
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }
