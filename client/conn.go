package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"
	"unicode/utf8"
)

// closeTimeout bounds the closing handshake: once our close frame is out,
// the server has this long to answer it and close TCP.
const closeTimeout = 2 * time.Second

// writeTimeout bounds each frame write: a server that stops reading must
// not hang the client.
const writeTimeout = 10 * time.Second

// conn is an open WebSocket connection, client side. One goroutine reads
// (readLoop); any goroutine may write, one frame at a time (wmu).
type conn struct {
	nc         net.Conn
	br         *bufio.Reader // holds what came after the 101 too
	out        *printer
	trace      *tracer // nil unless -trace
	maxMessage int64
	protocol   string // the subprotocol the server chose, if any

	wmu       sync.Mutex // one frame on the wire at a time
	closeSent bool       // our close frame is out: no more frames (section 5.5.1)
}

// writeFrame sends one whole frame, masked with a fresh key (newMaskKey,
// section 5.3). After a close frame nothing more is sent, and the server
// has closeTimeout to answer: reads stop waiting then.
func (c *conn) writeFrame(opcode byte, payload []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return errCloseSent
	}
	if opcode == opClose {
		c.closeSent = true
		c.nc.SetReadDeadline(time.Now().Add(closeTimeout))
	}
	frame := appendClientFrame(nil, opcode, newMaskKey(), payload)
	if c.trace != nil {
		n := headerLen(frame[1])
		c.trace.show("client", frame[:n], frame[n:], nil)
	}
	c.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err := c.nc.Write(frame)
	return err
}

// writeClose sends our close frame, once (section 5.5.1).
func (c *conn) writeClose(code int, reason string) error {
	return c.writeFrame(opClose, closePayload(code, reason))
}

// readFrame reads one server frame, and shows it if tracing is on.
func (c *conn) readFrame(limit int64) (frameHeader, []byte, error) {
	h, payload, err := readFrame(c.br, c.trace, limit)
	var perr *protocolError
	if c.trace != nil && (err == nil || errors.As(err, &perr)) {
		c.trace.show("server", c.trace.header[:c.trace.n], payload, err)
	}
	return h, payload, err
}

// readMessage reads frames until a whole data message has arrived and
// returns it. Control frames may come between the fragments of a message
// (section 5.4); handleControl deals with them on the way. The message
// may not grow past maxMessage, and text must be UTF-8 once whole
// (section 8.1: a character may be split across fragments).
func (c *conn) readMessage() (byte, []byte, error) {
	var msg []byte
	var opcode byte // of the message being assembled, 0 before its first frame
	for {
		h, payload, err := c.readFrame(c.maxMessage - int64(len(msg)))
		if err != nil {
			return 0, nil, err
		}
		if isControl(h.opcode) {
			if err := c.handleControl(h.opcode, payload); err != nil {
				return 0, nil, err
			}
			continue
		}
		switch {
		case h.opcode == opContinuation && opcode == 0:
			return 0, nil, errUnexpectedContinuation
		case h.opcode != opContinuation && opcode != 0:
			return 0, nil, errExpectedContinuation
		case h.opcode != opContinuation:
			opcode = h.opcode
		}
		msg = append(msg, payload...)
		if !h.fin {
			continue
		}
		if opcode == opText && !utf8.Valid(msg) {
			return 0, nil, errInvalidUTF8
		}
		return opcode, msg, nil
	}
}

// handleControl answers a control frame. A ping gets a pong with the same
// payload (section 5.5.2). A pong is only shown: it may be unsolicited
// (section 5.5.3). A close frame is checked, then answered with its code
// (1000 if it had none) unless ours went out first; either way the closing
// handshake is complete and readMessage ends with *closeError.
func (c *conn) handleControl(opcode byte, payload []byte) error {
	switch opcode {
	case opPing:
		c.out.event("* ping%s", quotedPayload(payload))
		if err := c.writeFrame(opPong, payload); err != nil && !errors.Is(err, errCloseSent) {
			return err
		}
		return nil
	case opPong:
		c.out.event("* pong%s", quotedPayload(payload))
		return nil
	}
	code, reason, err := parseClosePayload(payload)
	if err != nil {
		return err
	}
	reply := code
	if code == closeNoStatus {
		reply = closeNormal
	}
	if err := c.writeClose(reply, ""); err != nil && !errors.Is(err, errCloseSent) {
		return err
	}
	return &closeError{code: code, reason: reason}
}

// readLoop prints messages as they come, with a signal on got for each
// (dropped when got is full), until the connection ends. It returns how:
// a *closeError after a clean closing handshake, a *protocolError after
// failing the connection, or what broke it.
func (c *conn) readLoop(got chan<- struct{}) error {
	for {
		opcode, msg, err := c.readMessage()
		if err != nil {
			c.end(err)
			return err
		}
		c.out.message(opcode, msg)
		select {
		case got <- struct{}{}:
		default:
		}
	}
}

// end reports how the connection ended, and ends it. After a close frame
// the client lets the server close TCP first (section 7.1.1), waiting at
// most closeTimeout; after a broken rule it sends the rule's close code
// first (section 7.1.7) and reads no more frames.
func (c *conn) end(err error) {
	var closed *closeError
	var perr *protocolError
	switch {
	case errors.As(err, &closed):
		c.out.event("* close %s (clean)", describeClose(closed.code, closed.reason))
	case errors.As(err, &perr):
		c.out.event("* protocol error: %v; sending close %d", perr, perr.code)
		c.writeClose(perr.code, perr.reason)
	case errors.Is(err, net.ErrClosed):
		// We closed it ourselves (/quit, or after a failed write).
	case errors.Is(err, os.ErrDeadlineExceeded) && c.sentClose():
		c.out.event("* no close frame from the server within %v of ours", closeTimeout)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		c.out.event("* the server closed TCP without a close frame (%d, abnormal closure)", closeAbnormal)
	default:
		c.out.event("* connection broken: %v", err)
	}
	if c.sentClose() {
		io.Copy(io.Discard, c.br) // until the server closes TCP, or closeTimeout
	}
	c.nc.Close()
}

func (c *conn) sentClose() bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.closeSent
}

// closeAndWait starts the closing handshake with code and reason, and
// waits for readLoop to end: on the server's answer, or closeTimeout
// later. It returns what readLoop returned.
func (c *conn) closeAndWait(code int, reason string, done <-chan error) error {
	if err := c.writeClose(code, reason); err != nil && !errors.Is(err, errCloseSent) {
		c.nc.Close()
	}
	return <-done
}

// quotedPayload shows a ping's or pong's payload after the event's name.
func quotedPayload(p []byte) string {
	if len(p) == 0 {
		return ""
	}
	return fmt.Sprintf(" %q", p)
}
