//go:build linux

package main

// The client side of RFC 6455, as much of it as a load program needs: the
// opening handshake, masked client frames, and a reader that assembles the
// server's messages and answers its pings.

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Opcodes (RFC 6455 section 5.2).
const (
	opContinuation byte = 0x0
	opText         byte = 0x1
	opBinary       byte = 0x2
	opClose        byte = 0x8
	opPing         byte = 0x9
	opPong         byte = 0xA
)

// closeNoStatus stands for a close frame without a code (section 7.4.1).
const closeNoStatus = 1005

// maxMessage bounds a message from the server, so that a broken server
// cannot make the load program allocate without limit. gorilla's chat
// packs at most 257 short lines into one message; ours sends one line.
const maxMessage = 1 << 20

// websocketGUID is appended to the client's key to compute the server's
// Sec-WebSocket-Accept (section 1.3).
const websocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// writeTimeout bounds every write: a server that stops reading fails the
// write instead of hanging the load program.
const writeTimeout = 10 * time.Second

// wsConn is the client end of a WebSocket connection, after its 101.
type wsConn struct {
	conn net.Conn
	br   *bufio.Reader // may hold bytes that arrived right behind the 101

	wmu  sync.Mutex // the sender and the reader's pongs write in turn
	wbuf []byte     // the frame being written; guarded by wmu
}

// closeError is a close frame from the server (section 5.5.1).
type closeError struct{ code int }

func (e *closeError) Error() string { return fmt.Sprintf("close %d", e.code) }

// dial connects to u (a ws:// URL) and does the opening handshake (RFC
// 6455 sections 4.1 and 4.2.2), all within timeout.
func dial(u *url.URL, timeout time.Duration) (*wsConn, error) {
	conn, err := net.DialTimeout("tcp", u.Host, timeout)
	if err != nil {
		return nil, err
	}
	c := &wsConn{conn: conn, br: bufio.NewReaderSize(conn, 4096)}
	if err := c.handshake(u, timeout); err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

func (c *wsConn) handshake(u *url.URL, timeout time.Duration) error {
	c.conn.SetDeadline(time.Now().Add(timeout))
	defer c.conn.SetDeadline(time.Time{})
	key := newKey()
	req := "GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
		"\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(c.conn, req); err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	resp.Body.Close() // a 101 has no body; this does not touch c.br's bytes
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return fmt.Errorf("handshake: %s", resp.Status)
	}
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != acceptKey(key) {
		return fmt.Errorf("handshake: Sec-WebSocket-Accept %q, want %q", got, acceptKey(key))
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

// writeFrame sends one masked frame with FIN set (section 5.2). The mask
// key comes from a fast PRNG: unpredictable enough for a load program on
// loopback, and crypto/rand per frame would cost more than the frame.
func (c *wsConn) writeFrame(opcode byte, payload []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	b := append(c.wbuf[:0], 0x80|opcode)
	switch n := len(payload); {
	case n <= 125:
		b = append(b, 0x80|byte(n))
	case n <= 0xFFFF:
		b = binary.BigEndian.AppendUint16(append(b, 0x80|126), uint16(n))
	default:
		b = binary.BigEndian.AppendUint64(append(b, 0x80|127), uint64(n))
	}
	var key [4]byte
	binary.LittleEndian.PutUint32(key[:], mrand.Uint32())
	b = append(b, key[:]...)
	start := len(b)
	b = append(b, payload...)
	for i := range payload {
		b[start+i] ^= key[i&3]
	}
	c.wbuf = b
	c.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err := c.conn.Write(b)
	return err
}

// frame is one frame from the server.
type frame struct {
	fin     bool
	opcode  byte
	payload []byte // valid until the next readFrame
}

var (
	errMasked   = errors.New("server frame is masked")
	errTooLarge = errors.New("server message over the load program's limit")
)

// readFrame reads one frame into buf (grown as needed, at most
// maxMessage); the read deadline is the caller's.
func (c *wsConn) readFrame(buf []byte) (frame, []byte, error) {
	var head [2]byte
	if _, err := io.ReadFull(c.br, head[:]); err != nil {
		return frame{}, buf, err
	}
	if head[1]&0x80 != 0 {
		return frame{}, buf, errMasked
	}
	n := uint64(head[1] & 0x7F)
	switch n {
	case 126:
		var ext [2]byte
		if _, err := io.ReadFull(c.br, ext[:]); err != nil {
			return frame{}, buf, err
		}
		n = uint64(binary.BigEndian.Uint16(ext[:]))
	case 127:
		var ext [8]byte
		if _, err := io.ReadFull(c.br, ext[:]); err != nil {
			return frame{}, buf, err
		}
		n = binary.BigEndian.Uint64(ext[:])
	}
	if n > maxMessage {
		return frame{}, buf, errTooLarge
	}
	if uint64(cap(buf)) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(c.br, buf); err != nil {
		return frame{}, buf, err
	}
	return frame{fin: head[0]&0x80 != 0, opcode: head[0] & 0x0F, payload: buf}, buf, nil
}

// readMessages reads until the connection ends, calls onText with each
// whole text message (valid only during the call), answers pings, and
// returns why it stopped: a *closeError for a close frame (answered), or
// the read error.
func (c *wsConn) readMessages(onText func([]byte)) error {
	var buf, msg []byte
	inMessage := false
	for {
		f, b, err := c.readFrame(buf)
		buf = b
		if err != nil {
			return err
		}
		switch f.opcode {
		case opPing:
			if err := c.writeFrame(opPong, f.payload); err != nil {
				return err
			}
		case opPong:
		case opClose:
			code := closeNoStatus
			if len(f.payload) >= 2 {
				code = int(binary.BigEndian.Uint16(f.payload))
			}
			c.writeFrame(opClose, f.payload[:min(len(f.payload), 2)])
			return &closeError{code}
		case opText, opBinary, opContinuation:
			if (f.opcode == opContinuation) != inMessage {
				return fmt.Errorf("unexpected opcode %d", f.opcode)
			}
			if len(msg)+len(f.payload) > maxMessage {
				return errTooLarge
			}
			msg = append(msg, f.payload...)
			inMessage = !f.fin
			if f.fin {
				onText(msg)
				msg = msg[:0]
			}
		default:
			return fmt.Errorf("unknown opcode %d", f.opcode)
		}
	}
}

// close closes the TCP connection.
func (c *wsConn) close() { c.conn.Close() }
