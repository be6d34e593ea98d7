package broker

import (
	"bufio"
	"bytes"
	"log/slog"
	"net"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/magnetar/magnetar/wire"
	"github.com/magnetar/magnetar/wire/pb"
)

// TestWriterKeepsFramesIntactUnderConcurrency: frames queued from many goroutines while
// the writer is busy arrive whole, each sender's in order — with a slow reader, so that
// buffers are swapped while appends go on.
func TestWriterKeepsFramesIntactUnderConcurrency(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()

	w := newWriter(server, slog.Default())
	go w.run()
	const senders, perSender = 8, 400
	var wg sync.WaitGroup
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perSender {
				payload := bytes.Repeat([]byte{byte(s*31 + i)}, 1+(i*97)%5000)
				cmd := wire.Wrap(&pb.CommandMessage{ConsumerId: proto.Uint64(uint64(s)), MessageId: wire.NewMessageID(uint64(i), uint64(len(payload)))})
				if !w.sendMessage(cmd, payload) {
					t.Error("send refused")
					return
				}
			}
		}()
	}
	r := wire.NewReader(bufio.NewReaderSize(client, 512), 1<<20)
	next := make([]int, senders)
	for n := 0; n < senders*perSender; n++ {
		var f wire.Frame
		if err := r.ReadFrame(&f); err != nil {
			t.Fatalf("frame %d: %v", n, err)
		}
		m := f.Cmd.GetMessage()
		s, i := int(m.GetConsumerId()), int(m.GetMessageId().GetLedgerId())
		if i != next[s] {
			t.Fatalf("sender %d: frame %d after %d", s, i, next[s]-1)
		}
		next[s]++
		want := bytes.Repeat([]byte{byte(s*31 + i)}, int(m.GetMessageId().GetEntryId()))
		if !bytes.Equal(f.Payload, want) {
			t.Fatalf("sender %d frame %d: payload corrupted", s, i)
		}
	}
	wg.Wait()
	w.close()
	<-w.done
}
