package wire

import (
	"encoding/binary"
	"math/bits"
)

// KeyHash is the hash Pulsar's Key_Shared dispatch uses for a sticky key:
// MurmurHash3 x86 32-bit with seed 0, with the sign bit cleared (Java's
// `& Integer.MAX_VALUE`). A key's slot is KeyHash(key) % KeyHashRange.
func KeyHash(key []byte) uint32 {
	return Murmur3(key) & 0x7fffffff
}

// Murmur3 is MurmurHash3 x86 32-bit with seed 0.
func Murmur3(data []byte) uint32 {
	const (
		c1 = 0xcc9e2d51
		c2 = 0x1b873593
	)
	var h uint32
	n := len(data)
	for len(data) >= 4 {
		k := binary.LittleEndian.Uint32(data)
		data = data[4:]
		k *= c1
		k = bits.RotateLeft32(k, 15)
		k *= c2
		h ^= k
		h = bits.RotateLeft32(h, 13)
		h = h*5 + 0xe6546b64
	}
	var k uint32
	switch len(data) {
	case 3:
		k ^= uint32(data[2]) << 16
		fallthrough
	case 2:
		k ^= uint32(data[1]) << 8
		fallthrough
	case 1:
		k ^= uint32(data[0])
		k *= c1
		k = bits.RotateLeft32(k, 15)
		k *= c2
		h ^= k
	}
	h ^= uint32(n)
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}
