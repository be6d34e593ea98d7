package integration

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStandaloneStartsAndStops checks the promises of `magnetar standalone`: one ready line,
// both ports serving, ready in well under a second on an empty and on an existing data dir,
// and SIGTERM exits 0.
func TestStandaloneStartsAndStops(t *testing.T) {
	dir := t.TempDir()
	s := startStandalone(t, dir)
	t.Logf("first start ready after %v: %s", s.readyAfter, s.readyLine)
	if s.readyAfter > time.Second {
		t.Errorf("standalone took %v to be ready on an empty data dir; want < 1s", s.readyAfter)
	}
	resp, err := http.Get(s.WebURL() + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: status %d", resp.StatusCode)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := run(t, ctx, "client", "--url", s.ServiceURL(), "produce", "start-stop", "-m", "hello"); err != nil {
		t.Fatalf("produce: %v\n%s", err, out)
	}

	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		t.Fatal("standalone did not exit within 15s of SIGTERM")
	}
	if s.exitErr != nil {
		t.Fatalf("standalone exit after SIGTERM: %v; want status 0\n%s", s.exitErr, s.Log())
	}
	if n := strings.Count(s.Log(), "ready"); n != 1 {
		t.Errorf("standalone printed %d ready lines; want 1", n)
	}

	s.restart()
	t.Logf("restart ready after %v", s.readyAfter)
	if s.readyAfter > time.Second {
		t.Errorf("standalone took %v to be ready on an existing data dir; want < 1s", s.readyAfter)
	}
}

// TestClientCLIRoundTrip produces and consumes with `magnetar client` as a user would.
func TestClientCLIRoundTrip(t *testing.T) {
	s := startStandalone(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	type result struct {
		out string
		err error
	}
	consumed := make(chan result, 1)
	go func() {
		out, err := run(t, ctx, "client", "--url", s.ServiceURL(), "consume", "cli-topic",
			"-s", "cli-sub", "-p", "Earliest", "-n", "4")
		consumed <- result{out, err}
	}()
	out, err := run(t, ctx, "client", "--url", s.ServiceURL(), "produce", "cli-topic",
		"-m", "first", "-m", "second", "-n", "2", "-k", "k1")
	if err != nil {
		t.Fatalf("produce: %v\n%s", err, out)
	}
	if !strings.Contains(out, "4 messages successfully produced") {
		t.Fatalf("produce output %q; want 4 messages produced", out)
	}
	r := <-consumed
	if r.err != nil {
		t.Fatalf("consume: %v\n%s", r.err, r.out)
	}
	want := []string{"content:first", "content:second", "content:first", "content:second"}
	got := regexp.MustCompile(`content:\w+`).FindAllString(r.out, -1)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("consumed %v; want %v in order\n%s", got, want, r.out)
	}
	if !strings.Contains(r.out, "key:[k1]") {
		t.Errorf("consume output lacks the key k1:\n%s", r.out)
	}
}

// TestPerfProduce runs a short `magnetar perf produce` and checks it reports real figures.
func TestPerfProduce(t *testing.T) {
	s := startStandalone(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	hist := filepath.Join(t.TempDir(), "latency.hgrm")
	out, err := run(t, ctx, "perf", "produce", "perf-topic", "-u", s.ServiceURL(), "-m", "20000", "-d", "0", "-s", "1024",
		"--histogram-file", hist)
	if err != nil {
		t.Fatalf("perf produce: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`produce: (\d+) msgs .* errors (\d+); latency ms p50 ([\d.]+) .* p99 ([\d.]+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("perf output has no summary line:\n%s", out)
	}
	if n, _ := strconv.Atoi(m[1]); n != 20000 {
		t.Errorf("perf acknowledged %d messages; want 20000", n)
	}
	if m[2] != "0" {
		t.Errorf("perf reported %s errors", m[2])
	}
	if p50, _ := strconv.ParseFloat(m[3], 64); p50 <= 0 {
		t.Errorf("p50 latency %s; want > 0", m[3])
	}
	t.Log(strings.TrimSpace(out))
	h, err := os.ReadFile(hist)
	if err != nil || !strings.Contains(string(h), "TotalCount = 20000") {
		t.Errorf("histogram file: %v\n%s", err, h)
	}
}
