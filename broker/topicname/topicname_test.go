package topicname

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in        string
		want      string
		partition int
		wantErr   bool
	}{
		{in: "my-topic", want: "persistent://public/default/my-topic", partition: -1},
		{in: "t1/ns1/topic", want: "persistent://t1/ns1/topic", partition: -1},
		{in: "persistent://public/default/x", want: "persistent://public/default/x", partition: -1},
		{in: "non-persistent://public/default/x", want: "non-persistent://public/default/x", partition: -1},
		{in: "persistent://public/default/t-partition-3", want: "persistent://public/default/t-partition-3", partition: 3},
		{in: "persistent://public/default/t-partition-x", want: "persistent://public/default/t-partition-x", partition: -1},
		{in: "persistent://public/default/a:b=c.d", want: "persistent://public/default/a:b=c.d", partition: -1},
		{in: "", wantErr: true},
		{in: "a/b", wantErr: true},
		{in: "http://public/default/x", wantErr: true},
		{in: "persistent://public/default/", wantErr: true},
		{in: "persistent://public/default", wantErr: true},
		{in: "persistent://public/cluster/default/x", wantErr: true},
		{in: "persistent://pub lic/default/x", wantErr: true},
		{in: "persistent:///default/x", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			n, err := Parse(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("Parse(%q) = %v, %v; want ErrInvalid", tt.in, n, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n.String() != tt.want || n.Partition != tt.partition {
				t.Errorf("Parse(%q) = %s partition %d; want %s partition %d", tt.in, n, n.Partition, tt.want, tt.partition)
			}
		})
	}
}

func TestPartitions(t *testing.T) {
	n, err := Parse("persistent://public/default/orders")
	if err != nil {
		t.Fatal(err)
	}
	p := n.PartitionName(2)
	if p.String() != "persistent://public/default/orders-partition-2" || !p.IsPartition() {
		t.Errorf("partition 2 = %s (%v)", p, p.IsPartition())
	}
	if p.Base() != n {
		t.Errorf("base of %s = %s; want %s", p, p.Base(), n)
	}
	if p.PartitionName(5).String() != "persistent://public/default/orders-partition-5" {
		t.Errorf("partition of a partition = %s", p.PartitionName(5))
	}
	if n.NamespaceName() != "public/default" {
		t.Errorf("namespace = %s", n.NamespaceName())
	}
}

func TestPersistenceNameRoundTrip(t *testing.T) {
	for _, s := range []string{"persistent://public/default/plain", "persistent://t/n/with space&odd?chars", "non-persistent://t/n/x"} {
		n, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		pn := n.PersistenceName()
		back, err := FromPersistenceName(pn)
		if err != nil {
			t.Fatalf("%s: %v", pn, err)
		}
		if back != n {
			t.Errorf("round trip of %s via %s = %s", s, pn, back)
		}
	}
	if _, err := FromPersistenceName("a/b/c"); err == nil {
		t.Error("three-part persistence name accepted")
	}
}
