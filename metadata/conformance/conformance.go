// Package conformance is the behaviour every metadata.Store implementation must show.
// Each implementation's tests call Run with a constructor; the suite is the contract the
// broker, bookies and ledger client rely on, so an implementation passes it or is wrong.
package conformance

import (
	"sync"
	"testing"

	"github.com/magnetar/magnetar/metadata"
)

// NewStore opens a store for the test t. Two calls with the same t must return stores
// on the same backend (two sessions: what one writes the other reads, and one's
// ephemeral keys vanish for the other when it is closed). Calls with different tests
// may share the backend too: every case works under its own key root. The constructor
// should register t.Cleanup to close the store; Close must then be idempotent.
type NewStore func(t *testing.T) metadata.Store

type testCase struct {
	name string
	run  func(t *testing.T, newStore NewStore, root string)
}

// Run runs the whole suite, one subtest per behaviour. Each case works under the key
// root "/conformance-<case>".
func Run(t *testing.T, newStore NewStore) {
	cases := [][]testCase{kvCases, watchCases, sessionCases, scaleCases}
	for _, group := range cases {
		for _, tc := range group {
			t.Run(tc.name, func(t *testing.T) {
				tc.run(t, newStore, "/conformance-"+tc.name)
			})
		}
	}
}

// PerTest memoizes fn per test: newStore is called more than once in a test (two sessions on
// one backend), and those calls must share what fn makes (a key prefix, a chroot).
func PerTest[T any](fn func(t *testing.T) T) func(t *testing.T) T {
	var mu sync.Mutex
	made := map[*testing.T]T{}
	return func(t *testing.T) T {
		mu.Lock()
		defer mu.Unlock()
		v, ok := made[t]
		if !ok {
			v = fn(t)
			made[t] = v
		}
		return v
	}
}
