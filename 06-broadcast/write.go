package main

import (
	"sync"
)

// writeBuffers lends the buffer a small frame is copied into for its one
// Write. Shared by all conns, so a connection holds none between writes.
var writeBuffers = sync.Pool{New: func() any { b := make([]byte, 0, smallWrite); return &b }}

// writeMessage sends a whole message as one frame: opText or opBinary, or
// a ping or pong (payload at most 125 bytes). It must be written within
// writeTimeout: a peer that does not read is not allowed to hold the
// server's goroutine, buffer and socket.
func (c *conn) writeMessage(opcode byte, payload []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return errCloseSent
	}
	c.writeBy(c.writeTimeout)
	return c.writeFrame(opcode, payload)
}

// writeFrame writes one unmasked frame with FIN set. The caller holds wmu.
// A small frame is copied behind its header into a borrowed buffer and
// goes out in one Write; a large one goes out with writev, header and
// payload side by side, without a copy. After a failed write nothing more
// is sent: the peer may have part of a frame, and any byte after it would
// be read as the rest of that frame.
func (c *conn) writeFrame(opcode byte, payload []byte) error {
	if c.writeErr != nil {
		return c.writeErr
	}
	header := appendFrameHeader(c.header[:0], true, opcode, len(payload))
	if c.trace != nil {
		c.traceWritten(header, payload)
	}
	if len(header)+len(payload) <= smallWrite {
		buf := writeBuffers.Get().(*[]byte)
		*buf = append(append((*buf)[:0], header...), payload...)
		c.writeErr = c.writeAll(*buf)
		writeBuffers.Put(buf)
		return c.writeErr
	}
	c.wbufs = [2][]byte{header, payload}
	c.bufs = c.wbufs[:]
	_, err := c.bufs.WriteTo(c.netConn)
	for c.writeFiredEarly(err) {
		_, err = c.bufs.WriteTo(c.netConn) // WriteTo dropped what it wrote
	}
	c.writeErr = err
	return err
}

// writeAll writes p, carrying on after a deadline that fired early.
func (c *conn) writeAll(p []byte) error {
	n, err := c.netConn.Write(p)
	for c.writeFiredEarly(err) {
		p = p[n:]
		n, err = c.netConn.Write(p)
	}
	return err
}

// traceWritten shows a frame the server writes as the client will read
// it: decoded from the bytes that go on the wire, not rebuilt from what the
// code meant to send, so a wrong header shows up as wrong in the trace too.
func (c *conn) traceWritten(header, payload []byte) {
	wire := append(append(make([]byte, 0, len(header)+maxHeaderLen), header...), payload[:min(len(payload), maxHeaderLen)]...)
	size := len(wire)
	if size >= 2 {
		size = min(headerLen(wire[1]), size)
	}
	rest := payload
	switch {
	case size > len(header):
		rest = payload[size-len(header):] // the header claims payload bytes as its own
	case size < len(header):
		rest = append(append([]byte(nil), header[size:]...), payload...)
	}
	c.trace.show("server", wire[:size], rest, nil)
}

// prepareFrame encodes a whole unmasked frame with FIN set: header, then
// payload. The room encodes a message once and puts the same bytes on
// every client's queue, instead of framing it once per client (gorilla's
// PreparedMessage is the same idea). The frame is never changed after.
func prepareFrame(opcode byte, payload []byte) []byte {
	frame := appendFrameHeader(make([]byte, 0, maxServerHeaderLen+len(payload)), true, opcode, len(payload))
	return append(frame, payload...)
}

// writeFrames writes frames made by prepareFrame, all of them in one
// writev when there are several, within writeTimeout. Like writeFrame, it
// sends nothing more after our close frame or a failed write.
func (c *conn) writeFrames(frames [][]byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return errCloseSent
	}
	if c.writeErr != nil {
		return c.writeErr
	}
	c.writeBy(c.writeTimeout)
	if c.trace != nil {
		for _, frame := range frames {
			size := min(headerLen(frame[1]), len(frame))
			c.trace.show("server", frame[:size], frame[size:], nil)
		}
	}
	if len(frames) == 1 {
		c.writeErr = c.writeAll(frames[0])
		return c.writeErr
	}
	c.batch = frames // WriteTo takes what it wrote off the front of the caller's slice
	_, err := c.batch.WriteTo(c.netConn)
	for c.writeFiredEarly(err) {
		_, err = c.batch.WriteTo(c.netConn)
	}
	c.batch = nil
	c.writeErr = err
	return err
}
