package conformance

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/magnetar/magnetar/metadata"
)

var scaleCases = []testCase{
	{"next_id_concurrent", testNextIDConcurrent},
	{"deep_keys", testDeepKeys},
	{"binary_values", testBinaryValues},
}

// testNextIDConcurrent: ids handed out from two sessions at once are unique and dense.
func testNextIDConcurrent(t *testing.T, newStore NewStore, root string) {
	const workers, perWorker = 3, 15
	stores := []metadata.Store{newStore(t), newStore(t)}
	key := root + "/counters/ledger"
	var mu sync.Mutex
	seen := map[int64]bool{}
	var wg sync.WaitGroup
	errs := make(chan error, len(stores)*workers)
	for _, s := range stores {
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < perWorker; i++ {
					id, err := metadata.NextID(testContext(t), s, key)
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					dup := seen[id]
					seen[id] = true
					mu.Unlock()
					if dup {
						errs <- fmt.Errorf("id %d handed out twice", id)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	total := int64(len(stores) * workers * perWorker)
	for id := int64(1); id <= total; id++ {
		if !seen[id] {
			t.Fatalf("id %d never handed out (%d ids seen)", id, len(seen))
		}
	}
	wantValue(t, stores[0], key, []byte(fmt.Sprint(total)), total)
}

func testDeepKeys(t *testing.T, newStore NewStore, root string) {
	s := newStore(t)
	const depth = 24
	parts := make([]string, depth)
	for i := range parts {
		parts[i] = fmt.Sprintf("level-%02d", i)
	}
	leaf := root + "/" + strings.Join(parts, "/")
	mustPut(t, s, leaf, []byte("bottom"), metadata.NotExists)
	wantValue(t, s, leaf, []byte("bottom"), 1)
	key := root
	for i := 0; i < depth; i++ {
		wantChildren(t, s, key, parts[i])
		key += "/" + parts[i]
	}
	if err := metadata.DeleteRecursive(testContext(t), s, root+"/"+parts[0]); err != nil {
		t.Fatalf("DeleteRecursive: %v", err)
	}
	wantNotFound(t, s, leaf)
	wantChildren(t, s, root)
}

func testBinaryValues(t *testing.T, newStore NewStore, root string) {
	s, other := newStore(t), newStore(t)
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	big := bytes.Repeat(all, 1024) // 256 KiB: a large ledger or schema record
	values := []struct {
		name  string
		value []byte
	}{
		{"every-byte", all},
		{"zeros", make([]byte, 100)},
		{"invalid-utf8", []byte{0xff, 0xfe, 0x00, 0xc3}},
		{"big", big},
		{"empty", []byte{}},
	}
	for _, v := range values {
		mustPut(t, s, root+"/"+v.name, v.value, metadata.NotExists)
		got, _ := mustGet(t, other, root+"/"+v.name)
		if !bytes.Equal(got, v.value) {
			t.Fatalf("%s: read back %d bytes %q..., want %d bytes %q...", v.name, len(got), trim(got), len(v.value), trim(v.value))
		}
	}
}
