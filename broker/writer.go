package broker

import (
	"log/slog"
	"net"
	"sync"

	"github.com/magnetar/magnetar/wire"
	"github.com/magnetar/magnetar/wire/pb"
)

// keepWriteBuf bounds the spare buffer a writer keeps between flushes.
const keepWriteBuf = 1 << 20

// writer sends a connection's frames. Any goroutine appends encoded frames to a buffer
// under a short lock and never blocks on the socket; one goroutine writes whatever has
// accumulated with a single Write. Frames produced while a write is in flight go out
// together in the next one, so a busy connection makes few large writes and an idle one
// flushes at once.
type writer struct {
	nc  net.Conn
	log *slog.Logger

	mu     sync.Mutex
	buf    []byte
	closed bool // no more frames accepted
	failed bool // the socket failed; frames are dropped

	wake chan struct{} // capacity 1: "buf has data or closed changed"
	done chan struct{} // closed when run returns
}

func newWriter(nc net.Conn, log *slog.Logger) *writer {
	return &writer{nc: nc, log: log, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// send queues a simple command. It reports false if the writer is closed or the command
// could not be encoded (a bug: a required field missing).
func (w *writer) send(cmd *pb.BaseCommand) bool {
	return w.sendMessage(cmd, nil)
}

// sendMessage queues a command followed by a stored entry's bytes (MESSAGE).
func (w *writer) sendMessage(cmd *pb.BaseCommand, payload []byte) bool {
	w.mu.Lock()
	if w.closed || w.failed {
		w.mu.Unlock()
		return false
	}
	var err error
	w.buf, err = wire.AppendPayloadCommand(w.buf, cmd, payload)
	w.mu.Unlock()
	if err != nil {
		w.log.Error("cannot encode frame", "type", cmd.GetType(), "err", err)
		return false
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return true
}

// close stops accepting frames; run flushes what is queued and returns.
func (w *writer) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// run writes queued frames until close (after a final flush) or a socket error.
func (w *writer) run() {
	defer close(w.done)
	var spare []byte
	for range w.wake {
		for {
			w.mu.Lock()
			if len(w.buf) == 0 {
				closed := w.closed
				w.mu.Unlock()
				if closed {
					return
				}
				break
			}
			// Swap buffers: callers append to spare while out is written. spare never
			// aliases w.buf, or appends would overwrite bytes being written.
			out := w.buf
			w.buf, spare = spare[:0], nil
			w.mu.Unlock()
			if _, err := w.nc.Write(out); err != nil {
				w.mu.Lock()
				w.failed, w.buf = true, nil
				w.mu.Unlock()
				return
			}
			if cap(out) <= keepWriteBuf {
				spare = out[:0]
			} else {
				spare = nil
			}
		}
	}
}
