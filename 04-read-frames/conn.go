package main

import (
	"bufio"
	"io"
)

// conn is the reading side of one WebSocket connection.
type conn struct {
	br             *bufio.Reader // holds any bytes that came with the handshake
	maxMessageSize int64         // 1009 past this, decided from announced lengths
	trace          *tracer       // with -trace, every frame is shown; nil: off

	budget *budget // memory for message buffers, shared with every conn of the server; nil: no limit

	msg     []byte                     // the message being assembled; reused for the next one
	held    int64                      // what msg's buffer took from the budget
	control [maxControlPayloadLen]byte // a control frame's payload

	// onControl is called for every control frame readMessage meets, with
	// its unmasked payload (valid only during the call). A non-nil error
	// ends readMessage with that error.
	onControl func(h frameHeader, payload []byte) error
}

const (
	// firstMessageBuffer is the size of a message buffer's first
	// allocation. It belongs to the connection and is not taken from the
	// budget: the server caps how many connections there are (-max-conns).
	firstMessageBuffer = 4 << 10

	// keepMessageBuffer is the largest message buffer kept from one
	// message to the next; a larger one goes back (to the garbage
	// collector and the budget) as soon as its message is done.
	keepMessageBuffer = 64 << 10
)

func newConn(br *bufio.Reader, maxMessageSize int64) *conn {
	return &conn{br: br, maxMessageSize: maxMessageSize, onControl: stopOnClose}
}

// stopOnClose is the default control handler: pings and pongs are let
// through (this chapter cannot answer them), a close frame ends reading.
func stopOnClose(h frameHeader, payload []byte) error {
	if h.opcode != opClose {
		return nil
	}
	if len(payload) < 2 {
		return &closeError{code: 1005}
	}
	return &closeError{code: int(payload[0])<<8 | int(payload[1]), reason: string(payload[2:])}
}

// nextHeader reads the next frame header and checks it against the rules
// of section 5. A header that breaks one is shown by -trace with the rule.
func (c *conn) nextHeader() (frameHeader, error) {
	if len(c.msg) == 0 && cap(c.msg) > keepMessageBuffer {
		c.releaseMessageBuffer() // a large message is done: give its memory back
	}
	h, err := c.trace.readHeader(c.br)
	if err != nil {
		return h, err
	}
	if err := checkFrameHeader(h); err != nil {
		c.traceRead(nil, err)
		return h, err
	}
	return h, nil
}

// readPayload reads the payload of the frame h onto dst, unmasks it and
// returns dst grown by it. The caller has checked h.length against its
// limits. Memory is taken as the bytes arrive, never from the announced
// length: a 14-byte header can announce 16 MiB and then send nothing.
func (c *conn) readPayload(h frameHeader, dst []byte) ([]byte, error) {
	start := len(dst)
	for remaining := h.length; remaining > 0; {
		if len(dst) == cap(dst) {
			var err error
			if dst, err = c.grow(dst, remaining); err != nil {
				return dst[:start], err
			}
		}
		n := int(min(remaining, uint64(cap(dst)-len(dst))))
		got, err := io.ReadFull(c.br, dst[len(dst):len(dst)+n])
		dst = dst[:len(dst)+got]
		remaining -= uint64(got)
		if err != nil {
			return dst[:start], noEOF(err)
		}
	}
	c.traceRead(dst[start:], nil) // before unmasking: the bytes as they were on the wire
	maskBytes(h.key, 0, dst[start:])
	return dst, nil
}

// grow returns b, which is full, in a buffer with room for more of the
// frame's remaining bytes: twice the capacity, or, for a new buffer, what
// the frame needs up to firstMessageBuffer (a 16-byte message gets 16
// bytes); never more than the message limit. Doubling means a message in
// many small fragments is copied a few times, not once per fragment (which
// would be quadratic, like building a string one character at a time),
// and the buffer is never more than twice what has arrived. What the
// larger buffer costs is taken from the server's budget first; when the
// budget has no room, the message cannot be held (errServerBusy).
func (c *conn) grow(b []byte, remaining uint64) ([]byte, error) {
	first := min(int64(len(b))+int64(min(remaining, firstMessageBuffer)), firstMessageBuffer)
	size := min(max(int64(2*cap(b)), first), c.maxMessageSize)
	if size <= int64(cap(b)) {
		return b, errMessageTooBig
	}
	cost := max(size-firstMessageBuffer, 0)
	if !c.budget.take(cost - c.held) {
		return b, errServerBusy
	}
	c.held = cost
	nb := make([]byte, len(b), size)
	copy(nb, b)
	return nb, nil
}

// releaseMessageBuffer drops the message buffer and gives what it took
// back to the budget.
func (c *conn) releaseMessageBuffer() {
	c.msg = nil
	c.budget.give(c.held)
	c.held = 0
}

// noEOF turns io.EOF inside a frame into io.ErrUnexpectedEOF: the peer
// hung up half-way, which is not a clean end.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// traceRead shows, if tracing is on, the client frame whose header was
// just read: its header's bytes as they came, and payload as on the wire.
func (c *conn) traceRead(payload []byte, err error) {
	if c.trace != nil {
		c.trace.show("client", c.trace.header[:c.trace.n], payload, err)
	}
}
