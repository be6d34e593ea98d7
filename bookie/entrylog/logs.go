package entrylog

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/magnetar/magnetar/bookie/appendfile"
	"github.com/magnetar/magnetar/bookie/disk"
)

const logSuffix = ".log"

// ErrNoSuchLog is returned when reading a log that does not exist (any more).
var ErrNoSuchLog = errors.New("entrylog: no such log")

// Logs is the set of entry log files over the ledger directories.
//
// Locking: mu guards files; readers hold it for reading across their pread, so Remove
// (which takes it for writing) never closes a file under a reader.
type Logs struct {
	dirs []string

	mu     sync.RWMutex
	files  map[uint64]*logFile
	nextID uint64
}

type logFile struct {
	path string
	f    *os.File // read handle, opened lazily
	once sync.Once
	err  error
}

// Open finds the logs in dirs (creating the directories).
func Open(dirs []string) (*Logs, error) {
	if len(dirs) == 0 {
		return nil, errors.New("entrylog: no ledger directories")
	}
	l := &Logs{dirs: dirs, files: map[uint64]*logFile{}, nextID: 1}
	for _, dir := range dirs {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("entrylog: create %s: %w", dir, err)
		}
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("entrylog: list %s: %w", dir, err)
		}
		for _, e := range ents {
			name := e.Name()
			if e.IsDir() || !strings.HasSuffix(name, logSuffix) {
				continue
			}
			id, err := strconv.ParseUint(strings.TrimSuffix(name, logSuffix), 16, 64)
			if err != nil {
				continue
			}
			l.files[id] = &logFile{path: filepath.Join(dir, name)}
			l.nextID = max(l.nextID, id+1)
		}
	}
	return l, nil
}

// IDs returns the ids of all logs, ascending.
func (l *Logs) IDs() []uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	ids := make([]uint64, 0, len(l.files))
	for id := range l.files {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// Size returns a log's file size.
func (l *Logs) Size(id uint64) (int64, error) {
	l.mu.RLock()
	lf := l.files[id]
	l.mu.RUnlock()
	if lf == nil {
		return 0, fmt.Errorf("%w: %d", ErrNoSuchLog, id)
	}
	st, err := os.Stat(lf.path)
	if err != nil {
		return 0, fmt.Errorf("entrylog: stat log %d: %w", id, err)
	}
	return st.Size(), nil
}

// Create starts a new log in the ledger directory with the most free space.
func (l *Logs) Create() (*Writer, error) {
	dir := l.emptiestDir()
	l.mu.Lock()
	id := l.nextID
	l.nextID++
	path := filepath.Join(dir, fmt.Sprintf("%016x%s", id, logSuffix))
	l.mu.Unlock()

	a, err := appendfile.Create(path, writeBufferSize)
	if err != nil {
		return nil, fmt.Errorf("entrylog: create log: %w", err)
	}
	var hdr [headerSize]byte
	copy(hdr[:], magic[:])
	a.Append(hdr[:])
	if err := syncDir(dir); err != nil {
		a.Close()
		return nil, err
	}
	l.mu.Lock()
	l.files[id] = &logFile{path: path}
	l.mu.Unlock()
	return &Writer{id: id, path: path, a: a}, nil
}

func (l *Logs) emptiestDir() string {
	best, bestFree := l.dirs[0], uint64(0)
	for _, d := range l.dirs {
		if u, err := disk.Stat(d); err == nil && u.Free > bestFree {
			best, bestFree = d, u.Free
		}
	}
	return best
}

// Read returns the payload at loc, checking that the record is intact and belongs to
// (ledgerID, entryID). The returned slice is freshly allocated.
func (l *Logs) Read(loc Location, ledgerID, entryID int64) ([]byte, error) {
	if loc.Size < RecordOverhead {
		return nil, fmt.Errorf("%w: location %+v", ErrCorrupt, loc)
	}
	buf := make([]byte, loc.Size)
	l.mu.RLock()
	defer l.mu.RUnlock()
	f, err := l.readHandle(loc.LogID)
	if err != nil {
		return nil, err
	}
	if _, err := f.ReadAt(buf, loc.Offset); err != nil {
		return nil, fmt.Errorf("entrylog: read log %d at %d: %w", loc.LogID, loc.Offset, err)
	}
	lid, eid, data, err := decodeRecord(buf)
	if err != nil {
		return nil, fmt.Errorf("entrylog: log %d at %d: %w", loc.LogID, loc.Offset, err)
	}
	if lid != ledgerID || eid != entryID {
		return nil, fmt.Errorf("%w: log %d at %d holds %d/%d, want %d/%d", ErrCorrupt, loc.LogID, loc.Offset, lid, eid, ledgerID, entryID)
	}
	return data, nil
}

// readHandle returns the open read handle of a log; l.mu must be held (either way).
func (l *Logs) readHandle(id uint64) (*os.File, error) {
	lf := l.files[id]
	if lf == nil {
		return nil, fmt.Errorf("%w: %d", ErrNoSuchLog, id)
	}
	lf.once.Do(func() { lf.f, lf.err = os.Open(lf.path) })
	if lf.err != nil {
		return nil, fmt.Errorf("entrylog: open log %d: %w", id, lf.err)
	}
	return lf.f, nil
}

// Remove deletes a log file. Callers make sure the index no longer points into it.
func (l *Logs) Remove(id uint64) error {
	l.mu.Lock()
	lf := l.files[id]
	delete(l.files, id)
	l.mu.Unlock()
	if lf == nil {
		return nil
	}
	if lf.f != nil {
		lf.f.Close()
	}
	if err := os.Remove(lf.path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("entrylog: remove log %d: %w", id, err)
	}
	return syncDir(filepath.Dir(lf.path))
}

// Close closes the read handles.
func (l *Logs) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, lf := range l.files {
		if lf.f != nil {
			lf.f.Close()
			lf.f = nil
			lf.once = sync.Once{}
		}
	}
	return nil
}

// Scan calls fn for every intact record of a log, in file order, stopping quietly at the
// first record that is cut short or corrupt (a tail written before a crash and never
// indexed). data is only valid during the call.
func (l *Logs) Scan(id uint64, fn func(loc Location, ledgerID, entryID int64, data []byte) error) error {
	l.mu.RLock()
	lf := l.files[id]
	l.mu.RUnlock()
	if lf == nil {
		return fmt.Errorf("%w: %d", ErrNoSuchLog, id)
	}
	f, err := os.Open(lf.path)
	if err != nil {
		return fmt.Errorf("entrylog: open log %d: %w", id, err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var hdr [headerSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil || [8]byte(hdr[:8]) != magic {
		return fmt.Errorf("%w: log %d has no valid header", ErrCorrupt, id)
	}
	off := int64(headerSize)
	var buf []byte
	for {
		var fh [frameHeader]byte
		if _, err := io.ReadFull(r, fh[:]); err != nil {
			return nil
		}
		n := int(binary.BigEndian.Uint32(fh[:]))
		if n < idsSize || n > 1<<30 {
			return nil
		}
		if cap(buf) < frameHeader+n {
			buf = make([]byte, frameHeader+n)
		}
		buf = buf[:frameHeader+n]
		copy(buf, fh[:])
		if _, err := io.ReadFull(r, buf[frameHeader:]); err != nil {
			return nil
		}
		lid, eid, data, err := decodeRecord(buf)
		if err != nil {
			return nil
		}
		loc := Location{LogID: id, Offset: off, Size: uint32(len(buf))}
		if err := fn(loc, lid, eid, data); err != nil {
			return err
		}
		off += int64(len(buf))
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("entrylog: open dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("entrylog: sync dir %s: %w", dir, err)
	}
	return nil
}

// NextID is the id the next created log will get.
func (l *Logs) NextID() uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.nextID
}
