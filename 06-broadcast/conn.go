package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

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
	trace          *tracer       // with -trace, every frame is shown; nil: off

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
	batch     net.Buffers // the frames of one writeFrames, the same way
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
	h, err := c.trace.readHeader(c.br)
	for c.firedEarly(err) {
		h, err = c.trace.readHeader(c.br)
	}
	if err != nil {
		return h, c.readError(err)
	}
	c.midFrame = true
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
	c.traceRead(dst[start:], nil) // before unmasking: the bytes as they were on the wire
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
		wait := keepBuffersFor
		if c.closingBy.Load() != 0 {
			wait = 0 // our close is out: wait for the peer's until closingBy
		}
		c.readBy(wait)
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
			c.resume = resumeReader{first: c.resume.first, pending: true, netConn: c.netConn}
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
	netConn net.Conn
}

func (r *resumeReader) Read(p []byte) (int, error) {
	if r.pending && len(p) > 0 {
		p[0] = r.first[0]
		r.pending = false
		return 1, nil
	}
	return r.netConn.Read(p)
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

// traceRead shows, if tracing is on, the client frame whose header was
// just read: its header's bytes as they came, and payload as on the wire.
func (c *conn) traceRead(payload []byte, err error) {
	if c.trace != nil {
		c.trace.show("client", c.trace.header[:c.trace.n], payload, err)
	}
}
