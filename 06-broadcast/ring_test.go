package main

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestTakeStopsAtAnOverwrittenEntry: a client that has left still has its
// writer flush what was said before it left, but no one keeps the log for
// it any more: if the ring has come round over its place meanwhile, those
// slots hold newer lines, said after it left, and take must give none of
// them. The log is filled by hand here, so that only take is tested.
func TestTakeStopsAtAnOverwrittenEntry(t *testing.T) {
	h, _ := testHub(t, 4)
	bob := h.member(t, "bob")
	h.mu.Lock()
	for n := range uint64(10) { // entries 0 to 9; the ring holds 6 to 9
		h.ring[n%4] = entry{n: n, frame: fmt.Appendf(nil, "line %d", n)}
	}
	h.head = 10
	delete(h.clients, bob)
	bob.left, bob.next, bob.stop = true, 3, 5 // he left after entry 4, having read 0 to 2
	h.mu.Unlock()

	assert.Empty(t, frames(h, bob), "entries 3 and 4 were overwritten by 7 and 8: said after bob left, not for him")

	h.mu.Lock()
	bob.next = 6 // had he read up to 5, and left after 8
	bob.stop = 9
	h.mu.Unlock()
	assert.Equal(t, []string{"line 6", "line 7", "line 8"}, frames(h, bob), "what the ring still holds from before he left")
}
