package main

import (
	"bufio"
	"fmt"
	"io"
)

// Opcodes (RFC 6455 section 5.2). 0x3-0x7 and 0xB-0xF are reserved.
const (
	opContinuation byte = 0x0
	opText         byte = 0x1
	opBinary       byte = 0x2
	opClose        byte = 0x8
	opPing         byte = 0x9
	opPong         byte = 0xA
)

// isControl reports whether opcode is a control frame's (close, ping, pong
// and the reserved 0xB-0xF): the most significant opcode bit is set
// (section 5.5).
func isControl(opcode byte) bool { return opcode&0x8 != 0 }

// Close codes (RFC 6455 section 7.4.1) that this server sends.
const (
	closeNormal          = 1000
	closeGoingAway       = 1001
	closeProtocolError   = 1002
	closeInvalidPayload  = 1007
	closeMessageTooBig   = 1009
	closeTryAgainLater   = 1013 // registered with IANA after RFC 6455: the server is overloaded
	maxControlPayloadLen = 125  // section 5.5
)

// frameHeader is a decoded frame header (section 5.2).
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-------+-+-------------+-------------------------------+
//	|F|R|R|R| opcode|M| Payload len |    Extended payload length    |
//	|I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
//	|N|V|V|V|       |S|             |   (if payload len==126/127)   |
//	| |1|2|3|       |K|             |                               |
//	+-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
//	|     Extended payload length continued, if payload len == 127  |
//	+ - - - - - - - - - - - - - - - +-------------------------------+
//	|                               |Masking-key, if MASK set to 1  |
//	+-------------------------------+-------------------------------+
//	| Masking-key (continued)       |          Payload Data         |
//	+-------------------------------- - - - - - - - - - - - - - - - +
type frameHeader struct {
	fin    bool    // last frame of its message
	rsv    byte    // the three reserved bits, in place: 0x40, 0x20, 0x10
	opcode byte    // opText, opPing, ...
	masked bool    // MASK bit: set on every client frame
	length uint64  // payload length, from whichever of the three forms was used
	key    [4]byte // masking key, when masked
	size   int     // bytes the header took on the wire: 2 to 14
}

// protocolError is a rule the peer broke. code is the close code the rule
// maps to (RFC 6455 section 7.4.1), reason says which rule.
type protocolError struct {
	code   int
	reason string
}

func (e *protocolError) Error() string {
	return fmt.Sprintf("%s (close code %d)", e.reason, e.code)
}

// One error value per rule, so that tests and logs can say which one broke.
var (
	errUnmasked               = &protocolError{closeProtocolError, "client frame is not masked (RFC 6455 section 5.1)"}
	errReservedBits           = &protocolError{closeProtocolError, "reserved bits set, but no extension was negotiated (section 5.2)"}
	errUnknownOpcode          = &protocolError{closeProtocolError, "unknown opcode (section 5.2)"}
	errLengthTopBit           = &protocolError{closeProtocolError, "64-bit payload length has its most significant bit set (section 5.2)"}
	errFragmentedControl      = &protocolError{closeProtocolError, "control frame is fragmented (section 5.5)"}
	errControlTooLong         = &protocolError{closeProtocolError, "control frame payload longer than 125 bytes (section 5.5)"}
	errUnexpectedContinuation = &protocolError{closeProtocolError, "continuation frame with no message to continue (section 5.4)"}
	errExpectedContinuation   = &protocolError{closeProtocolError, "new data frame in the middle of a fragmented message (section 5.4)"}
	errInvalidUTF8            = &protocolError{closeInvalidPayload, "text message is not valid UTF-8 (sections 5.6 and 8.1)"}
	errMessageTooBig          = &protocolError{closeMessageTooBig, "message larger than the server accepts (section 10.4)"}

	// Not a rule of RFC 6455 but a limit of this server, closed the same way.
	errServerBusy = &protocolError{closeTryAgainLater, "the server's memory for messages is in use; try again later"}
)

// peerClosed is how readMessage reports a close frame from the peer.
// Chapter 05 answers it; here the server only logs it and hangs up.
type peerClosed struct {
	code   int // 1005 ("no status") when the frame had no body
	reason string
}

func (e *peerClosed) Error() string {
	if e.reason == "" {
		return fmt.Sprintf("peer sent close %d", e.code)
	}
	return fmt.Sprintf("peer sent close %d %q", e.code, e.reason)
}

// conn is the reading side of one WebSocket connection.
type conn struct {
	br             *bufio.Reader // holds any bytes that came with the handshake
	maxMessageSize int64         // 1009 past this, decided from announced lengths
	trace          io.Writer     // with -trace, every frame is shown here; nil: off

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
		return &peerClosed{code: 1005}
	}
	return &peerClosed{code: int(payload[0])<<8 | int(payload[1]), reason: string(payload[2:])}
}

// nextHeader reads the next frame header and checks it against the rules
// of section 5. A header that breaks one is shown by -trace with the rule.
func (c *conn) nextHeader() (frameHeader, error) {
	if len(c.msg) == 0 && cap(c.msg) > keepMessageBuffer {
		c.releaseMessageBuffer() // a large message is done: give its memory back
	}
	h, err := readFrameHeader(c.br)
	if err != nil {
		return h, err
	}
	if err := checkFrameHeader(h); err != nil {
		c.traceFrame(h, nil, err)
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
	c.traceFrame(h, dst[start:], nil) // before unmasking: the bytes as they were on the wire
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

// traceFrame prints one frame for -trace, if tracing is on.
func (c *conn) traceFrame(h frameHeader, payload []byte, err error) {
	if c.trace == nil {
		return
	}
	io.WriteString(c.trace, formatFrame(h, payload, err))
}
