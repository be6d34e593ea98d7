package index

import (
	"bytes"
	"testing"

	"github.com/magnetar/magnetar/bookie/entrylog"
	"github.com/magnetar/magnetar/bookie/journal"
)

func TestLedgerMetaRoundTrip(t *testing.T) {
	cases := []LedgerMeta{
		{ExplicitLAC: -1},
		{MasterKey: []byte{}, KeySet: true, ExplicitLAC: -1},
		{MasterKey: bytes.Repeat([]byte{0xab}, 20), KeySet: true, Fenced: true, ExplicitLAC: 1 << 40},
	}
	for _, m := range cases {
		got, err := decodeMeta(encodeMeta(m))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.MasterKey, m.MasterKey) || got.KeySet != m.KeySet || got.Fenced != m.Fenced || got.ExplicitLAC != m.ExplicitLAC {
			t.Fatalf("round trip of %+v gave %+v", m, got)
		}
	}
	for _, bad := range [][]byte{nil, {1}, append(encodeMeta(cases[2]), 0), {2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}} {
		if _, err := decodeMeta(bad); err == nil {
			t.Fatalf("decodeMeta(%x) succeeded", bad)
		}
	}
}

func TestIndexSurvivesReopenAndDeleteLedger(t *testing.T) {
	dir := t.TempDir()
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{1, 2} {
		if err := d.PutLedger(id, LedgerMeta{MasterKey: []byte("k"), KeySet: true, ExplicitLAC: -1}); err != nil {
			t.Fatal(err)
		}
	}
	b := d.NewBatch()
	for _, id := range []int64{1, 2} {
		for e := int64(0); e < 10; e++ {
			if err := b.SetLocation(id, e, entrylog.Location{LogID: 3, Offset: 16 + e*100, Size: 100}); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.SetLAC(id, 8); err != nil {
			t.Fatal(err)
		}
		if err := b.SetUsage(3, id, 1000); err != nil {
			t.Fatal(err)
		}
	}
	cp := journal.Position{Segment: 4, Offset: 1234}
	if err := b.SetCheckpoint(cp); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteLedger(1, journal.Position{Segment: 4, Offset: 2000}); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}

	d, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if got, err := d.Checkpoint(); err != nil || got != cp {
		t.Fatalf("checkpoint %v, %v; want %v", got, err, cp)
	}
	if _, ok, _ := d.Location(1, 5); ok {
		t.Fatal("entry of a deleted ledger still indexed")
	}
	if _, ok, _ := d.Ledger(1); ok {
		t.Fatal("metadata of a deleted ledger still present")
	}
	if _, ok, _ := d.LAC(1); ok {
		t.Fatal("lac of a deleted ledger still present")
	}
	if lac, ok, err := d.LAC(2); !ok || err != nil || lac != 8 {
		t.Fatalf("lac of ledger 2: %d %v %v, want 8", lac, ok, err)
	}
	loc, ok, err := d.Location(2, 9)
	if err != nil || !ok || loc != (entrylog.Location{LogID: 3, Offset: 916, Size: 100}) {
		t.Fatalf("location of 2/9: %+v %v %v", loc, ok, err)
	}
	var ids []int64
	d.Ledgers(func(id int64, m LedgerMeta) error { ids = append(ids, id); return nil })
	if len(ids) != 1 || ids[0] != 2 {
		t.Fatalf("ledgers %v, want [2]", ids)
	}
	if gone, err := d.Deleted(1); err != nil || !gone {
		t.Fatalf("Deleted(1) = %v, %v; want true", gone, err)
	}
	if gone, err := d.Deleted(2); err != nil || gone {
		t.Fatalf("Deleted(2) = %v, %v; want false", gone, err)
	}
	u, err := d.Usage()
	if err != nil || u[3][1] != 1000 || u[3][2] != 1000 {
		t.Fatalf("usage %v %v", u, err)
	}
	b = d.NewBatch()
	b.DeleteUsage(3)
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if u, _ := d.Usage(); len(u) != 0 {
		t.Fatalf("usage after delete: %v", u)
	}
}
