package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The room's exercises (broadcast.go) tested alone: a hub with a small
// log, and clients put in by hand, with no writer goroutine, so that each
// test decides when a client's writer "reads" (take).

// testHub is a hub whose log holds size entries; what it logs is kept.
func testHub(t *testing.T, size int) (*hub, *logLines) {
	logs := newLogLines()
	return newHub(log.New(logs, "", 0), size), logs
}

// member puts a client called name into h as join does, but starts no
// writer: the test calls take itself. What is written to its socket is
// read and dropped, so that a wrong add that writes to the clients itself
// fails these tests instead of hanging them (stalledMember's socket is
// never read).
func (h *hub) member(t *testing.T, name string) *client {
	cl, peer := h.stalledMember(t, name)
	go io.Copy(io.Discard, peer)
	return cl
}

// stalledMember is member, but no one reads the client's socket: a write
// to it blocks, as to a client that stopped reading. It returns the other
// end of the socket.
func (h *hub) stalledMember(t *testing.T, name string) (*client, net.Conn) {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	cl := &client{name: name, conn: &conn{netConn: a}, gone: make(chan struct{}), ended: make(chan struct{}), wrote: make(chan struct{}), drained: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	cl.next = h.head
	h.clients[cl] = struct{}{}
	h.names[nameKey(name)] = cl
	return cl, b
}

// frames returns what take gives cl now, as strings.
func frames(h *hub, cl *client) []string {
	batch, _ := h.take(cl, make([][]byte, 0, maxBatch))
	var got []string
	for _, f := range batch {
		got = append(got, string(f))
	}
	return got
}

// say adds a text entry for everyone but except, under the lock, as
// broadcast does.
func say(h *hub, text string, except *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.add(entry{frame: []byte(text), except: except})
}

// logged returns the texts of the entries the log holds, oldest first. A
// slot that holds another entry than its number says is shown as such.
func logged(h *hub) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	size := uint64(len(h.ring))
	var got []string
	for n := h.head - min(h.head, size); n < h.head; n++ {
		e := h.ring[n%size]
		if e.n != n {
			got = append(got, fmt.Sprintf("(slot of entry %d holds entry %d)", n, e.n))
			continue
		}
		got = append(got, string(e.frame))
	}
	return got
}

// caughtUp moves cl's place to the head, as its writer's take would: the
// add tests do not depend on take.
func caughtUp(h *hub, cl *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	cl.next = h.head
}

// logByHand puts entries into the log the way add does, without evicting
// or waking anyone: the take tests do not depend on add.
func logByHand(h *hub, entries ...entry) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range entries {
		e.n = h.head
		h.ring[h.head%uint64(len(h.ring))] = e
		h.head++
	}
}

// text is an entry for everyone.
func text(s string) entry { return entry{frame: []byte(s)} }

// leftByHand takes cl out of the room the way leave does, without
// onLeave: the take tests do not depend on leave.
func leftByHand(h *hub, cl *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	cl.left = true
	h.remove(cl)
}

func inRoom(h *hub, cl *client) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, in := h.clients[cl]
	return in
}

func TestAddPutsEntriesInOrderAndWakesTheWriters(t *testing.T) {
	h, _ := testHub(t, 4)
	ann := h.member(t, "ann")
	h.mu.Lock()
	wake := h.wake
	h.mu.Unlock()

	say(h, "one", nil)
	assert.True(t, isDone(wake), "a writer waiting on the wake channel must wake when an entry is added")
	h.mu.Lock()
	assert.False(t, isDone(h.wake), "the next wake channel is a new, open one")
	assert.Equal(t, uint64(1), h.head, "head counts the entries added")
	h.mu.Unlock()

	say(h, "two", nil)
	say(h, "three", nil)
	assert.Equal(t, []string{"one", "two", "three"}, logged(h), "the log holds the entries in order, each numbered")
	assert.True(t, inRoom(h, ann))
}

func TestAddWrapsAroundTheLog(t *testing.T) {
	h, _ := testHub(t, 4)
	ann := h.member(t, "ann")
	for i := range 10 {
		say(h, fmt.Sprint(i), nil)
		got := logged(h)
		if !assert.NotEmpty(t, got, "after entry %d the log holds nothing", i) ||
			!assert.Equal(t, fmt.Sprint(i), got[len(got)-1], "entry %d, after the log has wrapped %d times: the log holds %q", i, i/4, got) {
			break
		}
		caughtUp(h, ann)
	}
	assert.Len(t, logged(h), 4, "a log of 4 holds the last 4 entries")
	assert.True(t, inRoom(h, ann), "a client that keeps up is never evicted")
}

// TestAddEvictsAClientAWholeLogBehind: with a log of 4, a client may be 4
// entries behind (it has not read the last 4); the 5th would overwrite
// its oldest unread entry, so it is evicted first, and the others keep
// every entry.
func TestAddEvictsAClientAWholeLogBehind(t *testing.T) {
	h, logs := testHub(t, 4)
	slow := h.member(t, "slow")
	ann := h.member(t, "ann")
	for i := range 4 {
		say(h, fmt.Sprint(i), nil)
		caughtUp(h, ann)
	}
	assert.True(t, inRoom(h, slow), "4 entries behind a log of 4 is not too far yet")

	say(h, "4", nil)
	assert.False(t, inRoom(h, slow), "the 5th entry would overwrite what slow has not read: it must be evicted")
	assert.True(t, isDone(slow.gone), "eviction stops its writer (h.evict)")
	assert.True(t, slow.evicted)
	assert.Contains(t, logs.String(), "slow is 4 messages behind the room")
	assert.True(t, inRoom(h, ann), "ann keeps up: she stays")
	assert.Equal(t, []string{"1", "2", "3", "4"}, logged(h))
}

func TestAddNeverWaitsForAClient(t *testing.T) {
	h, _ := testHub(t, 2)
	h.stalledMember(t, "stalled") // never takes, and its socket is never read
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 100 {
			say(h, fmt.Sprint(i), nil)
		}
	}()
	select {
	case <-done:
	case <-time.After(timeout):
		t.Fatal("adding to the log waited for a client that does not read")
	}
}

func TestTakeSkipsWhatIsNotForTheClient(t *testing.T) {
	h, _ := testHub(t, 16)
	ann := h.member(t, "ann")
	bob := h.member(t, "bob")
	logByHand(h, entry{frame: []byte("* bob joined"), except: bob}, entry{frame: []byte("* welcome, bob!"), to: bob}, text("ann: hi"))

	assert.Equal(t, []string{"* bob joined", "ann: hi"}, frames(h, ann), "ann gets the broadcasts, not bob's welcome")
	assert.Equal(t, []string{"* welcome, bob!", "ann: hi"}, frames(h, bob), "bob gets his welcome, not the news of his own joining")
	assert.Empty(t, frames(h, ann), "what was taken is not taken again")
	h.mu.Lock()
	assert.Equal(t, h.head, ann.next, "take moves the client's place past every entry it looked at")
	assert.Equal(t, h.head, bob.next)
	h.mu.Unlock()
}

func TestTakeReturnsAtMostABatch(t *testing.T) {
	h, _ := testHub(t, 64)
	ann := h.member(t, "ann")
	for i := range 40 {
		logByHand(h, text(fmt.Sprint(i)))
	}
	var got []string
	for range 3 {
		batch := frames(h, ann)
		assert.LessOrEqual(t, len(batch), maxBatch, "take fills the batch up to its capacity, no further")
		got = append(got, batch...)
	}
	require.Len(t, got, 40)
	assert.Equal(t, "39", got[len(got)-1])
}

func TestTakeGivesTheWakeChannel(t *testing.T) {
	h, _ := testHub(t, 4)
	ann := h.member(t, "ann")
	batch, wake := h.take(ann, make([][]byte, 0, maxBatch))
	assert.Empty(t, batch)
	h.mu.Lock()
	defer h.mu.Unlock()
	assert.True(t, wake != nil && wake == h.wake, "a writer with nothing to write waits on h.wake, which the next add closes")
}

func TestTakeGivesAnEvictedClientNothing(t *testing.T) {
	h, _ := testHub(t, 8)
	bob := h.member(t, "bob")
	logByHand(h, text("one"), text("two"))
	h.mu.Lock()
	h.evict(bob)
	h.mu.Unlock()
	assert.Empty(t, frames(h, bob), "an evicted client gets close 1008, not what it missed")
}

func TestTakeAfterLeavingFlushesOnlyWhatCameBefore(t *testing.T) {
	h, _ := testHub(t, 8)
	ann := h.member(t, "ann")
	bob := h.member(t, "bob")
	logByHand(h, text("before"))
	leftByHand(h, bob)
	logByHand(h, text("after"))
	assert.Equal(t, []string{"before"}, frames(h, bob), "what was said before bob left still goes to him; nothing after")
	assert.Equal(t, []string{"before", "after"}, frames(h, ann))
}

func TestLeaveTakesTheClientOutAndTellsTheRoomOnce(t *testing.T) {
	h, _ := testHub(t, 8)
	var left []string
	h.onLeave = func(cl *client) { left = append(left, cl.name) }
	h.member(t, "ann")
	bob := h.member(t, "bob")

	h.leave(bob)
	assert.False(t, inRoom(h, bob), "bob is out of the room")
	assert.True(t, isDone(bob.gone), "his writer is told to stop")
	assert.Equal(t, []string{"bob"}, left, "onLeave runs for him")
	h.leave(bob)
	assert.Equal(t, []string{"bob"}, left, "a second leave changes nothing")

	h.mu.Lock()
	assert.Equal(t, "bob", h.uniqueName("bob"), "his name is free again")
	h.mu.Unlock()
}

func TestLeaveAfterAnEvictionAnnouncesItOnce(t *testing.T) {
	h, _ := testHub(t, 2)
	var left []string
	h.onLeave = func(cl *client) { left = append(left, cl.name) }
	slow := h.member(t, "slow")
	h.member(t, "ann")
	h.mu.Lock()
	h.evict(slow) // as add does for a client a whole log behind
	h.mu.Unlock()
	h.announceDropped() // as broadcast does after add: leave, for each evicted client
	require.True(t, slow.evicted)
	assert.Equal(t, []string{"slow"}, left, "the room hears at once that an evicted client left")
	assert.NotPanics(t, func() { h.leave(slow) }, "leave after an eviction must not stop the writer twice")
	assert.Equal(t, []string{"slow"}, left, "and must not announce it again")
}

func TestLeaveDoesNotHoldTheLockForOnLeave(t *testing.T) {
	h, _ := testHub(t, 8)
	bob := h.member(t, "bob")
	told := false
	h.onLeave = func(cl *client) {
		h.mu.Lock() // as sending to the room does
		told = true
		h.mu.Unlock()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.leave(bob)
	}()
	select {
	case <-done:
	case <-time.After(timeout):
		t.Fatal("leave did not return: does it hold h.mu while onLeave sends to the room?")
	}
	assert.True(t, told, "onLeave ran")
}

// TestLeaveTellsTheOthersNotTheClientThatLeft: onLeave runs once the
// client is out of the room, so the news of its leaving goes to the
// others and not to it (its writer flushes only what came before).
func TestLeaveTellsTheOthersNotTheClientThatLeft(t *testing.T) {
	h, _ := testHub(t, 8)
	h.member(t, "ann")
	bob := h.member(t, "bob")
	ran, stillIn := false, false
	h.onLeave = func(cl *client) {
		ran = true
		if h.mu.TryLock() { // if leave holds the lock, TestLeaveDoesNotHoldTheLockForOnLeave says so
			_, stillIn = h.clients[cl]
			h.mu.Unlock()
		}
	}
	h.leave(bob)
	assert.True(t, ran, "onLeave ran")
	assert.False(t, stillIn, "onLeave runs once bob is out of the room (h.remove first): what it sends must not go to him")
}

// TestBroadcastWhileClientsJoinAndLeave runs the room's operations from
// many goroutines at once; with -race, a map walked or changed without
// the lock shows up here.
func TestBroadcastWhileClientsJoinAndLeave(t *testing.T) {
	h, _ := testHub(t, 64)
	pipe, other := net.Pipe()
	t.Cleanup(func() { pipe.Close(); other.Close() })
	go io.Copy(io.Discard, other) // a wrong add that writes to the clients fails, not hangs
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				cl := &client{name: fmt.Sprintf("g%d-%d", g, i), conn: &conn{netConn: pipe}, gone: make(chan struct{}), wrote: make(chan struct{}), drained: make(chan struct{}, 1)}
				h.mu.Lock()
				h.clients[cl] = struct{}{}
				h.names[nameKey(cl.name)] = cl
				cl.next = h.head
				h.mu.Unlock()
				h.sendAll([]byte("hello"))
				frames(h, cl)
				h.leave(cl)
			}
		}()
	}
	wg.Wait()
	h.mu.Lock()
	defer h.mu.Unlock()
	assert.Empty(t, h.clients, "everyone left")
	assert.Empty(t, h.names)
}

func TestMembersCountsEveryoneAndNamesAtMostAFew(t *testing.T) {
	h, _ := testHub(t, 8)
	assert.Equal(t, 0, func() int { n, _ := h.members(nil, 3); return n }(), "an empty room")
	var all []string
	var newcomer *client
	for i := range 6 {
		newcomer = h.member(t, fmt.Sprintf("c%d", i))
		all = append(all, newcomer.name)
	}
	n, names := h.members(newcomer, 3)
	assert.Equal(t, 5, n, "everyone but the newcomer")
	assert.Len(t, names, 3, "no more names than asked for")
	assert.Subset(t, all[:5], names, "never the newcomer's own name")
	n, names = h.members(newcomer, 10)
	assert.Equal(t, 5, n)
	assert.ElementsMatch(t, all[:5], names, "all of them when there are few enough")

	// What a welcome costs does not grow with the room: in a room of
	// 1,000, one allocation of three names, as in a room of six.
	for i := range 1000 - 6 {
		h.clients[&client{name: fmt.Sprintf("x%d", i)}] = struct{}{}
	}
	assert.LessOrEqual(t, testing.AllocsPerRun(100, func() { h.members(newcomer, 3) }), 1.0)
	n, _ = h.members(newcomer, 3)
	assert.Equal(t, 999, n)
}
