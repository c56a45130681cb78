//go:build !exercise

package main

// add appends e to the room's log and wakes the writers. The caller holds
// h.mu. The log is a ring: entry n goes into the slot of entry
// n-len(h.ring), so a client whose writer has not yet looked at that
// entry would lose it. Such a client is a whole log behind the room: it is
// evicted first (evictBehind), and no one ever waits for it.
func (h *hub) add(e entry) {
	size := uint64(len(h.ring))
	if h.head >= size && h.oldest <= h.head-size {
		h.evictBehind(h.head - size)
	}
	e.n = h.head
	h.ring[h.head%size] = e
	h.head++
	close(h.wake) // every writer waiting for more wakes up
	h.wake = make(chan struct{})
}

// take appends to batch the frames meant for cl from its place in the log
// on, at most maxBatch of them, and moves its place past every entry it
// looked at. It also returns the channel that is closed when the next
// entry is added: a writer with nothing to write waits for it. A client
// that has left reads only up to where it left (stop); one that was
// evicted reads nothing more.
func (h *hub) take(cl *client, batch [][]byte) ([][]byte, <-chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	end := h.head
	switch {
	case cl.evicted:
		end = cl.next
	case cl.left:
		end = min(end, cl.stop)
	}
	size := uint64(len(h.ring))
	for cl.next < end && len(batch) < cap(batch) {
		e := &h.ring[cl.next%size]
		if e.n != cl.next {
			break // overwritten: only a client that left can be this far behind
		}
		cl.next++
		if e.isFor(cl) {
			batch = append(batch, e.frame)
		}
	}
	return batch, h.wake
}

// leave takes cl out of the room when its connection ends, stops its
// writer and calls onLeave, so the others hear it left. Only its first
// call counts: the connection's goroutine calls it when it is done, and
// earlier for a close frame (so that its writer sends what is queued
// before the answer). An evicted client is out of the room already, and
// still gets its onLeave.
func (h *hub) leave(cl *client) {
	h.mu.Lock()
	if cl.left {
		h.mu.Unlock()
		return
	}
	cl.left = true
	h.remove(cl)
	h.mu.Unlock()
	h.onLeave(cl)
}
