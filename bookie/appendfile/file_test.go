package appendfile

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// pattern returns n deterministic bytes that differ between appends.
func pattern(seed, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(seed*131 + i*7 + 1)
	}
	return b
}

// step is one operation: append size bytes (0: none), then flush or sync if set.
type step struct {
	size        int
	flush, sync bool
}

func TestAppendsReadBack(t *testing.T) {
	cases := []struct {
		name  string
		buf   int
		steps []step
	}{
		{"one small append, synced", 4096, []step{{size: 10, sync: true}}},
		{"exact block", 4096, []step{{size: Align, sync: true}}},
		{"partial block rewritten by later flushes", 4096, []step{
			{size: 100, flush: true}, {size: 200, flush: true}, {size: 3000, sync: true}, {size: 1000, sync: true}}},
		{"appends spanning blocks", 8192, []step{
			{size: 5000}, {size: 5000, flush: true}, {size: 7, sync: true}, {size: 9000, sync: true}}},
		{"record larger than the buffer", 4096, []step{{size: 17, flush: true}, {size: 100000, sync: true}, {size: 5, sync: true}}},
		{"flush with nothing new", 4096, []step{{size: 33, sync: true}, {sync: true}, {flush: true}, {size: 1, sync: true}}},
		{"never flushed before close", 1 << 20, []step{{size: 123}, {size: 4567}}},
		{"mapped buffer grown by a large record and shrunk", 2 << 20, []step{
			{size: 1000, sync: true}, {size: 5<<20 + 17, flush: true}, {size: 300, sync: true}, {size: 3 << 20}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "f")
			a, err := Create(path, tc.buf)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("direct I/O: %v", a.Direct())
			var want []byte
			for i, s := range tc.steps {
				p := pattern(i, s.size)
				if i%2 == 0 {
					a.Append(p)
				} else {
					copy(a.Next(len(p)), p)
				}
				want = append(want, p...)
				if a.Offset() != int64(len(want)) {
					t.Fatalf("step %d: offset %d, want %d", i, a.Offset(), len(want))
				}
				if s.flush {
					if err := a.Flush(); err != nil {
						t.Fatal(err)
					}
				}
				if s.sync {
					if err := a.Sync(); err != nil {
						t.Fatal(err)
					}
				}
				if s.flush || s.sync {
					if a.Buffered() != 0 {
						t.Fatalf("step %d: %d bytes buffered after a flush", i, a.Buffered())
					}
					checkSynced(t, path, want)
				}
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			checkSynced(t, path, want) // closing keeps the padding
			b, err := Overwrite(path, tc.buf)
			if err != nil {
				t.Fatal(err)
			}
			b.Append(want)
			if err := b.Truncate(); err != nil {
				t.Fatal(err)
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("truncated file: %d bytes, want %d (equal prefix: %v)", len(got), len(want), bytes.HasPrefix(got, want))
			}
		})
	}
}

// checkSynced checks what a crash after a flush would leave: the data, then zeros up to
// a block boundary.
func checkSynced(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got)%Align != 0 || len(got) < len(want) || len(got)-len(want) >= Align {
		t.Fatalf("flushed file is %d bytes for %d of data; want the data padded to a block", len(got), len(want))
	}
	if !bytes.Equal(got[:len(want)], want) {
		t.Fatal("flushed file does not hold the appended bytes")
	}
	if bytes.ContainsFunc(got[len(want):], func(r rune) bool { return r != 0 }) {
		t.Fatal("padding after the data is not zeros")
	}
}

// Overwriting keeps the file's blocks: what lies beyond the new data stays until Truncate.
func TestOverwriteKeepsBlocks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	old := pattern(9, 3*Align)
	if err := os.WriteFile(path, old, 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := Overwrite(path, Align)
	if err != nil {
		t.Fatal(err)
	}
	a.Append(pattern(1, 100))
	if err := a.Sync(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := append(append(pattern(1, 100), make([]byte, Align-100)...), old[Align:]...)
	if !bytes.Equal(got, want) {
		t.Fatalf("after overwriting 100 bytes: %d bytes, want the new block then the old two (%d)", len(got), len(want))
	}
	if err := a.Truncate(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, pattern(1, 100)) {
		t.Fatalf("after Truncate: %d bytes, want the 100 written", len(got))
	}
	if _, err := Overwrite(filepath.Join(t.TempDir(), "missing"), Align); err == nil {
		t.Fatal("Overwrite of a missing file succeeded")
	}
}

func TestCreateRefusesExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Create(path, 4096); err == nil {
		t.Fatal("Create over an existing file succeeded")
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("existing file changed to %q", b)
	}
}

// Buffers of a huge page or more are mapped apart from the Go heap, aligned to a huge
// page (on Linux).
func TestLargeBufferIsMapped(t *testing.T) {
	a, err := Create(filepath.Join(t.TempDir(), "f"), 4<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if runtime.GOOS != "linux" {
		return
	}
	if a.mem == nil || uintptrOf(a.buf)%hugePage != 0 || len(a.buf) != 4<<20 {
		t.Fatalf("4 MiB buffer: mapped %v, address mod 2 MiB %d, len %d", a.mem != nil, uintptrOf(a.buf)%hugePage, len(a.buf))
	}
}

func TestBufferIsAligned(t *testing.T) {
	for _, n := range []int{Align, 3 * Align, 1 << 20} {
		b := alignedBuf(n)
		if len(b) != n || uintptrOf(b)%Align != 0 {
			t.Fatalf("alignedBuf(%d): len %d, address mod Align %d", n, len(b), uintptrOf(b)%Align)
		}
	}
}

// Where the file system refuses direct I/O (at open, or at the first write) the file is
// written buffered, the same way.
func TestBufferedFallback(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	a, err := Create(path, Align)
	if err != nil {
		t.Fatal(err)
	}
	if err := disableDirect(a.f); err != nil {
		t.Fatal(err)
	}
	a.direct = false
	want := pattern(3, 5000)
	a.Append(want[:1000])
	if err := a.Sync(); err != nil {
		t.Fatal(err)
	}
	a.Append(want[1000:])
	if err := a.Truncate(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, want) {
		t.Fatalf("buffered file: %d bytes, want %d", len(got), len(want))
	}
}
