//go:build linux

package main

// The client side of RFC 6455, as much of it as the attacks and the probe
// need: the opening handshake, masked client frames, a reader for the
// server's frames, and the probe, a well-behaved client that measures how
// the server treats honest users while it is under attack.

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Opcodes (RFC 6455 section 5.2).
const (
	opText   byte = 0x1
	opBinary byte = 0x2
	opClose  byte = 0x8
	opPing   byte = 0x9
	opPong   byte = 0xA
)

// closeNoStatus stands for a close frame without a code (section 7.4.1).
const closeNoStatus = 1005

// maxControlPayload is the longest control frame payload (section 5.5).
const maxControlPayload = 125

// websocketGUID is appended to the client's key to compute the server's
// Sec-WebSocket-Accept (section 1.3).
const websocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// wsConn is the client end of a WebSocket connection, after its 101.
type wsConn struct {
	net.Conn
	br *bufio.Reader // may hold bytes that arrived right behind the 101
}

// dialOptions say how to open a connection.
type dialOptions struct {
	timeout      time.Duration // for the TCP connect, then for the whole handshake
	extraHeaders []string      // "Name: value" lines added to the request
	recvBuffer   int           // SO_RCVBUF, set before connecting; 0: the kernel's default
}

// refusedError is an HTTP answer other than 101 to the upgrade request.
type refusedError struct {
	status int
	line   string // the status line, "HTTP/1.1 503 Service Unavailable"
}

func (e *refusedError) Error() string { return "refused: " + e.line }

// closeError is a close frame from the server (section 5.5.1).
type closeError struct{ code int }

func (e *closeError) Error() string { return fmt.Sprintf("close %d", e.code) }

// stepError says which step failed: "connect", "handshake", "echo"...
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return e.step + ": " + e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

// describe turns an error into the few words a report counts by:
// "HTTP 503", "close 1013", "connect refused", "handshake timeout"...
func describe(err error) string {
	var refused *refusedError
	var closed *closeError
	var step *stepError
	switch {
	case errors.As(err, &refused):
		return fmt.Sprintf("HTTP %d", refused.status)
	case errors.As(err, &closed):
		return closed.Error()
	case errors.As(err, &step):
		return step.step + " " + describeCause(step.err)
	}
	return describeCause(err)
}

func describeCause(err error) string {
	var netErr net.Error
	switch {
	case errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "reset"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "closed (FIN)"
	}
	return err.Error()
}

// isTimeout reports whether err is a deadline that passed.
func isTimeout(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}

// dialWebSocket connects to addr and does the opening handshake.
func dialWebSocket(addr string, o dialOptions) (*wsConn, error) {
	d := net.Dialer{Timeout: o.timeout}
	if o.recvBuffer > 0 {
		d.Control = setRecvBuffer(o.recvBuffer)
	}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, &stepError{"connect", err}
	}
	c := &wsConn{Conn: conn, br: bufio.NewReaderSize(conn, 4096)}
	if err := c.handshake(o); err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

// setRecvBuffer sets SO_RCVBUF before the connect, so that the window the
// client offers (and scales) is small from the first packet on.
func setRecvBuffer(size int) func(network, address string, rc syscall.RawConn) error {
	return func(_, _ string, rc syscall.RawConn) error {
		var setErr error
		err := rc.Control(func(fd uintptr) {
			setErr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, size)
		})
		return errors.Join(err, setErr)
	}
}

// handshake sends the upgrade request and reads the answer (RFC 6455
// sections 4.1 and 4.2.2): a 101 with the right Sec-WebSocket-Accept, or
// a refusedError with the status.
func (c *wsConn) handshake(o dialOptions) error {
	key := newKey()
	c.SetDeadline(time.Now().Add(o.timeout))
	req := "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n"
	for _, h := range o.extraHeaders {
		req += h + "\r\n"
	}
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		return &stepError{"handshake", err}
	}
	statusLine, header, err := readResponseHead(c.br)
	if err != nil {
		return &stepError{"handshake", err}
	}
	status := parseStatus(statusLine)
	if status != 101 {
		return &refusedError{status, statusLine}
	}
	if got := header["sec-websocket-accept"]; got != acceptKey(key) {
		return &stepError{"handshake", fmt.Errorf("Sec-WebSocket-Accept %q, want %q", got, acceptKey(key))}
	}
	return nil
}

// newKey is a Sec-WebSocket-Key: base64 of 16 random bytes (section 4.1).
func newKey() string {
	var nonce [16]byte
	rand.Read(nonce[:])
	return base64.StdEncoding.EncodeToString(nonce[:])
}

// acceptKey is what the server must answer to key: base64(SHA-1(key +
// GUID)), section 4.2.2.
func acceptKey(key string) string {
	sum := sha1.Sum([]byte(key + websocketGUID))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// maxResponseHeaders bounds how many header lines readResponseHead reads.
const maxResponseHeaders = 64

// readResponseHead reads the status line and the headers up to the empty
// line; header names are lower-cased.
func readResponseHead(br *bufio.Reader) (string, map[string]string, error) {
	statusLine, err := readLine(br)
	if err != nil {
		return "", nil, err
	}
	header := make(map[string]string)
	for range maxResponseHeaders {
		line, err := readLine(br)
		if err != nil {
			return statusLine, nil, err
		}
		if line == "" {
			return statusLine, header, nil
		}
		name, value, _ := strings.Cut(line, ":")
		header[strings.ToLower(name)] = strings.TrimSpace(value)
	}
	return statusLine, nil, errors.New("too many header lines")
}

// readLine reads one line without its CRLF; a line longer than br's
// buffer is an error (bufio.ErrBufferFull), so a hostile answer cannot
// make it grow.
func readLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

// parseStatus returns the status code of "HTTP/1.1 101 Switching
// Protocols", or 0 when the line is not an HTTP status line.
func parseStatus(line string) int {
	fields := strings.Fields(line)
	if len(fields) < 2 || !strings.HasPrefix(fields[0], "HTTP/") {
		return 0
	}
	status, _ := strconv.Atoi(fields[1])
	return status
}

// newMaskKey is a fresh masking key. RFC 6455 section 5.3 asks for a key
// that the application cannot predict.
func newMaskKey() [4]byte {
	var key [4]byte
	rand.Read(key[:])
	return key
}

// appendFrameHeader appends the header of a client frame (section 5.2):
// FIN set, the opcode, MASK set, the length in its shortest form (7 bits;
// 126 and 16 bits; 127 and 64 bits), then the masking key. A client masks
// every frame (section 5.1).
func appendFrameHeader(dst []byte, opcode byte, length uint64, key [4]byte) []byte {
	dst = append(dst, 0x80|opcode)
	switch {
	case length <= 125:
		dst = append(dst, 0x80|byte(length))
	case length <= math.MaxUint16:
		dst = binary.BigEndian.AppendUint16(append(dst, 0x80|126), uint16(length))
	default:
		dst = binary.BigEndian.AppendUint64(append(dst, 0x80|127), length)
	}
	return append(dst, key[:]...)
}

// maskBytes XORs b with the key, byte i with key[i mod 4] (section 5.3).
// Masking and unmasking are the same operation.
func maskBytes(key [4]byte, b []byte) {
	for i := range b {
		b[i] ^= key[i&3]
	}
}

// maskedFrame returns a whole client frame carrying payload, masked with a
// fresh key; payload itself is not changed.
func maskedFrame(opcode byte, payload []byte) []byte {
	key := newMaskKey()
	frame := appendFrameHeader(nil, opcode, uint64(len(payload)), key)
	start := len(frame)
	frame = append(frame, payload...)
	maskBytes(key, frame[start:])
	return frame
}

// serverFrame is the header of a frame from the server.
type serverFrame struct {
	fin    bool
	opcode byte
	length uint64
}

// readServerFrame reads a frame header from the server. A server never
// masks (section 5.1); a masked frame is read past, key and all, so that
// the stream stays in step, but reported as an error.
func readServerFrame(br *bufio.Reader) (serverFrame, error) {
	var head [2]byte
	if _, err := io.ReadFull(br, head[:]); err != nil {
		return serverFrame{}, err
	}
	f := serverFrame{fin: head[0]&0x80 != 0, opcode: head[0] & 0x0f, length: uint64(head[1] & 0x7f)}
	switch f.length {
	case 126:
		var ext [2]byte
		if _, err := io.ReadFull(br, ext[:]); err != nil {
			return f, err
		}
		f.length = uint64(binary.BigEndian.Uint16(ext[:]))
	case 127:
		var ext [8]byte
		if _, err := io.ReadFull(br, ext[:]); err != nil {
			return f, err
		}
		f.length = binary.BigEndian.Uint64(ext[:])
	}
	if head[1]&0x80 != 0 {
		var key [4]byte
		if _, err := io.ReadFull(br, key[:]); err != nil {
			return f, err
		}
		return f, errors.New("the server sent a masked frame (RFC 6455 section 5.1 forbids it)")
	}
	return f, nil
}

// readControlPayload reads the payload of a control frame, at most 125
// bytes (section 5.5).
func readControlPayload(br *bufio.Reader, f serverFrame) ([]byte, error) {
	if f.length > maxControlPayload {
		return nil, fmt.Errorf("control frame of %d bytes (section 5.5 allows 125)", f.length)
	}
	payload := make([]byte, f.length)
	_, err := io.ReadFull(br, payload)
	return payload, err
}

// closeCode is the code in a close frame's payload, closeNoStatus if
// it has none (section 5.5.1).
func closeCode(payload []byte) int {
	if len(payload) < 2 {
		return closeNoStatus
	}
	return int(binary.BigEndian.Uint16(payload))
}

// maxFramesPerMessage bounds the frames read while waiting for one
// message: pings and pongs may come first, but not forever.
const maxFramesPerMessage = 64

// echo sends payload as one masked text frame and waits for the server to
// send it back, answering pings on the way as a well-behaved client does
// (section 5.5.2). It returns the round-trip time.
func (c *wsConn) echo(payload []byte, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	c.SetDeadline(start.Add(timeout))
	if _, err := c.Write(maskedFrame(opText, payload)); err != nil {
		return 0, &stepError{"echo", err}
	}
	for range maxFramesPerMessage {
		f, err := readServerFrame(c.br)
		if err != nil {
			return 0, &stepError{"echo", err}
		}
		if f.opcode >= opClose {
			if err := c.answerControl(f); err != nil {
				return 0, err
			}
			continue
		}
		if f.opcode != opText || !f.fin || f.length != uint64(len(payload)) {
			return 0, &stepError{"echo", fmt.Errorf("unexpected frame: opcode %d, fin %v, %d bytes", f.opcode, f.fin, f.length)}
		}
		got := make([]byte, f.length)
		if _, err := io.ReadFull(c.br, got); err != nil {
			return 0, &stepError{"echo", err}
		}
		if string(got) != string(payload) {
			return 0, &stepError{"echo", fmt.Errorf("echoed %q, sent %q", got, payload)}
		}
		return time.Since(start), nil
	}
	return 0, &stepError{"echo", errors.New("too many control frames before the echo")}
}

// answerControl handles a control frame as a well-behaved client: a pong
// for a ping, nothing for a pong, a closeError for a close.
func (c *wsConn) answerControl(f serverFrame) error {
	payload, err := readControlPayload(c.br, f)
	if err != nil {
		return &stepError{"echo", err}
	}
	switch f.opcode {
	case opPing:
		if _, err := c.Write(maskedFrame(opPong, payload)); err != nil {
			return &stepError{"pong", err}
		}
	case opClose:
		return &closeError{closeCode(payload)}
	}
	return nil
}

// Probe timing: one echo every probeEvery, each given probeTimeout for
// its connect, its handshake and its round trip.
const (
	probeEvery   = 100 * time.Millisecond
	probeTimeout = 2 * time.Second
	maxProbes    = int(time.Hour / probeEvery) // bounds the loop
)

// probeMessage is what the probe echoes: 16 bytes of text.
var probeMessage = []byte("probe 0123456789")

// probeStats is what the probe saw.
type probeStats struct {
	attempts   int
	roundTrips []time.Duration // of the echoes that came back
	failures   tally           // the others, by what went wrong
}

func (p probeStats) failed() int { return p.failures.total() }

// percentile returns the nearest-rank percentile of the round trips, -1
// when there were none.
func (p probeStats) percentile(pct int) time.Duration {
	if len(p.roundTrips) == 0 {
		return -1
	}
	sorted := slices.Sorted(slices.Values(p.roundTrips))
	rank := int(math.Ceil(float64(pct) / 100 * float64(len(sorted))))
	return sorted[max(rank-1, 0)]
}

func (p probeStats) String() string {
	s := fmt.Sprintf("%d echoes tried, %d came back: round trip p50 %s ms, p99 %s ms, max %s ms; %d failed",
		p.attempts, len(p.roundTrips), millis(p.percentile(50)), millis(p.percentile(99)), millis(p.percentile(100)), p.failed())
	if p.failed() > 0 {
		s += " (" + p.failures.String() + ")"
	}
	return s
}

// runProbe echoes probeMessage every probeEvery until ctx is done, over
// one connection that it opens again whenever it is lost. A tick whose
// connect, handshake or echo fails counts as one failure; the next tick
// starts over with a fresh connection.
func runProbe(ctx context.Context, addr string) probeStats {
	stats := probeStats{failures: tally{}}
	tick := time.NewTicker(probeEvery)
	defer tick.Stop()
	var c *wsConn
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	for range maxProbes {
		select {
		case <-ctx.Done():
			return stats
		case <-tick.C:
		}
		stats.attempts++
		rtt, err := probeOnce(&c, addr)
		if err != nil {
			stats.failures.add(describe(err))
			continue
		}
		stats.roundTrips = append(stats.roundTrips, rtt)
	}
	return stats
}

// probeOnce echoes once over *c, connecting first if *c is nil; on error
// it closes *c and sets it to nil.
func probeOnce(c **wsConn, addr string) (time.Duration, error) {
	if *c == nil {
		conn, err := dialWebSocket(addr, dialOptions{timeout: probeTimeout})
		if err != nil {
			return 0, err
		}
		*c = conn
	}
	rtt, err := (*c).echo(probeMessage, probeTimeout)
	if err != nil {
		(*c).Close()
		*c = nil
	}
	return rtt, err
}

// tally counts outcomes by name.
type tally map[string]int

func (t tally) add(name string) { t[name]++ }

func (t tally) total() int {
	n := 0
	for _, count := range t {
		n += count
	}
	return n
}

// String lists the counts, largest first: "HTTP 503: 30, handshake timeout: 4".
func (t tally) String() string {
	if len(t) == 0 {
		return "none"
	}
	names := slices.Collect(maps.Keys(t))
	slices.SortFunc(names, func(a, b string) int {
		if t[a] != t[b] {
			return t[b] - t[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = fmt.Sprintf("%s: %d", name, t[name])
	}
	return strings.Join(parts, ", ")
}
