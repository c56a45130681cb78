package main

import (
	"bufio"
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReadRequest feeds arbitrary bytes to the request reader. Whatever it
// gets, it must not panic, must not read past the limit (plus one buffer),
// and anything it accepts must obey the rules it claims to check.
func FuzzReadRequest(f *testing.F) {
	for _, seed := range []string{
		rfcRequest,
		firefoxRequest,
		"\r\n" + rfcRequest,
		strings.ReplaceAll(rfcRequest, "\r\n", "\n"),
		"GET / HTTP/1.1\r\nX-Note: a: b\r\nHost:x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
		"GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n",
		"POST / HTTP/1.0\r\n\r\n",
		"GET / HTTP/1.1\r\nX: \x00\r\n\r\n",
		"GET /" + strings.Repeat("a", 9000) + " HTTP/1.1\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit, bufSize = 1024, 256
		counted := &countingReader{r: bytes.NewReader(data)}
		req, err := readRequest(bufio.NewReaderSize(counted, bufSize), limit)
		if counted.n > limit+bufSize {
			t.Fatalf("read %d bytes with a limit of %d", counted.n, limit)
		}
		if err != nil {
			var herr *httpError
			if errors.As(err, &herr) && statusText[herr.status] == "" {
				t.Fatalf("refusal with a status we cannot name: %v", herr)
			}
			return
		}
		if !isToken(req.method) || req.major != 1 || hasControl(req.target) || strings.Contains(req.target, " ") {
			t.Fatalf("accepted a malformed request line: %+v", req)
		}
		for _, h := range req.header {
			if !isToken(h.name) || hasControl(h.value) || strings.Trim(h.value, " \t") != h.value {
				t.Fatalf("accepted a malformed header field %q: %q", h.name, h.value)
			}
		}
		_ = checkUpgrade(req) // must not panic on anything the reader accepts
	})
}

// FuzzReadFrame feeds arbitrary bytes to the frame reader as if a client
// sent them after the handshake. Whatever arrives, reading must not panic,
// must not allocate past the message limit, and every message it accepts
// must obey the rules: text is valid UTF-8, and nothing exceeds the limit.
func FuzzReadFrame(f *testing.F) {
	for _, seed := range []string{
		maskedHello,
		kosmeFirst + maskedPingHelo + kosmeLast,
		maskedPong + close1000Bye,
		"81 05 48 65 6c 6c 6f",
		"82 ff 40 00 00 00 00 00 00 00 37 fa 21 3d",
		"82 fe 01 00 37 fa 21 3d",
		"c1 80 00 00 00 00",
		"09 80 00 00 00 00",
		"80 82 37 fa 21 3d 00 00",
	} {
		f.Add(unhex(f, seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 4096
		wire := &wireConn{r: bytes.NewReader(data)}
		c := newConn(wire, bufio.NewReaderSize(wire, 64), limit)
		c.onControl = func(h frameHeader, payload []byte) error {
			if !isControl(h.opcode) || !h.fin || len(payload) > maxControlPayloadLen {
				t.Fatalf("a control frame that breaks section 5.5 got through: %+v", h)
			}
			return c.handleControl(h, payload)
		}
		for {
			opcode, msg, err := c.readMessage()
			if cap(c.msg) > limit {
				t.Fatalf("allocated %d bytes with a limit of %d", cap(c.msg), limit)
			}
			if err != nil {
				return
			}
			if opcode != opText && opcode != opBinary {
				t.Fatalf("a message with opcode %#x", opcode)
			}
			if len(msg) > limit {
				t.Fatalf("a message of %d bytes with a limit of %d", len(msg), limit)
			}
			if opcode == opText && !utf8.Valid(msg) {
				t.Fatalf("invalid UTF-8 accepted as text: %x", msg)
			}
		}
	})
}
