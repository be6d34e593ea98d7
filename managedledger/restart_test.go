package managedledger_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	ml "github.com/magnetar/magnetar/managedledger"
	"github.com/magnetar/magnetar/managedledger/mltest"
)

func TestRestartKeepsEntriesAndCursors(t *testing.T) {
	dir := t.TempDir()
	const name = "public/default/persistent/restart"
	cfg := ml.Config{MaxEntriesPerLedger: 7}
	s := mltest.NewStack(t, dir, 1)
	m := openML(t, s, name, cfg)
	a, err := m.OpenCursor(testCtx(t), "a", ml.Earliest)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.OpenCursor(testCtx(t), "b", ml.Earliest); err != nil {
		t.Fatal(err)
	}
	pos := addAll(t, m, 0, 25)
	if err := a.MarkDelete(pos[9]); err != nil {
		t.Fatal(err)
	}
	if err := a.Delete(pos[12], pos[13], pos[20]); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = mltest.NewStack(t, dir, 1)
	m = openML(t, s, name, cfg)
	if got := m.LastConfirmed(); got != pos[24] {
		t.Errorf("LastConfirmed after restart = %v, want %v", got, pos[24])
	}
	cs := m.Cursors()
	if len(cs) != 2 || cs[0].Name() != "a" || cs[1].Name() != "b" {
		t.Fatalf("cursors after restart: %v", cs)
	}
	a, b := cs[0], cs[1]
	if a.MarkDeleted() != pos[9] || a.Backlog() != 12 {
		t.Errorf("cursor a: mark-delete %v backlog %d, want %v and 12", a.MarkDeleted(), a.Backlog(), pos[9])
	}
	for _, i := range []int{12, 13, 20} {
		if !a.IsAcked(pos[i]) {
			t.Errorf("entry %d lost its acknowledgement", i)
		}
	}
	wantPayloads(t, readAll(t, b), 0, 25)
	got := payloadsOf(readAll(t, a))
	var want []string
	for i := 10; i < 25; i++ {
		if i != 12 && i != 13 && i != 20 {
			want = append(want, string(payload(i)))
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("cursor a read %v, want %v", got, want)
	}
	// The log continues after the old entries.
	more := addAll(t, m, 25, 3)
	if more[0].Compare(pos[24]) <= 0 {
		t.Errorf("new entry at %v, not after %v", more[0], pos[24])
	}
	wantPayloads(t, readAll(t, b), 25, 28)
}

// crashResult is what the crash helper process reports before it is killed.
type crashResult struct {
	Pos []ml.Position
}

const crashEnv = "MLTEST_CRASH_DIR"

// TestCrashKeepsAcknowledgedEntries runs a helper process that writes, acknowledges, and
// is killed with SIGKILL (no Close, no flush), then reopens the stack from its
// directories: every add that was acknowledged is there, in order, and the cursor is at
// its last persisted state (a later acknowledgement is lost, so those entries come again).
func TestCrashKeepsAcknowledgedEntries(t *testing.T) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashHelper(dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashKeepsAcknowledgedEntries$")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var res crashResult
	sc := bufio.NewScanner(out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
			if err := json.Unmarshal([]byte(line), &res); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if len(res.Pos) != 30 {
		t.Fatalf("helper reported %d positions, want 30", len(res.Pos))
	}
	pos := res.Pos

	s := mltest.NewStack(t, dir, 1)
	m := openML(t, s, "public/default/persistent/crash", ml.Config{MaxEntriesPerLedger: 10})
	if got := m.LastConfirmed(); got != pos[29] {
		t.Errorf("LastConfirmed after crash = %v, want %v", got, pos[29])
	}
	for i, p := range pos {
		e, err := m.Read(testCtx(t), p)
		if err != nil || string(e.Data) != string(payload(i)) {
			t.Fatalf("acknowledged entry %d at %v after crash: %q %v", i, p, e.Data, err)
		}
	}
	c, err := m.OpenCursor(testCtx(t), "sub", ml.Latest)
	if err != nil {
		t.Fatal(err)
	}
	if c.MarkDeleted() != pos[4] || !c.IsAcked(pos[6]) || c.IsAcked(pos[9]) {
		t.Errorf("cursor after crash: mark-delete %v (want %v), 6 acked %v, 9 acked %v; want the flushed state",
			c.MarkDeleted(), pos[4], c.IsAcked(pos[6]), c.IsAcked(pos[9]))
	}
	if got := c.Backlog(); got != 24 {
		t.Errorf("backlog after crash = %d, want 24", got)
	}
	es := readAll(t, c)
	if len(es) != 24 || string(es[0].Data) != string(payload(5)) || string(es[1].Data) != string(payload(7)) {
		t.Errorf("cursor reads %v after crash, want entries 5, 7..29", payloadsOf(es))
	}
	more := addAll(t, m, 30, 2)
	if more[0].Compare(pos[29]) <= 0 {
		t.Errorf("add after crash at %v, not after %v", more[0], pos[29])
	}
}

// crashHelper writes and acknowledges, reports, and waits to be killed.
func crashHelper(dir string) {
	fail := func(err error) {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	s, err := mltest.Start(dir, 1, mltest.Options{})
	if err != nil {
		fail(err)
	}
	// One persist every 1000 s: only the first ack and the explicit flush get stored.
	m, err := s.Factory.Open(testCtx(tb{}), "public/default/persistent/crash", ml.Config{MaxEntriesPerLedger: 10, MarkDeleteRate: 0.001})
	if err != nil {
		fail(err)
	}
	c, err := m.OpenCursor(testCtx(tb{}), "sub", ml.Earliest)
	if err != nil {
		fail(err)
	}
	pos := addAll(tb{}, m, 0, 25)
	if err := c.MarkDelete(pos[4]); err != nil {
		fail(err)
	}
	if err := c.Delete(pos[6]); err != nil {
		fail(err)
	}
	if err := c.Flush(testCtx(tb{})); err != nil {
		fail(err)
	}
	if err := c.MarkDelete(pos[9]); err != nil { // not persisted before the crash
		fail(err)
	}
	pos = append(pos, addAll(tb{}, m, 25, 5)...)
	b, _ := json.Marshal(crashResult{Pos: pos})
	fmt.Printf("READY %s\n", b)
	time.Sleep(time.Minute)
	os.Exit(2)
}

// tb is a testing.TB for the helper process, which has no *testing.T of its own.
type tb struct{ testing.TB }

func (tb) Helper()                        {}
func (tb) Cleanup(func())                 {}
func (tb) Fatalf(format string, a ...any) { fmt.Printf("ERROR "+format+"\n", a...); os.Exit(1) }
func (tb) Errorf(format string, a ...any) { fmt.Printf("ERROR "+format+"\n", a...); os.Exit(1) }
