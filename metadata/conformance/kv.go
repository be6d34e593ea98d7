package conformance

import (
	"errors"
	"testing"

	"github.com/magnetar/magnetar/metadata"
)

var kvCases = []testCase{
	{"get_missing", testGetMissing},
	{"put_get_versions", testPutGetVersions},
	{"cas", testCAS},
	{"put_creates_parents", testPutCreatesParents},
	{"delete", testDelete},
	{"children_sorted_direct", testChildren},
	{"invalid_keys", testInvalidKeys},
	{"delete_recursive", testDeleteRecursive},
}

func testGetMissing(t *testing.T, newStore NewStore, root string) {
	s := newStore(t)
	wantNotFound(t, s, root+"/nothing")
	mustPut(t, s, root+"/a", []byte("x"), metadata.AnyVersion)
	wantNotFound(t, s, root+"/a/nothing")
}

func testPutGetVersions(t *testing.T, newStore NewStore, root string) {
	s := newStore(t)
	key := root + "/k"
	for i := int64(1); i <= 3; i++ {
		val := []byte{'v', byte('0' + i)}
		st := mustPut(t, s, key, val, metadata.AnyVersion)
		if st.Version != i {
			t.Fatalf("put #%d returned version %d, want %d", i, st.Version, i)
		}
		if st.Ephemeral {
			t.Fatalf("put #%d: persistent key reported ephemeral", i)
		}
		wantValue(t, s, key, val, i)
	}
	_, st := mustGet(t, s, key)
	if st.ModifiedMs < st.CreatedMs {
		t.Fatalf("modified %d before created %d", st.ModifiedMs, st.CreatedMs)
	}
}

func testCAS(t *testing.T, newStore NewStore, root string) {
	s := newStore(t)
	key := root + "/k"
	steps := []struct {
		name     string
		value    string
		expected int64
		wantErr  error
		wantVer  int64 // version after the step
		wantVal  string
	}{
		{"explicit version on absent key", "a", 1, metadata.ErrBadVersion, 0, ""},
		{"create if absent", "a", metadata.NotExists, nil, 1, "a"},
		{"create if absent when present", "b", metadata.NotExists, metadata.ErrBadVersion, 1, "a"},
		{"matching version", "c", 1, nil, 2, "c"},
		{"stale version", "d", 1, metadata.ErrBadVersion, 2, "c"},
		{"future version", "d", 5, metadata.ErrBadVersion, 2, "c"},
		{"any version", "e", metadata.AnyVersion, nil, 3, "e"},
		{"matching version again", "f", 3, nil, 4, "f"},
	}
	for _, step := range steps {
		st, err := s.Put(testContext(t), key, []byte(step.value), step.expected)
		if step.wantErr != nil {
			if !errors.Is(err, step.wantErr) {
				t.Fatalf("%s: err = %v, want %v", step.name, err, step.wantErr)
			}
		} else if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		} else if st.Version != step.wantVer {
			t.Fatalf("%s: returned version %d, want %d", step.name, st.Version, step.wantVer)
		}
		if step.wantVer == 0 {
			wantNotFound(t, s, key)
		} else {
			wantValue(t, s, key, []byte(step.wantVal), step.wantVer)
		}
	}
}

func testPutCreatesParents(t *testing.T, newStore NewStore, root string) {
	s := newStore(t)
	mustPut(t, s, root+"/a/b/c", []byte("leaf"), metadata.NotExists)
	for _, p := range []string{root, root + "/a", root + "/a/b"} {
		v, st := mustGet(t, s, p)
		if len(v) != 0 {
			t.Fatalf("parent %s = %q, want empty", p, v)
		}
		if st.Version != 1 {
			t.Fatalf("parent %s version %d, want 1", p, st.Version)
		}
	}
	wantChildren(t, s, root+"/a", "b")
	wantChildren(t, s, root+"/a/b", "c")
	// An existing parent keeps its value and version.
	mustPut(t, s, root+"/x", []byte("parent"), metadata.NotExists)
	mustPut(t, s, root+"/x/y", []byte("child"), metadata.NotExists)
	wantValue(t, s, root+"/x", []byte("parent"), 1)
}

func testDelete(t *testing.T, newStore NewStore, root string) {
	s := newStore(t)
	ctx := testContext(t)
	key := root + "/k"
	if err := s.Delete(ctx, key, metadata.AnyVersion); !errors.Is(err, metadata.ErrNotFound) {
		t.Fatalf("delete absent: err = %v, want ErrNotFound", err)
	}
	mustPut(t, s, key, []byte("1"), metadata.AnyVersion)
	mustPut(t, s, key, []byte("2"), metadata.AnyVersion)
	if err := s.Delete(ctx, key, 1); !errors.Is(err, metadata.ErrBadVersion) {
		t.Fatalf("delete stale version: err = %v, want ErrBadVersion", err)
	}
	wantValue(t, s, key, []byte("2"), 2)
	if err := s.Delete(ctx, key, 2); err != nil {
		t.Fatalf("delete matching version: %v", err)
	}
	wantNotFound(t, s, key)
	// A re-created key starts over at version 1.
	st := mustPut(t, s, key, []byte("again"), metadata.NotExists)
	if st.Version != 1 {
		t.Fatalf("re-created key version %d, want 1", st.Version)
	}
	if err := s.Delete(ctx, key, metadata.AnyVersion); err != nil {
		t.Fatalf("delete any version: %v", err)
	}
	wantNotFound(t, s, key)

	mustPut(t, s, root+"/p/c", []byte("child"), metadata.AnyVersion)
	if err := s.Delete(ctx, root+"/p", metadata.AnyVersion); !errors.Is(err, metadata.ErrNotEmpty) {
		t.Fatalf("delete parent: err = %v, want ErrNotEmpty", err)
	}
	if err := s.Delete(ctx, root+"/p/c", metadata.AnyVersion); err != nil {
		t.Fatalf("delete child: %v", err)
	}
	if err := s.Delete(ctx, root+"/p", 1); err != nil {
		t.Fatalf("delete emptied parent: %v", err)
	}
	wantChildren(t, s, root)
}

func testChildren(t *testing.T, newStore NewStore, root string) {
	s := newStore(t)
	for _, k := range []string{"/c/b", "/c/a/x", "/c/a/x/y", "/c/a-b", "/c/c", "/c/B", "/cc/z", "/c0"} {
		mustPut(t, s, root+k, []byte(k), metadata.AnyVersion)
	}
	wantChildren(t, s, root+"/c", "B", "a", "a-b", "b", "c")
	wantChildren(t, s, root+"/c/a", "x")
	wantChildren(t, s, root, "c", "c0", "cc")
	wantChildren(t, s, root+"/c/b")           // a leaf
	wantChildren(t, s, root+"/missing")       // absent: empty, no error
	wantChildren(t, s, root+"/c/a/x/y/z/w/v") // absent and deep

	top, err := s.Children(testContext(t), "/")
	if err != nil {
		t.Fatalf("Children(/): %v", err)
	}
	found := false
	for _, name := range top {
		found = found || "/"+name == root
	}
	if !found {
		t.Fatalf("Children(/) = %q, want it to include %s", top, root[1:])
	}
}

func testInvalidKeys(t *testing.T, newStore NewStore, root string) {
	s := newStore(t)
	ctx := testContext(t)
	for _, key := range []string{"", "/", "relative", root + "/", root + "//x", root + "/./x", root + "/../x"} {
		if _, err := s.Put(ctx, key, []byte("v"), metadata.AnyVersion); err == nil {
			t.Errorf("Put(%q) succeeded, want an error", key)
		}
		if _, _, err := s.Get(ctx, key); err == nil {
			t.Errorf("Get(%q) succeeded, want an error", key)
		}
		if err := s.Delete(ctx, key, metadata.AnyVersion); err == nil {
			t.Errorf("Delete(%q) succeeded, want an error", key)
		}
	}
	if _, err := s.Put(ctx, root+"/k", []byte("v"), -7); err == nil {
		t.Errorf("Put with expected version -7 succeeded, want an error")
	}
}

func testDeleteRecursive(t *testing.T, newStore NewStore, root string) {
	s := newStore(t)
	for _, k := range []string{"/t/a/1", "/t/a/2/x", "/t/b", "/keep"} {
		mustPut(t, s, root+k, nil, metadata.AnyVersion)
	}
	if err := metadata.DeleteRecursive(testContext(t), s, root+"/t"); err != nil {
		t.Fatalf("DeleteRecursive: %v", err)
	}
	wantNotFound(t, s, root+"/t")
	wantNotFound(t, s, root+"/t/a/2/x")
	wantChildren(t, s, root, "keep")
	if err := metadata.DeleteRecursive(testContext(t), s, root+"/t"); err != nil {
		t.Fatalf("DeleteRecursive of an absent key: %v", err)
	}
}
