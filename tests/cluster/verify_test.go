package cluster

import (
	"strings"
	"testing"
)

// TestVerify checks the checker: the tests above are only as strict as verify.
func TestVerify(t *testing.T) {
	p := func(e int64) msgPos { return msgPos{Ledger: 7, Entry: e, Batch: -1} }
	r := func(seq int, e int64) received { return received{Seq: seq, Pos: p(e)} }
	acked := map[int]msgPos{0: p(0), 1: p(1), 2: p(2)}
	cases := []struct {
		name      string
		acked     map[int]msgPos
		mayRepeat map[int]bool
		got       []received
		want      []string // substrings of the problems, in order; none: clean
	}{
		{"all there", acked, nil, []received{r(0, 0), r(1, 1), r(2, 2)}, nil},
		{"unacknowledged extra is fine", acked, nil, []received{r(0, 0), r(1, 1), r(2, 2), r(3, 3)}, nil},
		{"lost", acked, nil, []received{r(0, 0), r(2, 2)}, []string{"lost: acknowledged message 1"}},
		{"reordered", acked, nil, []received{r(0, 0), r(2, 2), r(1, 1)}, []string{"out of order: message 1"}},
		{"duplicate", acked, nil, []received{r(0, 0), r(1, 1), r(1, 3), r(2, 2)}, []string{"duplicate: message 1"}},
		{"delivered twice", acked, map[int]bool{1: true}, []received{r(0, 0), r(1, 1), r(1, 1), r(2, 2)}, []string{"delivered twice: message 1"}},
		{"resent in flight may repeat", map[int]msgPos{0: p(0), 1: p(3), 2: p(4)}, map[int]bool{1: true, 2: true},
			[]received{r(0, 0), r(1, 1), r(2, 2), r(1, 3), r(2, 4)}, nil},
		{"moved", acked, nil, []received{r(0, 0), r(1, 5), r(2, 6)}, []string{"moved: acknowledged message 1", "moved: acknowledged message 2"}},
		{"empty topic", acked, nil, nil, []string{"lost: acknowledged message 0", "lost: acknowledged message 1", "lost: acknowledged message 2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := verify(c.acked, c.mayRepeat, c.got)
			if len(got) != len(c.want) {
				t.Fatalf("problems %q, want %d matching %q", got, len(c.want), c.want)
			}
			for i := range got {
				if !strings.Contains(got[i], c.want[i]) {
					t.Errorf("problem %d is %q, want it to mention %q", i, got[i], c.want[i])
				}
			}
		})
	}
}
