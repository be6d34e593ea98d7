package managedledger_test

import (
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/magnetar/magnetar/ledger"
	ml "github.com/magnetar/magnetar/managedledger"
	"github.com/magnetar/magnetar/managedledger/mltest"
)

func TestNamesExistsDelete(t *testing.T) {
	s := mltest.NewStack(t, t.TempDir(), 1)
	f := s.Factory
	for _, n := range []string{"t/ns/persistent/a", "t/ns/persistent/ab", "t/ns/persistent/a/nested", "t/other/persistent/x"} {
		m := openML(t, s, n, ml.Config{})
		if _, err := m.OpenCursor(testCtx(t), "sub", ml.Earliest); err != nil {
			t.Fatal(err)
		}
		addAll(t, m, 0, 2)
	}
	for _, tc := range []struct {
		prefix string
		want   []string
	}{
		{"t/ns/persistent/", []string{"t/ns/persistent/a", "t/ns/persistent/a/nested", "t/ns/persistent/ab"}},
		{"t/ns/persistent/a", []string{"t/ns/persistent/a", "t/ns/persistent/a/nested", "t/ns/persistent/ab"}},
		{"t/ns/persistent/ab", []string{"t/ns/persistent/ab"}},
		{"t/", []string{"t/ns/persistent/a", "t/ns/persistent/a/nested", "t/ns/persistent/ab", "t/other/persistent/x"}},
		{"t/none/", nil},
		{"", []string{"t/ns/persistent/a", "t/ns/persistent/a/nested", "t/ns/persistent/ab", "t/other/persistent/x"}},
	} {
		got, err := f.Names(testCtx(t), tc.prefix)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("Names(%q) = %v, want %v", tc.prefix, got, tc.want)
		}
	}
	for name, want := range map[string]bool{
		"t/ns/persistent/a": true, "t/ns/persistent": false, "t/ns/persistent/a/@sub": false, "t/ns/persistent/zz": false,
	} {
		if got, err := f.Exists(testCtx(t), name); err != nil || got != want {
			t.Errorf("Exists(%q) = %v %v, want %v", name, got, err, want)
		}
	}
	if _, err := f.Open(testCtx(t), "t/ns/persistent/@bad", ml.Config{}); err == nil {
		t.Errorf("a name with an element starting with @ was accepted")
	}

	m := openML(t, s, "t/ns/persistent/a", ml.Config{})
	var ids []int64
	for _, l := range m.Stats().Ledgers {
		ids = append(ids, l.LedgerID)
	}
	if err := m.Delete(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if ok, _ := f.Exists(testCtx(t), "t/ns/persistent/a"); ok {
		t.Errorf("deleted managed ledger still exists")
	}
	for _, id := range ids {
		if _, err := s.Ledgers.Stat(testCtx(t), id); !errors.Is(err, ledger.ErrNoSuchLedger) {
			t.Errorf("ledger %d of the deleted log: %v, want ErrNoSuchLedger", id, err)
		}
	}
	got, _ := f.Names(testCtx(t), "t/ns/")
	if want := []string{"t/ns/persistent/a/nested", "t/ns/persistent/ab"}; !slices.Equal(got, want) {
		t.Errorf("Names after delete = %v, want %v", got, want)
	}
	nested := openML(t, s, "t/ns/persistent/a/nested", ml.Config{})
	if nested.LastConfirmed().EntryID != 1 {
		t.Errorf("the nested log lost entries: %v", nested.LastConfirmed())
	}
	again := openML(t, s, "t/ns/persistent/a", ml.Config{})
	if len(again.Cursors()) != 0 || again.Stats().Entries != 0 {
		t.Errorf("re-created log is not empty: %d cursors, %+v", len(again.Cursors()), again.Stats())
	}
}

func TestOpenTwiceReturnsTheSameLog(t *testing.T) {
	s := mltest.NewStack(t, t.TempDir(), 1)
	a := openML(t, s, "public/default/persistent/same", ml.Config{})
	b := openML(t, s, "public/default/persistent/same", ml.Config{})
	if a != b {
		t.Errorf("two opens returned different handles")
	}
	if err := s.Factory.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Factory.Open(testCtx(t), "public/default/persistent/same", ml.Config{}); !errors.Is(err, ml.ErrClosed) {
		t.Errorf("open on a closed factory: %v, want ErrClosed", err)
	}
	done := make(chan error, 1)
	a.AddEntry([]byte("x"), func(_ ml.Position, err error) { done <- err })
	if err := <-done; !errors.Is(err, ml.ErrClosed) {
		t.Errorf("add to a closed log: %v, want ErrClosed", err)
	}
}

func TestFindFirst(t *testing.T) {
	s := mltest.NewStack(t, t.TempDir(), 1)
	m := openML(t, s, "public/default/persistent/find", ml.Config{MaxEntriesPerLedger: 6})
	if _, err := m.OpenCursor(testCtx(t), "sub", ml.Earliest); err != nil {
		t.Fatal(err)
	}
	pos := addAll(t, m, 0, 20)
	last := pos[19]
	after := ml.Position{LedgerID: last.LedgerID, EntryID: last.EntryID + 1}
	for _, k := range []int{0, 1, 5, 6, 13, 19, 20} {
		// payload i is "entry-0000i": the predicate "i >= k" is monotonic.
		got, err := m.FindFirst(testCtx(t), func(e ml.Entry) bool {
			i, _ := strconv.Atoi(string(e.Data[len("entry-"):]))
			return i >= k
		})
		if err != nil {
			t.Fatal(err)
		}
		want := after
		if k < 20 {
			want = pos[k]
		}
		if got != want {
			t.Errorf("FindFirst(i >= %d) = %v, want %v", k, got, want)
		}
	}
}
