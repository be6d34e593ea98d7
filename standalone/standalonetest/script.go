package standalonetest

import (
	"bytes"
	"context"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// Command prepares a client program of the current directory (run.sh and the like) in a
// process group of its own, so that its children (Maven, the JVM, pip, Python) die with
// it when ctx ends.
func Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// RunScript runs name with args to completion within limit, logs its standard output and
// returns it; a failure fails the test with the tail of its standard error (the clients'
// logs go there).
func RunScript(t testing.TB, limit time.Duration, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := Command(ctx, name, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	t.Logf("%s %v ran %v:\n%s", name, args, time.Since(start).Round(time.Millisecond), out.String())
	if err != nil {
		t.Fatalf("%s %v: %v\nstderr:\n%s", name, args, err, Tail(errOut.String(), 6000))
	}
	return out.String()
}

// Tail is the last n bytes of s, marked as cut when it is.
func Tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
