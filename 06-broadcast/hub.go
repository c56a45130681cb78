package main

import (
	"errors"
	"log"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// hub is the room: it owns the set of clients, lets them in (join), lets
// them out (leave), and passes each message on to every client. It has
// the shape of Pithikos/python-websocket-server's WebsocketServer: three
// hooks the application sets (a client joined, a client left, a message
// came) and two ways to send (to one client, to all). The chat (chat.go)
// is written on top of it; so is chapter 05's echo, in the tests.
//
// Nothing in the hub ever waits for a client. What the room says goes into
// one log of the last roomLog frames, shared by everyone; each client has
// a writer goroutine that follows the log at its own pace (its place, next)
// and writes what is meant for it. Adding to the log never waits: a client
// still a whole log behind when its oldest unread frame is about to be
// overwritten is too slow, and is evicted (close code 1008); the rest of
// the room carries on. The room holds at most roomLog frames, however many
// clients it has.
type hub struct {
	log *log.Logger

	// The application's hooks, set before the server starts. onJoin runs
	// on the new client's goroutine once it is in the room; onLeave once it
	// is out; onMessage for each message it sends (msg is valid only during
	// the call; a non-nil error fails the connection with its close code).
	onJoin    func(cl *client)
	onLeave   func(cl *client)
	onMessage func(cl *client, opcode byte, msg []byte) error

	pace *pacer // the room's pace: lines a second into the log, messages, welcomes and notices alike

	mu      sync.Mutex
	ring    []entry       // the log: entry number n is at ring[n%len(ring)]
	head    uint64        // the number of the next entry
	oldest  uint64        // no client in the room has next below this
	wake    chan struct{} // closed (and replaced) when an entry is added
	clients map[*client]struct{}
	names   map[string]*client // by nameKey: names are unique in the room
	guests  int                // guests named so far, for the next guest-N
	closing bool               // shutdown has begun: nothing more is sent
	dropped []*client          // evicted, and not yet announced (onLeave)
}

// entry is one frame in the room's log, and who it is for: one client
// (to), or everyone but one (except), or everyone.
type entry struct {
	n      uint64 // its number: tells a reader whether the slot was reused
	frame  []byte // made by prepareFrame; shared by every reader, never changed
	to     *client
	except *client
}

// for reports whether e is meant for cl.
func (e *entry) isFor(cl *client) bool {
	if e.to != nil {
		return e.to == cl
	}
	return e.except != cl
}

// client is one member of the room.
type client struct {
	name string
	conn *conn
	pace *pacer // how fast it may send

	// Guarded by hub.mu.
	next    uint64 // the number of the next log entry its writer looks at
	stop    uint64 // once it has left: the writer flushes the entries before this
	evicted bool   // it fell a whole log behind
	left    bool   // leave has run

	gone    chan struct{} // closed when it leaves the room (or is evicted): the writer stops
	ended   chan struct{} // closed when its connection is done with the room (end): the writer stops
	endOnce sync.Once
	wrote   chan struct{} // closed when the writer goroutine has returned
	drained chan struct{} // the writer took entries from the log (keepUp waits for it)
}

const (
	// roomLog is how many frames the room keeps: how far behind the room
	// a client may fall before it is evicted. Frames are shared, so the
	// room holds at most this many, whatever the number of clients.
	roomLog = 1024

	// maxBatch is the most frames a writer takes from the log for one
	// write: a burst goes out in one system call (writev), not one each.
	maxBatch = 16
)

func newHub(logger *log.Logger, logLen int) *hub {
	return &hub{
		log:       logger,
		onJoin:    func(*client) {},
		onLeave:   func(*client) {},
		onMessage: func(*client, byte, []byte) error { return nil },
		ring:      make([]entry, max(logLen, 1)),
		wake:      make(chan struct{}),
		clients:   make(map[*client]struct{}),
		names:     make(map[string]*client),
	}
}

// join puts a client for c into the room under a name of its own, starts
// its writer, and calls onJoin. It is in the room before anyone hears of
// it, so nothing said after its welcome can miss it.
func (h *hub) join(c *conn, wanted string) *client {
	cl := &client{
		conn:    c,
		gone:    make(chan struct{}),
		ended:   make(chan struct{}),
		wrote:   make(chan struct{}),
		drained: make(chan struct{}, 1),
	}
	h.mu.Lock()
	cl.name = h.uniqueName(wanted)
	cl.next = h.head // what was said before it came is not for it
	h.clients[cl] = struct{}{}
	h.names[nameKey(cl.name)] = cl
	h.mu.Unlock()
	go h.writeLoop(cl)
	h.onJoin(cl)
	return cl
}

// uniqueName returns wanted, or wanted-2, wanted-3, ... if it is taken,
// or guest-N if wanted is empty. The caller holds mu.
func (h *hub) uniqueName(wanted string) string {
	if wanted == "" {
		h.guests++
		wanted = "guest-" + strconv.Itoa(h.guests)
	}
	name := wanted
	for n := 2; h.names[nameKey(name)] != nil; n++ {
		suffix := "-" + strconv.Itoa(n)
		name = truncateRunes(wanted, maxNameLen-len(suffix)) + suffix
	}
	return name
}

// nameKey is what makes two names the same name: "Ann" and "ann" are one.
func nameKey(name string) string { return strings.ToLower(name) }

// send gives frame to one client (Pithikos' send_message).
func (h *hub) send(cl *client, frame []byte) {
	if !h.turn() {
		return
	}
	h.mu.Lock()
	if _, in := h.clients[cl]; in && !h.closing {
		h.add(entry{frame: frame, to: cl})
	}
	h.mu.Unlock()
	h.announceDropped()
}

// sendAll gives frame to every client (Pithikos' send_message_to_all).
func (h *hub) sendAll(frame []byte) { h.broadcast(frame, nil) }

// broadcast gives frame to every client in the room but except (nil: to
// all).
func (h *hub) broadcast(frame []byte, except *client) {
	if !h.turn() {
		return
	}
	h.mu.Lock()
	if !h.closing {
		h.add(entry{frame: frame, except: except})
	}
	h.mu.Unlock()
	h.announceDropped()
}

// turn waits for the room's pace (pace.go), without holding the lock, and
// reports whether the room still takes lines: after shutdown it does not,
// and no one waits.
func (h *hub) turn() bool {
	h.mu.Lock()
	closing := h.closing
	h.mu.Unlock()
	if closing {
		return false
	}
	h.pace.wait(nil)
	return true
}

// announceDropped lets the room hear at once that the clients add evicted
// have left (leave, and so onLeave), instead of when their connections
// end: a client that does not read can take -write-timeout to go. It runs
// after mu is released, since onLeave sends to the room.
func (h *hub) announceDropped() {
	for {
		h.mu.Lock()
		if len(h.dropped) == 0 {
			h.mu.Unlock()
			return
		}
		cl := h.dropped[0]
		h.dropped = h.dropped[1:]
		h.mu.Unlock()
		h.leave(cl)
	}
}

// evictBehind evicts every client whose next entry is number n or older:
// n is about to be overwritten. It then finds the new oldest place. The
// caller holds mu.
func (h *hub) evictBehind(n uint64) {
	h.oldest = h.head
	for cl := range h.clients {
		if cl.next <= n {
			h.evict(cl)
			continue
		}
		h.oldest = min(h.oldest, cl.next)
	}
}

// evict takes cl out of the room because it fell a whole log behind, and
// tells its writer to send close code 1008 instead of what it missed. The
// caller holds mu.
func (h *hub) evict(cl *client) {
	h.remove(cl)
	cl.evicted = true
	h.dropped = append(h.dropped, cl)
	h.log.Printf("%s: %s is %d messages behind the room; dropping it (close code %d)",
		cl.conn.netConn.RemoteAddr(), cl.name, len(h.ring), errTooSlow.code)
}

// remove takes cl out of the room and stops its writer, if it is still
// in; it reports whether it was. The caller holds mu.
func (h *hub) remove(cl *client) bool {
	if _, in := h.clients[cl]; !in {
		return false
	}
	delete(h.clients, cl)
	delete(h.names, nameKey(cl.name))
	cl.stop = h.head
	close(cl.gone)
	return true
}

// members returns how many are in the room besides except, and the names
// of at most most of them: a join in a room of thousands costs the same as
// one in a room of three.
func (h *hub) members(except *client, most int) (n int, names []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n = len(h.clients)
	if _, in := h.clients[except]; in {
		n--
	}
	names = make([]string, 0, min(n, most))
	for cl := range h.clients {
		if len(names) == cap(names) {
			break
		}
		if cl != except {
			names = append(names, cl.name)
		}
	}
	return n, names
}

// shutdown stops all sending: the server is closing every connection with
// 1001, and what its clients say on the way out goes to no one.
func (h *hub) shutdown() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closing = true
}

// writeLoop is a client's writer goroutine: it follows the room's log and
// writes what is meant for the client, several frames per write when they
// are waiting, until the client leaves. One that leaves gets what was
// added before it left (so its close answer comes after them); an evicted
// one gets close code 1008 instead.
func (h *hub) writeLoop(cl *client) {
	defer close(cl.wrote)
	batch := make([][]byte, 0, maxBatch)
	for {
		var wake <-chan struct{}
		batch, wake = h.take(cl, batch[:0])
		if len(batch) > 0 {
			select {
			case cl.drained <- struct{}{}:
			default:
			}
			err := cl.conn.writeFrames(batch)
			clear(batch) // let the frames go: they belong to the log
			if errors.Is(err, errCloseSent) {
				continue // closing: what is left goes nowhere
			}
			if err != nil {
				h.writeFailed(cl, err)
				return
			}
			continue
		}
		select {
		case <-wake:
		case <-cl.gone:
		case <-cl.ended:
		}
		if isDone(cl.gone) || isDone(cl.ended) {
			if h.wasEvicted(cl) {
				// The reader goroutine sees our close frame go out and
				// waits closeTimeout for the client's answer, then ends.
				cl.conn.writeClose(errTooSlow.code, errTooSlow.reason)
				return
			}
			h.flush(cl, batch)
			return
		}
	}
}

// end tells cl's writer that its connection is done with the room: it
// writes what is left for it, and returns. The connection's goroutine
// calls it after leave; more than once is harmless.
func (cl *client) end() {
	cl.endOnce.Do(func() { close(cl.ended) })
}

func isDone(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func (h *hub) wasEvicted(cl *client) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return cl.evicted
}

// flush writes, once cl has left, what the log still holds for it from
// before it left: a close frame sent after them comes after them.
func (h *hub) flush(cl *client, batch [][]byte) {
	for {
		batch, _ = h.take(cl, batch[:0])
		if len(batch) == 0 {
			return
		}
		err := cl.conn.writeFrames(batch)
		clear(batch)
		if err != nil {
			return
		}
	}
}

// writeFailed ends a client whose frames could not be written: the stream
// may have stopped in the middle of a frame, so nothing more can be sent.
// Closing the socket wakes its reader goroutine, which then leaves the
// room. A socket closed already means the client has left.
func (h *hub) writeFailed(cl *client, err error) {
	cl.conn.netConn.Close()
	peer := cl.conn.netConn.RemoteAddr()
	switch {
	case errors.Is(err, net.ErrClosed):
	case errors.Is(err, os.ErrDeadlineExceeded):
		h.log.Printf("%s: %s is not reading: a write took longer than %s; dropping", peer, cl.name, cl.conn.writeTimeout)
	default:
		h.log.Printf("%s: %s: writing: %v; dropping", peer, cl.name, err)
	}
}

// keepUp makes a client that sends wait, after each message, while its own
// writer is more than a quarter of the log behind. Everything a client
// sends comes back to it (the chat shows you your own line; the echo is
// nothing else), so a client cannot send faster than writers get the
// room's messages out: a burst of thousands of messages in one TCP segment
// would otherwise run a whole log ahead of writer goroutines that have not
// had their turn yet, and evict clients that are not slow at all. The wait
// ends when its writer catches up, or when it leaves.
func (h *hub) keepUp(cl *client) {
	for {
		h.mu.Lock()
		behind := h.head - cl.next
		h.mu.Unlock()
		if behind <= uint64(len(h.ring)/4) {
			return
		}
		select {
		case <-cl.drained:
		case <-cl.gone:
			return
		case <-cl.wrote: // a write failed: the connection is ending
			return
		}
	}
}

// received gives a message from cl to the application (onMessage), unless
// cl was evicted: then its connection ends with the eviction's code.
func (h *hub) received(cl *client, opcode byte, msg []byte) error {
	if h.wasEvicted(cl) {
		return errTooSlow
	}
	return h.onMessage(cl, opcode, msg)
}
