package main

import (
	"bufio"
	"bytes"
	"errors"
	"strings"
	"testing"
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
