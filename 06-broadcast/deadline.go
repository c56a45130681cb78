package main

import (
	"errors"
	"os"
	"time"
)

// Every wait of a conn has a deadline, and setting one is not free: each
// SetReadDeadline or SetWriteDeadline re-arms a timer in Go's runtime
// (about 130 ns on the machine of docs/performance.md), and one echoed
// message waits three times: for the message to start, for the rest of it,
// for its echo to be written. Three deadlines per message cost the echo
// about 7% more server CPU (docs/performance.md).
//
// So a conn sets the socket's deadlines lazily. For each direction it keeps
// the deadline that applies to the wait at hand (due) and the one it last
// set on the socket (armed), and sets a new one only when the armed one
// would fire too late (after due), or has passed. A deadline that fires
// before its wait's due time is no timeout: the wait goes on with the
// socket's deadline moved to due (firedEarly). With messages flowing, the
// socket's read deadline moves about once a second, not three times per
// message.

// readBy makes the reads to come due wait from now (never, for 0).
func (c *conn) readBy(wait time.Duration) {
	now := time.Now()
	c.readDue = time.Time{}
	if wait > 0 {
		c.readDue = now.Add(wait)
	}
	switch {
	case c.readDue.IsZero() && c.readArmed.IsZero():
		return // no deadline, and none set
	case c.readArmed.After(now) && !c.readDue.IsZero() && !c.readArmed.After(c.readDue):
		return // it fires at due or before, and firedEarly carries on from there
	}
	c.armRead(c.readDue)
}

// firedEarly reports whether err is a read deadline that fired before the
// read was due to give up; if so, it moves the socket's deadline to the due
// time, and the caller reads again. After our close frame, the closing
// handshake's own deadline (closingBy) is due, if it comes sooner.
func (c *conn) firedEarly(err error) bool {
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	}
	due := c.readDue
	if by := c.closingBy.Load(); by != 0 && (due.IsZero() || by < due.UnixNano()) {
		due = time.Unix(0, by)
	}
	if !due.IsZero() && !time.Now().Before(due) {
		return false
	}
	c.armRead(due)
	return true
}

// armRead sets the socket's read deadline to t (none for zero), or to the
// end of the closing handshake if that comes sooner. A writeClose in
// another goroutine may move closingBy at any moment: reading it again
// after the deadline is set catches that, so the sooner one always wins.
func (c *conn) armRead(t time.Time) {
	for {
		by := c.closingBy.Load()
		armed := t
		if by != 0 && (armed.IsZero() || by < armed.UnixNano()) {
			armed = time.Unix(0, by)
		}
		c.netConn.SetReadDeadline(armed)
		c.readArmed = armed
		if c.closingBy.Load() == by {
			return
		}
	}
}

// writeBy makes the writes to come due wait from now (never, for 0),
// the same way readBy does for reads. The caller holds wmu.
func (c *conn) writeBy(wait time.Duration) {
	now := time.Now()
	c.writeDue = time.Time{}
	if wait > 0 {
		c.writeDue = now.Add(wait)
	}
	switch {
	case c.writeDue.IsZero() && c.writeArmed.IsZero():
		return
	case c.writeArmed.After(now) && !c.writeDue.IsZero() && !c.writeArmed.After(c.writeDue):
		return
	}
	c.netConn.SetWriteDeadline(c.writeDue)
	c.writeArmed = c.writeDue
}

// writeFiredEarly is firedEarly for writes. The caller holds wmu.
func (c *conn) writeFiredEarly(err error) bool {
	if !errors.Is(err, os.ErrDeadlineExceeded) || (!c.writeDue.IsZero() && !time.Now().Before(c.writeDue)) {
		return false
	}
	c.netConn.SetWriteDeadline(c.writeDue)
	c.writeArmed = c.writeDue
	return true
}
