package schema

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/magnetar/magnetar/metadata/etcdstore"
	"github.com/magnetar/magnetar/metadata/testservers"
)

// TestTwoBrokersOnEtcd: two registries on their own etcd sessions, as two brokers of a
// cluster, register concurrently on one topic; compare-and-set in etcd keeps versions
// unique and each sees what the other registered.
func TestTwoBrokersOnEtcd(t *testing.T) {
	ctx := context.Background()
	endpoint := testservers.StartEtcd(t)
	var regs [2]*Registry
	for i := range regs {
		store, err := etcdstore.Open(ctx, []string{endpoint}, etcdstore.Options{Prefix: "/cluster-a"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		regs[i] = New(store)
	}
	const topic, perBroker = "persistent://t/ns/shared", 5
	var wg sync.WaitGroup
	got := make([][]int64, 2)
	errs := make([]error, 2)
	for b := range regs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perBroker {
				f := fmt.Sprintf(`{"name":"b%d_%d","type":"int","default":0}`, b, i)
				v, err := regs[b].AddOrGet(ctx, topic, avroInfo(fName, f), FullTransitive, false)
				if err != nil {
					errs[b] = err
					return
				}
				got[b] = append(got[b], v)
			}
		}()
	}
	wg.Wait()
	seen := map[int64]bool{}
	for b := range regs {
		if errs[b] != nil {
			t.Fatalf("broker %d: %v", b, errs[b])
		}
		for _, v := range got[b] {
			if seen[v] {
				t.Fatalf("version %d given twice: %v", v, got)
			}
			seen[v] = true
		}
	}
	for b, r := range regs {
		all, err := r.AllVersions(ctx, topic)
		if err != nil || len(all) != 2*perBroker {
			t.Fatalf("broker %d sees %d versions, %v; want %d", b, len(all), err, 2*perBroker)
		}
	}
	// A delete through one broker is seen by the other.
	if _, err := regs[0].Delete(ctx, topic, false); err != nil {
		t.Fatal(err)
	}
	if _, err := regs[1].GetLatest(ctx, topic); !errors.Is(err, ErrDeleted) {
		t.Fatalf("other broker after delete: %v, want ErrDeleted", err)
	}
}
