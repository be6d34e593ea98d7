package ledger

import (
	"time"
)

// One goroutine per client checks the add timeouts of its open writers; it runs only
// while there are writers.

// tickInterval is the timer's resolution: an eighth of the add timeout, within bounds.
func (c *client) tickInterval() time.Duration {
	return min(max(c.addTimeout/8, time.Millisecond), time.Second)
}

// timeoutTicks is the add timeout in ticks, rounded up.
func (c *client) timeoutTicks() int64 {
	iv := c.tickInterval()
	return int64((c.addTimeout + iv - 1) / iv)
}

func (c *client) register(w *writer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.writers == nil {
		c.writers = map[*writer]struct{}{}
	}
	c.writers[w] = struct{}{}
	if !c.ticking {
		c.ticking = true
		go c.runTimer()
	}
}

func (c *client) unregister(w *writer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.writers, w)
}

func (c *client) runTimer() {
	t := time.NewTicker(c.tickInterval())
	defer t.Stop()
	var ws []*writer
	for range t.C {
		c.mu.Lock()
		if len(c.writers) == 0 {
			c.ticking = false
			c.mu.Unlock()
			return
		}
		ws = ws[:0]
		for w := range c.writers {
			ws = append(ws, w)
		}
		c.mu.Unlock()
		for _, w := range ws {
			w.checkTimeouts()
		}
	}
}
