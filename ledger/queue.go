package ledger

// queue is a FIFO ring of pending adds, oldest (lowest entry id) first.
type queue struct {
	buf  []*pendingAdd
	head int
	n    int
}

func (q *queue) len() int { return q.n }

func (q *queue) at(i int) *pendingAdd { return q.buf[(q.head+i)%len(q.buf)] }

func (q *queue) front() *pendingAdd { return q.buf[q.head] }

func (q *queue) push(p *pendingAdd) {
	if q.n == len(q.buf) {
		nb := make([]*pendingAdd, max(16, 2*len(q.buf)))
		for i := 0; i < q.n; i++ {
			nb[i] = q.at(i)
		}
		q.buf, q.head = nb, 0
	}
	q.buf[(q.head+q.n)%len(q.buf)] = p
	q.n++
}

func (q *queue) pop() *pendingAdd {
	p := q.buf[q.head]
	q.buf[q.head] = nil
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	return p
}
