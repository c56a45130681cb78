package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
	"unicode/utf8"
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

// Close codes (RFC 6455 section 7.4.1).
const (
	closeNormal          = 1000
	closeGoingAway       = 1001
	closeProtocolError   = 1002
	closeNoStatus        = 1005 // never sent: stands for a close frame without a code
	closeInvalidPayload  = 1007
	closeMessageTooBig   = 1009
	maxControlPayloadLen = 125 // section 5.5
	maxCloseReasonLen    = maxControlPayloadLen - 2
)

// closeTimeout bounds the closing handshake: how long a close frame may take
// to write, and how long to wait for the peer's answer to ours.
const closeTimeout = 2 * time.Second

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
// maps to (the design's bad-input table), reason says which rule.
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
	errBadClosePayload        = &protocolError{closeProtocolError, "close frame with a 1-byte body (section 5.5.1)"}
	errBadCloseCode           = &protocolError{closeProtocolError, "close code that may not be sent (section 7.4)"}
	errInvalidCloseReason     = &protocolError{closeInvalidPayload, "close reason is not valid UTF-8 (section 5.5.1)"}
)

// errCloseSent is what a write returns once our close frame is out: after
// it, no more data frames (section 5.5.1).
var errCloseSent = errors.New("close frame already sent")

// peerClosed is how readMessage reports a close frame from the peer, once
// handleControl has answered it: the closing handshake is done.
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

// conn is one WebSocket connection: one goroutine reads (readMessage), any
// number may write (writeMessage, writeClose). Writes take a lock, so two
// frames never interleave on the wire: gorilla/websocket instead allows one
// writer at a time and panics when it notices two, by which point the
// stream may already be corrupt. One mutex is the simple answer, and the
// pong and close replies the reader sends go through it too.
type conn struct {
	netConn        net.Conn
	br             *bufio.Reader // holds any bytes that came with the handshake
	maxMessageSize int64         // 1009 past this, decided from announced lengths
	trace          io.Writer     // with -trace, every frame is shown here; nil: off

	msg     []byte                     // the message being assembled; reused for the next one
	control [maxControlPayloadLen]byte // a control frame's payload

	// onControl is called for every control frame readMessage meets, with
	// its unmasked payload (valid only during the call). A non-nil error
	// ends readMessage with that error. newConn sets it to handleControl.
	onControl func(h frameHeader, payload []byte) error

	wmu       sync.Mutex  // held while a frame is written
	wbuf      []byte      // header and small payload, written in one call
	wbufs     [2][]byte   // header and large payload, for one writev
	bufs      net.Buffers // wbufs as WriteTo wants it; kept here so it is not allocated per write
	closeSent bool        // our close frame is out: no more data frames

	// midFrame is set between a frame's header and the end of its payload.
	// A rule broken there leaves the rest of the frame unread, so what
	// follows is not at a frame boundary and cannot be parsed.
	midFrame bool
}

// smallWrite is the largest frame copied into one buffer and written with a
// single Write; larger payloads go out with writev, header and payload side
// by side, without a copy.
const smallWrite = 4096

func newConn(netConn net.Conn, br *bufio.Reader, maxMessageSize int64) *conn {
	c := &conn{
		netConn:        netConn,
		br:             br,
		maxMessageSize: maxMessageSize,
		wbuf:           make([]byte, 0, smallWrite),
	}
	c.onControl = c.handleControl
	return c
}

// nextHeader reads the next frame header and checks it against the rules
// of section 5. A header that breaks one is shown by -trace with the rule.
func (c *conn) nextHeader() (frameHeader, error) {
	h, err := readFrameHeader(c.br)
	if err != nil {
		return h, err
	}
	c.midFrame = true
	if err := checkFrameHeader(h); err != nil {
		c.traceFrame("client", h, nil, err)
		return h, err
	}
	return h, nil
}

// readPayload reads the payload of the frame h into dst[len(dst):], unmasks
// it and returns dst grown by it. The caller has checked h.length against
// its limits: this is where memory is spent.
func (c *conn) readPayload(h frameHeader, dst []byte) ([]byte, error) {
	start := len(dst)
	dst = grow(dst, int(h.length), c.maxMessageSize)
	if _, err := io.ReadFull(c.br, dst[start:]); err != nil {
		return dst[:start], noEOF(err)
	}
	c.midFrame = false
	c.traceFrame("client", h, dst[start:], nil) // before unmasking: the bytes as they were on the wire
	maskBytes(h.key, 0, dst[start:])
	return dst, nil
}

// grow extends b by n bytes. When it must reallocate, it at least doubles
// the capacity, so a message that arrives in many small fragments is copied
// a few times, not once per fragment (which would be quadratic, like
// building a string one character at a time); but never past limit.
func grow(b []byte, n int, limit int64) []byte {
	if cap(b)-len(b) < n {
		size := max(2*cap(b), len(b)+n)
		if int64(size) > limit {
			size = max(len(b)+n, int(limit))
		}
		nb := make([]byte, len(b), size)
		copy(nb, b)
		b = nb
	}
	return b[:len(b)+n]
}

// noEOF turns io.EOF inside a frame into io.ErrUnexpectedEOF: the peer
// hung up half-way, which is not a clean end.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// writeMessage sends a whole message as one frame: opText or opBinary, or
// a ping or pong (payload at most 125 bytes).
func (c *conn) writeMessage(opcode byte, payload []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return errCloseSent
	}
	return c.writeFrame(opcode, payload)
}

// writeClose starts or answers the closing handshake: it sends a close
// frame with code and reason, once. code closeNoStatus sends an empty body
// (1005 itself may never be on the wire, section 7.4.1). The reason is cut
// to fit a control frame, at a character boundary.
func (c *conn) writeClose(code int, reason string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return errCloseSent
	}
	c.closeSent = true
	var body []byte
	if code != closeNoStatus {
		body = binary.BigEndian.AppendUint16(make([]byte, 0, maxControlPayloadLen), uint16(code))
		body = append(body, truncateUTF8(reason, maxCloseReasonLen)...)
	}
	c.netConn.SetWriteDeadline(time.Now().Add(closeTimeout))
	return c.writeFrame(opClose, body)
}

// writeFrame writes one unmasked frame with FIN set. The caller holds wmu.
func (c *conn) writeFrame(opcode byte, payload []byte) error {
	header := appendFrameHeader(c.wbuf[:0], true, opcode, len(payload))
	if c.trace != nil {
		c.traceFrame("server", frameHeader{fin: true, opcode: opcode, length: uint64(len(payload)), size: len(header)}, payload, nil)
	}
	if len(header)+len(payload) <= cap(c.wbuf) {
		_, err := c.netConn.Write(append(header, payload...))
		return err
	}
	c.wbufs = [2][]byte{header, payload}
	c.bufs = c.wbufs[:]
	_, err := c.bufs.WriteTo(c.netConn)
	return err
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// fail is how the server ends a connection whose peer broke a rule: send a
// close frame with the rule's code (section 7.1.7), give the peer a bounded
// time to answer, then close TCP. If the broken rule left the stream in the
// middle of a frame, nothing more it sends can be parsed: the server shuts
// its side and discards what arrives (lingerClose), processing none of it
// (section 7.1.7). Otherwise it reads on for the peer's close frame.
func (c *conn) fail(perr *protocolError) {
	if c.writeClose(perr.code, perr.reason) == nil {
		if c.midFrame {
			lingerClose(c.netConn)
		} else {
			c.awaitClose()
		}
	}
	c.netConn.Close()
}

// awaitClose reads and drops whatever the peer still sends until its close
// frame, an error, or closeTimeout (section 7.1.2). Used after our own
// close frame went out first.
func (c *conn) awaitClose() {
	c.netConn.SetReadDeadline(time.Now().Add(closeTimeout))
	for {
		if _, _, err := c.readMessage(); err != nil {
			return
		}
	}
}

// traceFrame prints one frame for -trace, if tracing is on; from is
// "client" or "server".
func (c *conn) traceFrame(from string, h frameHeader, payload []byte, err error) {
	if c.trace == nil {
		return
	}
	io.WriteString(c.trace, from+" "+formatFrame(h, payload, err))
}
