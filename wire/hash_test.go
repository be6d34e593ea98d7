package wire

import (
	"math/rand/v2"
	"testing"

	"github.com/spaolacci/murmur3"
)

// Vectors of MurmurHash3 x86_32, seed 0 (SMHasher's reference function);
// the masked column is Pulsar's Key_Shared hash.
func TestMurmur3Vectors(t *testing.T) {
	cases := []struct {
		in     string
		murmur uint32
		masked uint32
	}{
		{"", 0x00000000, 0x00000000},
		{"a", 0x3c2569b2, 0x3c2569b2},
		{"abc", 0xb3dd93fa, 0x33dd93fa},
		{"abcd", 0x43ed676a, 0x43ed676a},
		{"hello", 0x248bfa47, 0x248bfa47},
		{"Hello, world!", 0xc0363e43, 0x40363e43},
		{"The quick brown fox jumps over the lazy dog", 0x2e4ff723, 0x2e4ff723},
	}
	for _, c := range cases {
		if got := Murmur3([]byte(c.in)); got != c.murmur {
			t.Errorf("Murmur3(%q) = %#08x, want %#08x", c.in, got, c.murmur)
		}
		if got := KeyHash([]byte(c.in)); got != c.masked {
			t.Errorf("KeyHash(%q) = %#08x, want %#08x", c.in, got, c.masked)
		}
	}
}

// TestKeyHashMatchesClientLibrary cross-checks against spaolacci/murmur3,
// the library pulsar-client-go's Murmur3_32Hash wraps (it masks with
// 0x7fffffff too), on random keys of every tail length.
func TestKeyHashMatchesClientLibrary(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	for i := 0; i < 2000; i++ {
		key := make([]byte, rng.IntN(40))
		for j := range key {
			key[j] = byte(rng.Uint32())
		}
		if got, want := KeyHash(key), clientMurmur3(key); got != want {
			t.Fatalf("KeyHash(%x) = %#x, client library %#x", key, got, want)
		}
	}
}

// clientMurmur3 is pulsar-client-go's internal.Murmur3_32Hash: the
// library's streaming digest, masked to 31 bits.
func clientMurmur3(key []byte) uint32 {
	h := murmur3.New32()
	h.Write(key)
	return h.Sum32() & 0x7fffffff
}

func BenchmarkKeyHash(b *testing.B) {
	key := []byte("customer-1234567")
	b.ReportAllocs()
	for b.Loop() {
		_ = KeyHash(key)
	}
}
