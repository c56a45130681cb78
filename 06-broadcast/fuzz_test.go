package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReadRequest feeds arbitrary bytes to checkFirstBytes, then to the
// request reader, then to checkUpgrade, in the server's order. Whatever
// they get, they must not panic; checkFirstBytes must consume nothing and
// never refuse what readRequest would accept; the reader must not read past
// the limit (plus one buffer); and anything accepted must obey the rules
// the code claims to check.
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
		strings.Replace(rfcRequest, "/chat", "http://server.example.com/chat", 1),
		strings.Replace(rfcRequest, "/chat", "server.example.com:443", 1),
		"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
		strings.Replace(rfcRequest, "\r\n\r\n", "\r\nContent-Length: 5\r\n\r\nhello", 1),
		strings.Replace(rfcRequest, "\r\n\r\n", "\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 1),
		"\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03",
		"G@T / HTTP/1.1\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit, bufSize = 1024, 256
		counted := &countingReader{r: bytes.NewReader(data)}
		br := bufio.NewReaderSize(counted, bufSize)
		first := checkFirstBytes(br)
		if first != nil && statusOf(first) != 400 && !errors.Is(first, io.EOF) {
			t.Fatalf("checkFirstBytes: %v", first)
		}
		if br.Buffered() != counted.n {
			t.Fatalf("checkFirstBytes consumed %d of the %d bytes it read", counted.n-br.Buffered(), counted.n)
		}
		// Go on as if it had said nothing: what it refuses, readRequest
		// must refuse too.
		req, err := readRequest(br, limit)
		if counted.n > limit+bufSize {
			t.Fatalf("read %d bytes with a limit of %d", counted.n, limit)
		}
		if err == nil && first != nil {
			t.Fatalf("checkFirstBytes refused what readRequest accepts: %v", first)
		}
		if err != nil {
			var herr *httpError
			if errors.As(err, &herr) && statusText[herr.status] == "" {
				t.Fatalf("refusal with a status we cannot name: %v", herr)
			}
			return
		}
		if !isToken(req.method) || req.major != 1 || hasControl(req.target) || strings.Contains(req.target, " ") ||
			(!strings.HasPrefix(req.target, "/") && !strings.Contains(req.target, "://")) {
			t.Fatalf("accepted a malformed request line: %+v", req)
		}
		for _, h := range req.header {
			if !isToken(h.name) || hasControl(h.value) || strings.Trim(h.value, " \t") != h.value {
				t.Fatalf("accepted a malformed header field %q: %q", h.name, h.value)
			}
		}
		if checkUpgrade(req) == nil {
			cl := req.header.values("Content-Length")
			if req.header.count("Transfer-Encoding") > 0 || len(cl) > 1 || (len(cl) == 1 && cl[0] != "0") {
				t.Fatalf("accepted an upgrade with a body: %+v", req.header)
			}
		}
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
		f.Add(unhex(seed))
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
