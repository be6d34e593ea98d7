package crc32c

import (
	"hash/crc32"
	"math/rand"
	"testing"
)

func TestCombineMatchesChecksumOfConcatenation(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, c := range []struct{ a, b int }{
		{0, 0}, {0, 1}, {1, 0}, {1, 1}, {3, 7}, {36, 1 << 10}, {36, 128 << 10}, {0, 1<<20 + 3}, {4096, 5<<20 + 65536},
	} {
		a, b := make([]byte, c.a), make([]byte, c.b)
		rng.Read(a)
		rng.Read(b)
		want := crc32.Checksum(append(append([]byte(nil), a...), b...), crc32.MakeTable(crc32.Castagnoli))
		if got := Combine(Checksum(a), Checksum(b), int64(len(b))); got != want {
			t.Errorf("Combine of %d and %d bytes = %08x, want %08x", c.a, c.b, got, want)
		}
		// Extending a running CRC (seeded, as the journal's records are) works the same.
		seed := Checksum([]byte("seed"))
		if got, want := Combine(Update(seed, a), Checksum(b), int64(len(b))), Update(Update(seed, a), b); got != want {
			t.Errorf("seeded Combine of %d and %d bytes = %08x, want %08x", c.a, c.b, got, want)
		}
	}
}

// BenchmarkCombine shifts by lengths around 128 KiB that vary as entries do.
func BenchmarkCombine(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	lens := make([]int64, 1024)
	for i := range lens {
		lens[i] = 100<<10 + rng.Int63n(60<<10)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Combine(uint32(i), 0x12345678, lens[i&1023])
	}
}

func BenchmarkChecksum128KiB(b *testing.B) {
	data := make([]byte, 128<<10)
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		Checksum(data)
	}
}
