package ledger

import "testing"

func TestWriteSetMask(t *testing.T) {
	tests := []struct {
		e       int64
		ens, wq int
		want    uint64
	}{
		{0, 3, 2, 0b011},
		{1, 3, 2, 0b110},
		{2, 3, 2, 0b101}, // wraps around
		{5, 3, 2, 0b101},
		{7, 5, 3, 0b11100},
		{8, 5, 3, 0b11001},
		{4, 3, 3, 0b111},
	}
	for _, tc := range tests {
		if got := writeSetMask(tc.e, tc.ens, tc.wq); got != tc.want {
			t.Errorf("writeSetMask(%d, E=%d, Qw=%d) = %b, want %b", tc.e, tc.ens, tc.wq, got, tc.want)
		}
	}
}

// covered decides when fencing is enough: no write set may keep an ack quorum of
// bookies that did not answer.
func TestCovered(t *testing.T) {
	tests := []struct {
		name        string
		answered    uint64
		ens, wq, aq int
		want        bool
	}{
		{"3/2/2 one of three", 0b001, 3, 2, 2, false}, // set {1,2} could still ack
		{"3/2/2 two of three", 0b011, 3, 2, 2, true},
		{"3/2/2 none", 0, 3, 2, 2, false},
		{"3/3/2 one", 0b100, 3, 3, 2, false},
		{"3/3/2 two", 0b101, 3, 3, 2, true},
		{"3/3/3 one", 0b010, 3, 3, 3, true},
		{"4/2/2 alternate", 0b0101, 4, 2, 2, true},
		{"4/2/2 adjacent", 0b0011, 4, 2, 2, false}, // set {2,3} untouched
		{"5/3/2 two apart", 0b00101, 5, 3, 2, false},
		{"5/3/2 three", 0b10101, 5, 3, 2, false}, // set {1,2,3} has one answer, needs two
		{"5/3/2 four", 0b10111, 5, 3, 2, true},
		{"1/1/1", 0b1, 1, 1, 1, true},
	}
	for _, tc := range tests {
		if got := covered(tc.answered, tc.ens, tc.wq, tc.aq); got != tc.want {
			t.Errorf("%s: covered(%b) = %v, want %v", tc.name, tc.answered, got, tc.want)
		}
	}
}
