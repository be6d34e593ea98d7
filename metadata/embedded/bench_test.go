package embedded_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/magnetar/magnetar/metadata"
	"github.com/magnetar/magnetar/metadata/embedded"
)

// BenchmarkPut measures a synced (fsynced) versioned write of a small record.
func BenchmarkPut(b *testing.B) {
	s, err := embedded.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	c := context.Background()
	value := make([]byte, 200)
	b.SetBytes(int64(len(value)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Put(c, fmt.Sprintf("/ledgers/%d", i%1000), value, metadata.AnyVersion); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGet measures a read of a small record.
func BenchmarkGet(b *testing.B) {
	s, err := embedded.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	c := context.Background()
	for i := 0; i < 1000; i++ {
		if _, err := s.Put(c, fmt.Sprintf("/ledgers/%d", i), make([]byte, 200), metadata.AnyVersion); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := s.Get(c, fmt.Sprintf("/ledgers/%d", i%1000)); err != nil {
			b.Fatal(err)
		}
	}
}
