//go:build linux

package main

// The room of load clients, and the two measurements: a burst's fan-out,
// and the server's memory per idle connection.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// readWait bounds each frame read. It is longer than either server's
// keepalive interval (30 s for ours, 54 s for gorilla's chat), so a
// quiet but healthy connection never reaches it.
const readWait = 2 * time.Minute

// dialers is how many handshakes run at once.
const dialers = 32

// room is the load clients and what they received.
type room struct {
	base     time.Time // times below are nanoseconds since base
	senders  int
	messages int

	sentAt   []atomic.Int64 // per message (sender*messages + seq)
	arrivals []atomic.Int32 // per message: clients that got it
	lastAt   []atomic.Int64 // per message: when the last of them got it

	delivered  atomic.Int64 // first arrivals of a message at a client
	duplicates atomic.Int64
	tokenMsgs  atomic.Int64 // WebSocket messages that held at least one token
	notices    atomic.Int64 // lines without a token ("* c7 left"), counted from the burst on
	counting   atomic.Bool  // the burst has begun: count notices
	lastEvent  atomic.Int64 // when a client last got a message or connected
	sendErrors atomic.Int64
	all        chan struct{} // closed when every client has every message
	allOnce    sync.Once
	want       atomic.Int64 // deliveries that make "every client has every message"

	members  []*member   // those in the room; see keepLive
	opened   []*member   // every connection opened, for closeAll
	stopping atomic.Bool // we are closing the connections ourselves

	mu      sync.Mutex
	ends    map[string]int // why connections ended before we closed them
	readers sync.WaitGroup
}

// member is one load client.
type member struct {
	c     *wsConn
	seen  []bool // per message; only its reader touches it
	got   atomic.Int32
	ended atomic.Bool // its connection ended before we closed it
}

func newRoom(senders, messages int) *room {
	total := senders * messages
	return &room{
		base:     time.Now(),
		senders:  senders,
		messages: messages,
		sentAt:   make([]atomic.Int64, total),
		arrivals: make([]atomic.Int32, total),
		lastAt:   make([]atomic.Int64, total),
		all:      make(chan struct{}),
		ends:     make(map[string]int),
	}
}

func (r *room) now() int64 { return int64(time.Since(r.base)) }

// connect opens n connections to u and starts each one's reader. It
// joins them in waves of dialers handshakes at once; with storm false it
// waits after each wave until the room is quiet, so that the join
// notices of a wave have gone out before the next wave's start. It
// returns how many failed and the first failure.
func (r *room) connect(u *url.URL, n int, storm bool) (failed int, firstErr error) {
	for from := 0; from < n; from += dialers {
		f, err := r.connectWave(u, from, min(from+dialers, n))
		failed += f
		if firstErr == nil {
			firstErr = err
		}
		if !storm {
			r.settle(50*time.Millisecond, 5*time.Second)
		}
	}
	return failed, firstErr
}

// connectWave opens the connections numbered from to to-1 at once.
func (r *room) connectWave(u *url.URL, from, to int) (failed int, firstErr error) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := from; i < to; i++ {
		wg.Go(func() {
			cu := *u
			q := cu.Query()
			q.Set("name", "c"+strconv.Itoa(i))
			cu.RawQuery = q.Encode()
			c, err := dial(&cu, 10*time.Second)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed++
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			// A server may put a client in its room only after the 101
			// (gorilla's chat does): a quiet room counts from here.
			r.lastEvent.Store(r.now())
			m := &member{c: c, seen: make([]bool, len(r.sentAt))}
			r.members = append(r.members, m)
			r.opened = append(r.opened, m)
			r.readers.Add(1)
			go r.read(m)
		})
	}
	wg.Wait()
	return failed, firstErr
}

// read is a member's reader goroutine.
func (r *room) read(m *member) {
	defer r.readers.Done()
	m.c.conn.SetReadDeadline(time.Now().Add(readWait))
	err := m.c.readMessages(func(msg []byte) {
		m.c.conn.SetReadDeadline(time.Now().Add(readWait))
		r.received(m, msg)
	})
	if r.stopping.Load() {
		return
	}
	m.ended.Store(true)
	r.mu.Lock()
	r.ends[describe(err)]++
	r.mu.Unlock()
}

// received finds the tokens in a message: it may hold several lines
// (gorilla's chat packs what is queued into one message, a line each),
// and a token may sit anywhere in a line ("c3: tok:..." from ours).
func (r *room) received(m *member, msg []byte) {
	at := r.now()
	r.lastEvent.Store(at)
	found := false
	for line := range bytes.SplitSeq(msg, []byte{'\n'}) {
		if !bytes.Contains(line, []byte("tok:")) && r.counting.Load() {
			r.notices.Add(1)
		}
		for {
			i := bytes.Index(line, []byte("tok:"))
			if i < 0 {
				break
			}
			line = line[i+4:]
			id, ok := r.parseToken(line)
			if !ok {
				continue
			}
			found = true
			r.arrived(m, id, at)
		}
	}
	if found {
		r.tokenMsgs.Add(1)
	}
}

// parseToken reads "SENDER:SEQ:NANOS;" (the part after "tok:") and
// returns the message's index.
func (r *room) parseToken(b []byte) (int, bool) {
	end := bytes.IndexByte(b, ';')
	if end < 0 {
		return 0, false
	}
	parts := strings.Split(string(b[:end]), ":")
	if len(parts) != 3 {
		return 0, false
	}
	sender, err1 := strconv.Atoi(parts[0])
	seq, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || sender < 0 || sender >= r.senders || seq < 0 || seq >= r.messages {
		return 0, false
	}
	return sender*r.messages + seq, true
}

// arrived notes that m got message id at time at.
func (r *room) arrived(m *member, id int, at int64) {
	if m.seen[id] {
		r.duplicates.Add(1)
		return
	}
	m.seen[id] = true
	m.got.Add(1)
	r.arrivals[id].Add(1)
	for {
		last := r.lastAt[id].Load()
		if at <= last || r.lastAt[id].CompareAndSwap(last, at) {
			break
		}
	}
	if r.delivered.Add(1) == r.want.Load() {
		r.allOnce.Do(func() { close(r.all) })
	}
}

// settle waits until no client has connected or received anything for
// quiet (the join notices of a chat room have stopped), or limit passes.
func (r *room) settle(quiet, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if time.Duration(r.now()-r.lastEvent.Load()) >= quiet {
			return
		}
		time.Sleep(quiet / 10)
	}
}

// keepLive drops from the room the members whose connections have ended
// (a server may drop clients while they join), and returns why they
// ended; the ends are counted afresh from here on.
func (r *room) keepLive() string {
	ends := r.endsSummary()
	r.members = slices.DeleteFunc(r.members, func(m *member) bool { return m.ended.Load() })
	r.mu.Lock()
	clear(r.ends)
	r.mu.Unlock()
	return ends
}

// burst has the first r.senders members send r.messages messages each,
// as fast as they can, each a token "tok:SENDER:SEQ:NANOS;".
func (r *room) burst() {
	r.counting.Store(true)
	var wg sync.WaitGroup
	for s := range r.senders {
		m := r.members[s]
		wg.Go(func() {
			var payload []byte
			for seq := range r.messages {
				id := s*r.messages + seq
				at := r.now()
				r.sentAt[id].Store(at)
				payload = fmt.Appendf(payload[:0], "tok:%d:%d:%d;", s, seq, at)
				if err := m.c.writeFrame(opText, payload); err != nil {
					r.sendErrors.Add(int64(r.messages - seq))
					return
				}
			}
		})
	}
	wg.Wait()
}

// waitDeliveries waits until every member has every message, or nothing
// has arrived for quiet after the sends, or limit passes.
func (r *room) waitDeliveries(quiet, limit time.Duration) {
	deadline := time.After(limit)
	tick := time.NewTicker(quiet / 10)
	defer tick.Stop()
	for {
		select {
		case <-r.all:
			return
		case <-deadline:
			return
		case <-tick.C:
			if time.Duration(r.now()-r.lastEvent.Load()) >= quiet {
				return
			}
		}
	}
}

// closeAll closes every connection and waits for the readers.
func (r *room) closeAll() {
	r.stopping.Store(true)
	for _, m := range r.opened {
		m.c.close()
	}
	r.readers.Wait()
}

// endsSummary says why connections ended before the end: "none", or
// "close 1008 ×37, EOF ×2".
func (r *room) endsSummary() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ends) == 0 {
		return "none"
	}
	var parts []string
	for why, n := range r.ends {
		parts = append(parts, fmt.Sprintf("%s ×%d", why, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// describe turns a reader's end into the few words a report counts by.
func describe(err error) string {
	var closed *closeError
	var netErr net.Error
	switch {
	case errors.As(err, &closed):
		return closed.Error()
	case errors.As(err, &netErr) && netErr.Timeout():
		return "read timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "EOF without close"
	case err == nil:
		return "ended"
	}
	return err.Error()
}

// fanoutResult is what a burst measured.
type fanoutResult struct {
	clients, senders, messages int
	p50, p99, max              time.Duration // latency to the last receiver
	span                       time.Duration // first send to last delivery
	sending                    time.Duration // first send to last send
	delivered, want            int64
	messagesShort              int // messages that missed at least one client
	clientsShort               int // clients that missed at least one message
	duplicates                 int64
	perFrame                   float64 // messages per WebSocket message received
	notices                    int64   // lines from the room itself during the burst
	sendErrors                 int64
}

func (r *room) result() fanoutResult {
	res := fanoutResult{
		clients:    len(r.members),
		senders:    r.senders,
		messages:   r.messages,
		delivered:  r.delivered.Load(),
		want:       r.want.Load(),
		duplicates: r.duplicates.Load(),
		sendErrors: r.sendErrors.Load(),
		notices:    r.notices.Load(),
	}
	var latencies []time.Duration
	first, last, lastSent := int64(-1), int64(0), int64(0)
	for id := range r.sentAt {
		sent := r.sentAt[id].Load()
		if first < 0 || sent < first {
			first = sent
		}
		lastSent = max(lastSent, sent)
		if int(r.arrivals[id].Load()) < len(r.members) {
			res.messagesShort++
		}
		if r.arrivals[id].Load() == 0 {
			continue
		}
		at := r.lastAt[id].Load()
		last = max(last, at)
		latencies = append(latencies, time.Duration(at-sent))
	}
	for _, m := range r.members {
		if int(m.got.Load()) < len(r.sentAt) {
			res.clientsShort++
		}
	}
	if len(latencies) > 0 {
		slices.Sort(latencies)
		res.p50 = percentile(latencies, 50)
		res.p99 = percentile(latencies, 99)
		res.max = latencies[len(latencies)-1]
		res.span = time.Duration(last - first)
		res.sending = time.Duration(lastSent - first)
	}
	if n := r.tokenMsgs.Load(); n > 0 {
		res.perFrame = float64(res.delivered) / float64(n)
	}
	return res
}

// percentile of sorted values, nearest rank.
func percentile(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[max(i-1, 0)]
}

func (res fanoutResult) rate() float64 {
	if res.span <= 0 {
		return 0
	}
	return float64(res.delivered) / res.span.Seconds()
}
