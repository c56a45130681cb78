package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
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
	closePolicyViolation = 1008
	closeMessageTooBig   = 1009
	closeTryAgainLater   = 1013 // registered with IANA after RFC 6455: the server is overloaded
	maxControlPayloadLen = 125  // section 5.5
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

// protocolError is a reason to fail the connection: a rule the peer broke,
// or a limit of this server. code is the close code it maps to (the table
// in docs/05-write-frames.md), reason says which rule or limit.
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

	// Not rules of RFC 6455 but limits of this server, closed the same way.
	errServerBusy     = &protocolError{closeTryAgainLater, "the server's memory for messages is in use; try again later"}
	errMessageTimeout = &protocolError{closePolicyViolation, "message not complete within the time the server allows"}
)

// errNoPong is how readMessage reports a peer that stayed silent after a
// keepalive ping: it is gone, or too slow to keep.
var errNoPong = errors.New("no answer to a keepalive ping")

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
//
// A conn keeps its promises to the server's other clients: it takes memory
// for a message as the bytes arrive, from the server's budget; every wait
// has a deadline; and between messages, once quiet, it holds no buffer.
type conn struct {
	netConn        net.Conn
	br             *bufio.Reader // holds any bytes that came with the handshake; nil while idle
	maxMessageSize int64         // 1009 past this, decided from announced lengths
	trace          io.Writer     // with -trace, every frame is shown here; nil: off

	// Limits set by the server; the zero value of each turns it off.
	budget         *budget       // memory for message buffers, shared with every conn of the server
	messageTimeout time.Duration // a frame, and a message, must arrive whole within this once started
	writeTimeout   time.Duration // a frame must be written within this: a peer that does not read is dropped
	pingAfter      time.Duration // ping a peer quiet for this long (keepalive)
	pongWait       time.Duration // and drop it if nothing arrives within this after the ping

	msg     []byte                     // the message being assembled; reused for the next one
	held    int64                      // what msg's buffer took from the budget
	control [maxControlPayloadLen]byte // a control frame's payload

	// onControl is called for every control frame readMessage meets, with
	// its unmasked payload (valid only during the call). A non-nil error
	// ends readMessage with that error. newConn sets it to handleControl.
	onControl func(h frameHeader, payload []byte) error

	// inMessage is set between the first and the last frame of a message.
	// Between messages the conn waits without a deadline of its own
	// (keepalive decides); inside one, messageTimeout runs.
	inMessage bool
	resume    resumeReader // what br reads from once an idle wait has ended

	// midFrame is set between a frame's header and the end of its payload.
	// A rule broken there leaves the rest of the frame unread, so what
	// follows is not at a frame boundary and cannot be parsed.
	midFrame bool

	// closingBy is when the closing handshake must be over (Unix
	// nanoseconds), set when our close frame goes out; 0 before. Every read
	// deadline is capped by it.
	closingBy atomic.Int64

	// The deadlines of reads and writes: the one that applies (due), the
	// one set on the socket (armed). deadline.go explains why two.
	readDue, readArmed   time.Time
	writeDue, writeArmed time.Time // guarded by wmu

	wmu       sync.Mutex // held while a frame is written
	header    [maxServerHeaderLen]byte
	wbufs     [2][]byte   // header and large payload, for one writev
	bufs      net.Buffers // wbufs as WriteTo wants it; kept here so it is not allocated per write
	closeSent bool        // our close frame is out: no more data frames
	writeErr  error       // a write failed: the stream may end mid-frame, nothing more can be sent
}

const (
	// readBufferSize is the size of the buffered reader a conn reads
	// frames through, and firstMessageBuffer the size of a message
	// buffer's first allocation. Both belong to the connection itself and
	// are not taken from the budget: the server caps how many connections
	// there are (-max-conns).
	readBufferSize     = 4 << 10
	firstMessageBuffer = 4 << 10

	// keepMessageBuffer is the largest message buffer kept from one
	// message to the next; a larger one goes back (to the garbage
	// collector and the budget) as soon as its message is done.
	keepMessageBuffer = 64 << 10

	// keepBuffersFor is how long a quiet connection keeps its buffers
	// before giving them back: a busy connection's next message usually
	// comes sooner, and reuses them.
	keepBuffersFor = time.Second

	// maxServerHeaderLen is the longest header of a server frame: 2 bytes,
	// and 8 of extended length; never a masking key (section 5.1).
	maxServerHeaderLen = 10

	// smallWrite is the largest frame copied into one buffer and written
	// with a single Write; larger payloads go out with writev, header and
	// payload side by side, without a copy.
	smallWrite = 4 << 10
)

// writeBuffers lends the buffer a small frame is copied into for its one
// Write. Shared by all conns, so a connection holds none between writes.
var writeBuffers = sync.Pool{New: func() any { b := make([]byte, 0, smallWrite); return &b }}

func newConn(netConn net.Conn, br *bufio.Reader, maxMessageSize int64) *conn {
	c := &conn{
		netConn:        netConn,
		br:             br,
		maxMessageSize: maxMessageSize,
	}
	c.onControl = c.handleControl
	return c
}

// nextHeader reads the next frame header and checks it against the rules
// of section 5. A header that breaks one is shown by -trace with the rule.
//
// Between messages it first waits for the peer to send anything at all
// (awaitFrame); from the first byte on, the frame, and the message it
// starts, must arrive within messageTimeout.
func (c *conn) nextHeader() (frameHeader, error) {
	if !c.inMessage {
		if cap(c.msg) > keepMessageBuffer {
			c.releaseMessageBuffer() // a large message is done: give its memory back
		}
		if err := c.awaitFrame(); err != nil {
			return frameHeader{}, err
		}
		c.readBy(c.messageTimeout)
	}
	h, err := readFrameHeader(c.br)
	for c.firedEarly(err) {
		h, err = readFrameHeader(c.br)
	}
	if err != nil {
		return h, c.readError(err)
	}
	c.midFrame = true
	if err := checkFrameHeader(h); err != nil {
		c.traceFrame("client", h, nil, err)
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
		if c.firedEarly(err) {
			continue
		}
		if err != nil {
			return dst[:start], c.readError(noEOF(err))
		}
	}
	c.midFrame = false
	if !isControl(h.opcode) {
		c.inMessage = !h.fin
	}
	c.traceFrame("client", h, dst[start:], nil) // before unmasking: the bytes as they were on the wire
	maskBytes(h.key, 0, dst[start:])
	return dst, nil
}

// grow returns b, which is full, in a buffer with room for more of the
// frame's remaining bytes: twice the capacity, or, for a new buffer, what
// the frame needs up to firstMessageBuffer (a 16-byte message gets 16
// bytes); never more than the message limit. Doubling means a message in
// many small fragments is copied a few times, not once per fragment, and
// the buffer is never more than twice what has arrived. What the larger
// buffer costs is taken from the server's budget first; when the budget
// has no room, the message cannot be held (errServerBusy, close code 1013).
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

// release gives back the buffers the conn holds: the message buffer and
// the reader's (writes need none). A quiet connection costs only its
// goroutine and a few hundred bytes of bookkeeping.
func (c *conn) release() {
	c.releaseMessageBuffer()
	c.br = nil
}

// awaitFrame waits, between messages, until the next frame starts.
//
// First it waits a moment (keepBuffersFor) with its buffers at hand. Then
// it gives them back and waits holding none: a one-byte read into the conn
// itself, after which a new reader takes that byte first (resumeReader).
// After pingAfter of silence it sends a ping (section 5.5.2): a peer that
// is there answers with a pong, or sends anything else. If nothing at all
// arrives within pongWait of the ping, the peer is gone (a laptop closed,
// a cable pulled: no FIN ever comes) and it returns errNoPong.
func (c *conn) awaitFrame() error {
	if c.br != nil {
		if c.br.Buffered() > 0 {
			return nil
		}
		c.readBy(keepBuffersFor)
		_, err := c.br.Peek(1)
		for c.firedEarly(err) {
			_, err = c.br.Peek(1)
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) || c.closingBy.Load() != 0 {
			return err
		}
		c.release()
	}
	wait, pinged := c.pingAfter, false
	for {
		c.readBy(wait)
		n, err := c.netConn.Read(c.resume.first[:])
		for n == 0 && c.firedEarly(err) {
			n, err = c.netConn.Read(c.resume.first[:])
		}
		switch {
		case n == 1:
			c.resume = resumeReader{first: c.resume.first, pending: true, conn: c.netConn}
			c.br = bufio.NewReaderSize(&c.resume, readBufferSize)
			return nil
		case err == nil:
			continue
		case !errors.Is(err, os.ErrDeadlineExceeded) || c.closingBy.Load() != 0:
			return err
		case pinged:
			return errNoPong
		}
		if err := c.writeMessage(opPing, nil); err != nil {
			return err
		}
		wait, pinged = c.pongWait, true
	}
}

// resumeReader gives the byte an idle wait read, then reads from conn.
type resumeReader struct {
	first   [1]byte
	pending bool
	conn    net.Conn
}

func (r *resumeReader) Read(p []byte) (int, error) {
	if r.pending && len(p) > 0 {
		p[0] = r.first[0]
		r.pending = false
		return 1, nil
	}
	return r.conn.Read(p)
}

// readError turns a read deadline that passed inside a frame or message
// into errMessageTimeout: the peer is too slow, or stalls on purpose. Where
// the stream stands is then unknown, so nothing more is parsed (midFrame).
func (c *conn) readError(err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) && c.closingBy.Load() == 0 {
		c.midFrame = true
		return errMessageTimeout
	}
	return err
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

// writeClose starts or answers the closing handshake: it sends a close
// frame with code and reason, once. code closeNoStatus sends an empty body
// (1005 itself may never be on the wire, section 7.4.1). The reason is cut
// to fit a control frame, at a character boundary. From then on the peer
// has closeTimeout to answer: reads stop waiting at that point.
func (c *conn) writeClose(code int, reason string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return errCloseSent
	}
	c.closeSent = true
	by := time.Now().Add(closeTimeout)
	c.closingBy.Store(by.UnixNano())
	c.netConn.SetReadDeadline(by)
	var body []byte
	if code != closeNoStatus {
		body = binary.BigEndian.AppendUint16(make([]byte, 0, maxControlPayloadLen), uint16(code))
		body = append(body, truncateUTF8(reason, maxCloseReasonLen)...)
	}
	c.writeDue, c.writeArmed = by, by
	c.netConn.SetWriteDeadline(by)
	return c.writeFrame(opClose, body)
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

// fail is how the server ends a connection whose peer broke a rule (or hit
// a limit): send a close frame with the rule's code (section 7.1.7), give
// the peer a bounded time to answer, then close TCP. If the broken rule
// left the stream in the middle of a frame, nothing more it sends can be
// parsed: the server shuts its side and discards what arrives
// (lingerClose), processing none of it (section 7.1.7). Otherwise it reads
// on for the peer's close frame; if what comes instead breaks a rule too,
// or never ends, it lingers the same way, so that the peer still gets our
// close frame rather than a reset.
func (c *conn) fail(perr *protocolError) {
	if c.writeClose(perr.code, perr.reason) == nil {
		if c.midFrame || !c.awaitClose() {
			lingerClose(c.netConn)
		}
	}
	c.netConn.Close()
}

// awaitClose reads and drops whatever the peer still sends until its close
// frame, an error, or the end of closeTimeout (section 7.1.2), and reports
// whether the peer closed cleanly. Used after our own close frame went out
// first, which set that deadline.
func (c *conn) awaitClose() bool {
	for {
		_, _, err := c.readMessage()
		if err != nil {
			var closed *peerClosed
			return errors.As(err, &closed) || errors.Is(err, io.EOF)
		}
	}
}

// traceWritten shows a frame the server writes as the client will read
// it: decoded from the bytes that go on the wire, not rebuilt from what the
// code meant to send, so a wrong header shows up as wrong in the trace too.
func (c *conn) traceWritten(header, payload []byte) {
	wire := append(append(make([]byte, 0, len(header)+14), header...), payload[:min(len(payload), 14)]...)
	h, err := readFrameHeader(bufio.NewReader(bytes.NewReader(wire)))
	if err != nil {
		fmt.Fprintf(c.trace, "server frame: %s cannot be decoded: %v\n", hexBytes(header), err)
		return
	}
	rest := payload
	switch {
	case h.size > len(header):
		rest = payload[h.size-len(header):] // the header claims payload bytes as its own
	case h.size < len(header):
		rest = append(append([]byte(nil), header[h.size:]...), payload...)
	}
	c.traceFrame("server", h, rest, nil)
}

// traceFrame prints one frame for -trace, if tracing is on; from is
// "client" or "server".
func (c *conn) traceFrame(from string, h frameHeader, payload []byte, err error) {
	if c.trace == nil {
		return
	}
	io.WriteString(c.trace, from+" "+formatFrame(h, payload, err))
}
