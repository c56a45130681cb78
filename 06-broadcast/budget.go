package main

import "sync/atomic"

// budget is the memory the server lets all its connections hold for
// message buffers, together: the -message-memory flag. A connection takes from it
// before it grows a message buffer and gives back when it drops one; when
// the budget has no room, that message cannot be held and the connection
// is closed with 1013 (try again later). Without it, every client may hold
// a whole -max-message-size at once, and a few hundred stalled ones hold
// gigabytes (docs/05-write-frames.md, "What a server owes its other
// clients", has the arithmetic).
//
// A nil *budget has no limit.
type budget struct {
	limit int64
	used  atomic.Int64
	peak  atomic.Int64 // the most ever used at once: for tests and the log
}

func newBudget(limit int64) *budget {
	return &budget{limit: limit}
}

// take reserves n bytes (n may be negative: a buffer that shrinks) and
// reports whether there was room.
func (b *budget) take(n int64) bool {
	if b == nil {
		return true
	}
	for {
		used := b.used.Load()
		if n > 0 && used+n > b.limit {
			return false
		}
		if b.used.CompareAndSwap(used, used+n) {
			b.notePeak(used + n)
			return true
		}
	}
}

// give returns n bytes taken before.
func (b *budget) give(n int64) {
	if b != nil && n != 0 {
		b.used.Add(-n)
	}
}

func (b *budget) notePeak(used int64) {
	for {
		peak := b.peak.Load()
		if used <= peak || b.peak.CompareAndSwap(peak, used) {
			return
		}
	}
}
