package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// control is a control frame as onControl saw it.
type control struct {
	opcode  byte
	payload string
}

// wireConn is a net.Conn without a network: reads come from r, writes are
// collected. The frame tests talk to a conn through it.
type wireConn struct {
	r       io.Reader
	mu      sync.Mutex
	written bytes.Buffer
}

func (w *wireConn) Read(p []byte) (int, error) { return w.r.Read(p) }
func (w *wireConn) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.written.Write(p)
}
func (w *wireConn) sent() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return bytes.Clone(w.written.Bytes())
}
func (w *wireConn) Close() error                       { return nil }
func (w *wireConn) LocalAddr() net.Addr                { return &net.TCPAddr{} }
func (w *wireConn) RemoteAddr() net.Addr               { return &net.TCPAddr{} }
func (w *wireConn) SetDeadline(t time.Time) error      { return nil }
func (w *wireConn) SetReadDeadline(t time.Time) error  { return nil }
func (w *wireConn) SetWriteDeadline(t time.Time) error { return nil }

// testConn reads from r with the given message limit and records the
// control frames it meets before handleControl answers them.
func testConn(r io.Reader, limit int64) (*conn, *[]control) {
	c, _, seen := testConnWire(r, limit)
	return c, seen
}

func testConnWire(r io.Reader, limit int64) (*conn, *wireConn, *[]control) {
	wire := &wireConn{r: r}
	c := newConn(wire, bufio.NewReader(wire), limit)
	var seen []control
	c.onControl = func(h frameHeader, payload []byte) error {
		seen = append(seen, control{h.opcode, string(payload)})
		return c.handleControl(h, payload)
	}
	return c, wire, &seen
}

// message is what readMessage returned.
type message struct {
	opcode  byte
	payload string
}

// readAll reads messages until an error and returns them with the error.
func readAll(c *conn) ([]message, error) {
	var msgs []message
	for {
		op, payload, err := c.readMessage()
		if err != nil {
			return msgs, err
		}
		msgs = append(msgs, message{op, string(payload)})
	}
}

// Frames written out byte by byte. The masked ones use the RFC's key
// 37 fa 21 3d; to check one by hand, XOR
// each payload byte with the key byte at its position mod 4.
const (
	maskedHello    = "81 85 37 fa 21 3d 7f 9f 4d 51 58"          // RFC 5.7
	maskedPingHelo = "89 85 37 fa 21 3d 7f 9f 4d 51 58"          // ping "Hello"
	maskedPong     = "8a 85 37 fa 21 3d 7f 9f 4d 51 58"          // RFC 5.7, pong "Hello"
	kosmeFirst     = "01 83 37 fa 21 3d f9 40 c0"                // text, FIN=0: ce ba e1
	kosmeLast      = "80 88 37 fa 21 3d 8a 43 ee be f9 46 ef 88" // continuation, FIN=1: bd b9 cf 83 ce bc ce b5
	close1000Bye   = "88 85 37 fa 21 3d 34 12 43 44 52"          // close 1000 "bye"
)

// kosme is κόσμε as Autobahn writes it: its ό is U+1F79 (e1 bd b9), not
// the U+03CC a keyboard types.
const kosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"

func TestReadMessage(t *testing.T) {
	tests := []struct {
		name     string
		wire     []byte
		want     []message
		controls []control
		err      error
	}{
		{name: "the RFC's masked Hello is a text message", wire: unhex(maskedHello), want: []message{{opText, "Hello"}}, controls: nil, err: io.EOF},
		{name: "a character split across fragments is valid text", wire: unhex(kosmeFirst + kosmeLast), want: []message{{opText, kosme}}, controls: nil, err: io.EOF},
		{name: "a ping between fragments goes to onControl and the message still arrives", wire: unhex(kosmeFirst + maskedPingHelo + kosmeLast), want: []message{{opText, kosme}}, controls: []control{{opPing, "Hello"}}, err: io.EOF},
		{name: "an unsolicited pong is passed on too", wire: unhex(maskedPong + maskedHello), want: []message{{opText, "Hello"}}, controls: []control{{opPong, "Hello"}}, err: io.EOF},
		{name: "a binary message is not checked as UTF-8", wire: clientFrame(0x82, []byte{0xff, 0xfe, 0xed, 0xa0}), want: []message{{opBinary, "\xff\xfe\xed\xa0"}}, controls: nil, err: io.EOF},
		{name: "an empty text message is a message", wire: clientFrame(0x81, nil), want: []message{{opText, ""}}, controls: nil, err: io.EOF},
		{name: "empty fragments are fine", wire: concat(clientFrame(0x01, nil), clientFrame(0x00, []byte("ab")), clientFrame(0x80, nil)), want: []message{{opText, "ab"}}, controls: nil, err: io.EOF},
		{name: "messages back to back are read one at a time", wire: concat(unhex(maskedHello), clientFrame(0x82, bytes.Repeat([]byte{7}, 256)), unhex(maskedHello)), want: []message{{opText, "Hello"}, {opBinary, strings.Repeat("\x07", 256)}, {opText, "Hello"}}, controls: nil, err: io.EOF},
		{name: "a 64 KiB binary message takes the 64-bit length", wire: clientFrame(0x82, bytes.Repeat([]byte("0123456789abcdef"), 4096)), want: []message{{opBinary, strings.Repeat("0123456789abcdef", 4096)}}, controls: nil, err: io.EOF},
		{name: "a close frame between fragments ends reading", wire: unhex(kosmeFirst + close1000Bye), want: nil, controls: []control{{opClose, "\x03\xe8bye"}}, err: &closeError{code: 1000, reason: "bye"}},
		{name: "a close frame without a body reports 1005", wire: clientFrame(0x88, nil), want: nil, controls: []control{{opClose, ""}}, err: &closeError{code: 1005}},
		{name: "a continuation with no message started is refused", wire: clientFrame(0x80, []byte("lo")), want: nil, controls: nil, err: errUnexpectedContinuation},
		{name: "a text frame inside a fragmented message is refused", wire: concat(clientFrame(0x01, []byte("Hel")), clientFrame(0x81, []byte("lo"))), want: nil, controls: nil, err: errExpectedContinuation},
		{name: "a binary frame inside a fragmented message is refused", wire: concat(clientFrame(0x02, []byte("Hel")), clientFrame(0x02, []byte("lo"))), want: nil, controls: nil, err: errExpectedContinuation},
		{name: "Autobahn 6.3.1 (an encoded surrogate) is invalid UTF-8", wire: clientFrame(0x81, unhex("ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80 65 64 69 74 65 64")), want: nil, controls: nil, err: errInvalidUTF8},
		{name: "an overlong encoding is invalid UTF-8", wire: clientFrame(0x81, []byte{0xc0, 0xaf}), want: nil, controls: nil, err: errInvalidUTF8},
		{name: "a code point above U+10FFFF is invalid UTF-8", wire: clientFrame(0x81, []byte{0xf4, 0x90, 0x80, 0x80}), want: nil, controls: nil, err: errInvalidUTF8},
		{name: "text that ends in the middle of a character is invalid", wire: clientFrame(0x81, []byte{'a', 0xce}), want: nil, controls: nil, err: errInvalidUTF8},
		{name: "a fragmented text that ends mid-character is invalid", wire: concat(clientFrame(0x01, []byte{'a'}), clientFrame(0x80, []byte{0xe2, 0x82})), want: nil, controls: nil, err: errInvalidUTF8},
		{name: "a first fragment ending in ed a0 fails before the rest arrives", wire: clientFrame(0x01, unhex("ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0")), want: nil, controls: nil, err: errInvalidUTF8},
		{name: "an unmasked frame is refused", wire: unhex("81 05 48 65 6c 6c 6f"), want: nil, controls: nil, err: errUnmasked},
		{name: "a header rule broken inside a fragmented message ends it", wire: concat(clientFrame(0x01, []byte("Hel")), clientFrame(0x09, []byte("ping"))), want: nil, controls: nil, err: errFragmentedControl},
		{name: "the stream ending inside a payload is not a clean end", wire: unhex(maskedHello)[:8], want: nil, controls: nil, err: io.ErrUnexpectedEOF},
		{name: "the stream ending between fragments is not a clean end", wire: unhex(kosmeFirst), want: nil, controls: nil, err: io.ErrUnexpectedEOF},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			c, seen := testConn(bytes.NewReader(tt.wire), 1<<20)
			msgs, err := readAll(c)
			assert.Equal(t, tt.want, msgs)
			assert.Equal(t, tt.controls, *seen)
			assert.Equal(t, tt.err, err)
		})
	}
}

func concat(frames ...[]byte) []byte { return bytes.Join(frames, nil) }

func TestReadMessageChecksEachByteOfTextOnce(t *testing.T) {
	// 1 MiB of text in one-byte fragments: 7 MiB on the wire, one message.
	// Checking only the new bytes (and a character cut at the end of the
	// last fragment) reads it in about 0.1 s (0.7 s with -race). Checking
	// the whole message again at every fragment is quadratic: about 13 s
	// here, and hours at the 16 MiB default limit, a client's way to take a
	// core. Tests do not time things, but a read must end within the
	// tests' timeout.
	const n = 1 << 20
	wire := make([]byte, 0, 7*n)
	wire = append(wire, clientFrame(0x01, []byte("a"))...)
	for range n - 2 {
		wire = append(wire, clientFrame(0x00, []byte("a"))...)
	}
	wire = append(wire, clientFrame(0x80, []byte("a"))...)
	c, _ := testConn(bytes.NewReader(wire), 16<<20)
	done := make(chan int, 1)
	go func() {
		_, msg, _ := c.readMessage()
		done <- len(msg)
	}()
	select {
	case got := <-done:
		assert.Equal(t, n, got, "one message of 1 MiB")
	case <-time.After(timeout):
		t.Fatalf("1 MiB of text in one-byte fragments is not read within %s: is the whole message checked again at every fragment?", timeout)
	}
}

func TestReadMessageHandlesAnySplitOfTheStream(t *testing.T) {
	// A whole conversation: fragmented text with a ping inside, 300 bytes
	// of binary (16-bit length), the RFC's Hello, then a close.
	wire := concat(unhex(kosmeFirst), unhex(maskedPingHelo), unhex(kosmeLast),
		clientFrame(0x82, bytes.Repeat([]byte{0xab}, 300)), unhex(maskedHello), unhex(close1000Bye))
	want := []message{{opText, kosme}, {opBinary, strings.Repeat("\xab", 300)}, {opText, "Hello"}}

	c, _ := testConn(iotest.OneByteReader(bytes.NewReader(wire)), 1<<20)
	msgs, err := readAll(c)
	assert.Equal(t, want, msgs, "one byte per read")
	assert.Equal(t, &closeError{code: 1000, reason: "bye"}, err)

	for i := 1; i < len(wire); i++ {
		r := io.MultiReader(bytes.NewReader(wire[:i]), bytes.NewReader(wire[i:]))
		c, _ := testConn(r, 1<<20)
		msgs, err := readAll(c)
		ok := assert.Equal(t, want, msgs, "split after byte %d", i)
		ok = assert.Equal(t, &closeError{code: 1000, reason: "bye"}, err, "split after byte %d", i) && ok
		if !ok {
			return // one split that fails says it all; the others would repeat it
		}
	}
}

// headerOnly is a peer that sent a header and nothing more; reading past
// it fails the test, so a test can tell "refused from the header" apart
// from "read the payload and then refused".
type headerOnly struct {
	t    *testing.T
	wire []byte
}

func (h *headerOnly) Read(p []byte) (int, error) {
	if len(h.wire) == 0 {
		h.t.Error("the server read past the header of a frame it should refuse from the header alone")
		return 0, io.EOF
	}
	n := copy(p, h.wire)
	h.wire = h.wire[n:]
	return n, nil
}

func TestReadMessageRefusesTooBigFromTheAnnouncedLength(t *testing.T) {
	tests := []struct {
		name  string
		wire  string
		limit int64
	}{
		{"2^62 bytes announced against a 16 MiB limit", "82 ff 40 00 00 00 00 00 00 00 37 fa 21 3d", 16 << 20},
		{"2^63-1 bytes announced, the largest legal length", "82 ff 7f ff ff ff ff ff ff ff 37 fa 21 3d", 16 << 20},
		{"one byte over a 125-byte limit", "81 fe 00 7e 37 fa 21 3d", 125},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			c, _ := testConn(&headerOnly{t: t, wire: unhex(tt.wire)}, tt.limit)
			_, _, err := c.readMessage()
			assert.Equal(t, errMessageTooBig, err)
			assert.Zero(t, cap(c.msg), "nothing was allocated for it")
		})
	}

	t.Run("fragments that add up to more than the limit", func(t *testing.T) {
		wire := concat(clientFrame(0x02, make([]byte, 6)), clientFrame(0x00, make([]byte, 6)))
		c, _ := testConn(bytes.NewReader(wire), 10)
		_, _, err := c.readMessage()
		assert.Equal(t, errMessageTooBig, err)
	})
	t.Run("a continuation whose length would overflow the sum", func(t *testing.T) {
		// 6 bytes, then a continuation announcing 2^63-1: a check written
		// as len(msg)+length > limit adds them in int64, wraps to a
		// negative number and lets the frame through (CVE-2020-27813 was
		// this in gorilla/websocket). Refused from the header alone.
		wire := concat(clientFrame(0x02, make([]byte, 6)), unhex("80 ff 7f ff ff ff ff ff ff ff 37 fa 21 3d"))
		c, _ := testConn(&headerOnly{t: t, wire: wire}, 16<<20)
		_, _, err := c.readMessage()
		assert.Equal(t, errMessageTooBig, err)
	})
	t.Run("a message of exactly the limit is accepted", func(t *testing.T) {
		c, _ := testConn(bytes.NewReader(clientFrame(0x82, make([]byte, 1000))), 1000)
		_, payload, err := c.readMessage()
		require.NoError(t, err)
		assert.Len(t, payload, 1000)
	})
}

func TestReadMessageReusesItsBuffer(t *testing.T) {
	var wire []byte
	for range 100 {
		wire = append(wire, unhex(maskedHello)...)
	}
	c, _ := testConn(bytes.NewReader(wire), 1<<20)
	_, _, err := c.readMessage() // the first message allocates the buffer
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(50, func() {
		if _, _, err := c.readMessage(); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs, "reading a small message allocates nothing in steady state")
}

func BenchmarkReadMessage(b *testing.B) {
	for _, size := range []int{16, 64 << 10} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			frame := clientFrame(0x82, bytes.Repeat([]byte{'x'}, size))
			r := &repeatReader{frame: frame}
			c, _ := testConn(r, 1<<20)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := c.readMessage(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// repeatReader sends the same frame forever.
type repeatReader struct {
	frame []byte
	off   int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.frame[r.off:])
		n += c
		r.off = (r.off + c) % len(r.frame)
	}
	return n, nil
}
