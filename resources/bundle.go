package resources

import (
	"fmt"
	"hash/crc32"
	"strconv"
)

// BundleHash is where a topic falls in its namespace's 32-bit hash space: CRC-32 (IEEE)
// of its full name ("persistent://tenant/ns/topic-partition-0"), as Pulsar's namespace
// bundle factory hashes it (Guava's crc32).
func BundleHash(topic string) uint32 { return crc32.ChecksumIEEE([]byte(topic)) }

// BundleOf returns the range ("0x00000000_0x40000000") of the bundle of b that holds
// topic: lower boundary included, upper excluded, except the last bundle's.
func BundleOf(b *BundlesData, topic string) (string, error) {
	if b == nil || len(b.Boundaries) < 2 {
		return "", fmt.Errorf("no bundle boundaries")
	}
	h := uint64(BundleHash(topic))
	for i := 0; i+1 < len(b.Boundaries); i++ {
		lo, err := strconv.ParseUint(b.Boundaries[i], 0, 64)
		if err != nil {
			return "", fmt.Errorf("bundle boundary %q: %w", b.Boundaries[i], err)
		}
		hi, err := strconv.ParseUint(b.Boundaries[i+1], 0, 64)
		if err != nil {
			return "", fmt.Errorf("bundle boundary %q: %w", b.Boundaries[i+1], err)
		}
		last := i+2 == len(b.Boundaries)
		if h >= lo && (h < hi || last && h == hi) {
			return b.Boundaries[i] + "_" + b.Boundaries[i+1], nil
		}
	}
	return "", fmt.Errorf("hash 0x%08x of %s is in no bundle", h, topic)
}
