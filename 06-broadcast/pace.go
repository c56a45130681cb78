package main

import (
	"sync"
	"time"
)

// clientBurst is how many messages a client may send at once, after a
// quiet spell, before its pace (-rate) applies: a person pasting a few
// lines is not slowed.
const clientBurst = 20

// Why the room needs a pace at all: a reader that keeps up with what the
// room says is never evicted, but what it must keep up with is set by the
// fastest sender. One client reading its own echo as fast as it sends can
// drive the room at a million lines a second, and then a writer that does
// not get the processor for a millisecond is a whole log behind: the
// flood would evict everyone else (docs/06-broadcast.md, "The room's
// pace"). So each client has a pace, and so has the room.

// pacer spaces events out: on average one per every, with up to burst at
// once after a quiet spell. It books the event and says how long to wait
// for it; the caller waits, and meanwhile reads nothing, so TCP makes the
// sender wait too. Nothing is dropped. (It is the "generic cell rate
// algorithm": tat is the time the next event would be due at the steady
// rate.) A nil *pacer, or every 0, lets everything through at once.
type pacer struct {
	every time.Duration
	burst int

	mu  sync.Mutex
	tat time.Time
}

// newPacer lets perSecond events through per second, burst at once; nil
// for perSecond 0.
func newPacer(perSecond, burst int) *pacer {
	if perSecond <= 0 {
		return nil
	}
	return &pacer{every: time.Second / time.Duration(perSecond), burst: max(burst, 1)}
}

// delay books one event at now and returns how long its caller must wait
// before it.
func (p *pacer) delay(now time.Time) time.Duration {
	if p == nil || p.every == 0 {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	tat := p.tat
	if tat.Before(now) {
		tat = now
	}
	allowed := tat.Add(-time.Duration(p.burst-1) * p.every)
	p.tat = tat.Add(p.every)
	if allowed.After(now) {
		return allowed.Sub(now)
	}
	return 0
}

// wait books one event and waits for its turn, or until done is closed
// (the connection is ending); it reports whether the turn came.
func (p *pacer) wait(done <-chan struct{}) bool {
	d := p.delay(time.Now())
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-done:
		return false
	}
}

// try books one event at now if its turn has come, and reports whether it
// had; an event that would have to wait is not booked.
func (p *pacer) try(now time.Time) bool {
	if p == nil || p.every == 0 {
		return true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	tat := p.tat
	if tat.Before(now) {
		tat = now
	}
	if tat.Add(-time.Duration(p.burst-1) * p.every).After(now) {
		return false
	}
	p.tat = tat.Add(p.every)
	return true
}

// joinBurst is how many WebSocket connections one address may open at
// once, after a quiet spell, before -joins-per-ip applies: a classroom
// behind one address can all join together.
const joinBurst = 20

// addressBurst is how many messages the connections of one address may
// send at once, together, before -rate-per-ip applies.
const addressBurst = 100

// addrPacers keeps one pacer per client address (addrKey), shared by all
// its connections. Two use it: joins (-joins-per-ip), since every join
// puts a welcome and a notice in the room's log and every leave one more,
// so a client joining and leaving in a loop would spend the room's pace on
// notices; and messages (-rate-per-ip), since an address that opens a
// hundred connections must not get a hundred times -rate, and with it the
// room's whole pace. Addresses idle for a minute are forgotten.
type addrPacers struct {
	perSecond, burst int

	mu    sync.Mutex
	byIP  map[string]*pacer
	swept time.Time
}

// newAddrPacers paces each address at perSecond, burst at once; nil (no
// limit) for perSecond 0.
func newAddrPacers(perSecond, burst int) *addrPacers {
	if perSecond <= 0 {
		return nil
	}
	return &addrPacers{perSecond: perSecond, burst: burst, byIP: make(map[string]*pacer)}
}

// get returns ip's pacer, nil if there is no limit.
func (a *addrPacers) get(ip string, now time.Time) *pacer {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if now.Sub(a.swept) > time.Minute {
		for addr, p := range a.byIP {
			p.mu.Lock()
			rested := p.tat.Before(now) // no different from a new one
			p.mu.Unlock()
			if rested {
				delete(a.byIP, addr)
			}
		}
		a.swept = now
	}
	p := a.byIP[ip]
	if p == nil {
		p = newPacer(a.perSecond, a.burst)
		a.byIP[ip] = p
	}
	return p
}

// try reports whether ip's turn has come now, and books it if so.
func (a *addrPacers) try(ip string, now time.Time) bool {
	return a.get(ip, now).try(now)
}

// wait books one event for ip and waits for its turn, or until done is
// closed; it reports whether the turn came.
func (a *addrPacers) wait(ip string, done <-chan struct{}) bool {
	return a.get(ip, time.Now()).wait(done)
}

// addrTurns lets one message of each address at a time wait for the room's
// pace. The room's pacer books turns in the order they are asked for, so
// with every connection asking, an address with a hundred connections
// would get a hundred turns for each one of a client alone; with one
// asker per address, turns go round the addresses, and a client sending
// at its -rate keeps up however many connections others open.
type addrTurns struct {
	mu   sync.Mutex
	byIP map[string]*addrTurn
}

type addrTurn struct {
	held  chan struct{} // holds a token while one of the address's messages has the turn
	users int           // connections using it: it is forgotten at 0
}

func newAddrTurns() *addrTurns {
	return &addrTurns{byIP: make(map[string]*addrTurn)}
}

// lock waits until no other message of ip is waiting for the room, or
// until done is closed; it returns the function that lets the next one
// go, or nil if done was closed first.
func (a *addrTurns) lock(ip string, done <-chan struct{}) (unlock func()) {
	a.mu.Lock()
	t := a.byIP[ip]
	if t == nil {
		t = &addrTurn{held: make(chan struct{}, 1)}
		a.byIP[ip] = t
	}
	t.users++
	a.mu.Unlock()
	forget := func() {
		a.mu.Lock()
		if t.users--; t.users == 0 {
			delete(a.byIP, ip)
		}
		a.mu.Unlock()
	}
	select {
	case t.held <- struct{}{}:
		return func() { <-t.held; forget() }
	case <-done:
		forget()
		return nil
	}
}
