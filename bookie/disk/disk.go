// Package disk reports how full a file system is; the bookie turns read-only on it and
// places new entry logs on the emptiest ledger directory.
package disk

// Usage describes the file system holding a path.
type Usage struct {
	Total, Free uint64 // bytes; Free is what an unprivileged writer can still use
}

// Used is the fraction of the file system that is not available, 0..1.
func (u Usage) Used() float64 {
	if u.Total == 0 {
		return 0
	}
	return 1 - float64(u.Free)/float64(u.Total)
}
