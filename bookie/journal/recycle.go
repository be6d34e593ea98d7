package journal

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Checkpointed segments are recycled rather than deleted: up to MaxSpareSegments of them
// are kept as spares (<seq>.spare, named after their previous life) and the next new
// segment is a spare renamed and written again from its start. Writing over blocks a
// file already has changes none of its metadata, so each group commit's fdatasync
// flushes only the data; a segment that grows also has to write its inode and wait for
// that, which here doubles the latency of a small group commit and halves the rate of
// large ones. Segments the journal creates while no spare is at hand grow as they are
// written.

const spareSuffix = ".spare"

func spareName(dir string, seq uint64) string {
	return filepath.Join(dir, fmt.Sprintf("%016x%s", seq, spareSuffix))
}

// adoptSpares takes the spare files of dir into the pool, deleting any beyond its size.
func (j *Journal) adoptSpares() error {
	ents, err := os.ReadDir(j.opts.Dir)
	if err != nil {
		return fmt.Errorf("journal: list %s: %w", j.opts.Dir, err)
	}
	var names []string
	for _, e := range ents {
		if !e.IsDir() && strings.HasSuffix(e.Name(), spareSuffix) {
			if _, err := strconv.ParseUint(strings.TrimSuffix(e.Name(), spareSuffix), 16, 64); err == nil {
				names = append(names, filepath.Join(j.opts.Dir, e.Name()))
			}
		}
	}
	sort.Strings(names)
	for i, n := range names {
		if i < j.opts.MaxSpareSegments {
			j.spares = append(j.spares, n)
		} else if err := os.Remove(n); err != nil {
			return fmt.Errorf("journal: remove extra spare: %w", err)
		}
	}
	return nil
}

// takeSpare returns a spare segment file to write again, if there is one.
func (j *Journal) takeSpare() (string, bool) {
	j.spareMu.Lock()
	defer j.spareMu.Unlock()
	n := len(j.spares)
	if n == 0 {
		return "", false
	}
	path := j.spares[n-1]
	j.spares = j.spares[:n-1]
	return path, true
}

// release gives up a checkpointed segment: it becomes a spare, or is deleted if the pool
// is full or the segment is a legacy one. The caller syncs the directory.
func (j *Journal) release(seq uint64) error {
	path := segmentName(j.opts.Dir, seq)
	j.spareMu.Lock()
	defer j.spareMu.Unlock()
	if len(j.spares) < j.opts.MaxSpareSegments && recyclable(path) {
		spare := spareName(j.opts.Dir, seq)
		if err := os.Rename(path, spare); err != nil {
			return fmt.Errorf("journal: keep segment %d as a spare: %w", seq, err)
		}
		j.spares = append(j.spares, spare)
		return nil
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("journal: remove segment %d: %w", seq, err)
	}
	return nil
}
