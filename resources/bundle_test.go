package resources

import (
	"hash/crc32"
	"testing"
)

func TestBundleOf(t *testing.T) {
	four := DefaultBundles(4) // 0x00000000 0x40000000 0x80000000 0xc0000000 0xffffffff
	tests := []struct {
		topic string
	}{
		{"persistent://public/default/a"},
		{"persistent://public/default/b"},
		{"persistent://public/default/orders-partition-3"},
		{"non-persistent://public/default/x"},
	}
	for _, tt := range tests {
		got, err := BundleOf(four, tt.topic)
		if err != nil {
			t.Fatal(err)
		}
		h := crc32.ChecksumIEEE([]byte(tt.topic))
		want := four.Boundaries[h>>30] + "_" + four.Boundaries[h>>30+1]
		if got != want {
			t.Errorf("%s (hash 0x%08x): bundle %s, want %s", tt.topic, h, got, want)
		}
	}
	// The last bundle includes its upper boundary; a single bundle holds everything.
	one := DefaultBundles(1)
	if got, err := BundleOf(one, "persistent://public/default/a"); err != nil || got != "0x00000000_0xffffffff" {
		t.Errorf("one bundle: %q, %v", got, err)
	}
	edge := &BundlesData{NumBundles: 2, Boundaries: []string{"0x00000000", "0x00000001", "0xffffffff"}}
	if got, _ := BundleOf(edge, "persistent://public/default/a"); got != "0x00000001_0xffffffff" {
		t.Errorf("hash above the first boundary: %q", got)
	}
	if _, err := BundleOf(nil, "persistent://public/default/a"); err == nil {
		t.Error("no boundaries: want an error")
	}
}
