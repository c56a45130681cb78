//go:build exercise

package main

// add appends e to the room's log (h.ring, a ring of entries; h.head is
// the number of the next one) and wakes the writers waiting for more
// (close h.wake, then make a new one). The caller holds h.mu.
//
// Entry n goes into slot n%len(h.ring), where entry n-len(h.ring) was. A
// client whose writer has not looked at that older entry yet (its next is
// not past it) is a whole log behind: evict it first (h.evictBehind does
// it for every such client, and h.oldest tells you cheaply whether there
// can be any). Never wait for a client here.
//
// Read docs/06-broadcast.md, "Your turn". Hint: set e.n before you store
// it: take uses it to see whether a slot was reused.
func (h *hub) add(e entry) {
	// TODO: evict whoever would lose an entry, store e, move head, wake the writers.
}

// take appends to batch the frames meant for cl (e.isFor(cl)) from its
// place in the log (cl.next) on, at most cap(batch) of them, and moves
// cl.next past every entry it looked at, meant for cl or not. It returns
// the batch and h.wake, which a writer with nothing to write waits on. It
// takes h.mu itself.
//
// A client that has left (cl.left) reads only the entries before cl.stop;
// an evicted one (cl.evicted) reads nothing more. An entry whose n is not
// the number you looked for was overwritten: stop there.
//
// Hint: cap(batch), not len(batch), is how many frames fit.
func (h *hub) take(cl *client, batch [][]byte) ([][]byte, <-chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	// TODO: collect cl's frames from the log, and move its place on.
	return batch, h.wake
}

// leave takes cl out of the room when its connection ends (h.remove, which
// also stops its writer), then calls h.onLeave so the others hear it. It
// may be called more than once for a client: only the first call counts
// (cl.left records it). A client that was evicted is out of the room
// already, and still gets its onLeave.
//
// Hint: do not hold h.mu while onLeave runs; it sends to the room, and
// sending takes h.mu.
func (h *hub) leave(cl *client) {
	// TODO: take cl out of the room, once, then tell the application.
}
