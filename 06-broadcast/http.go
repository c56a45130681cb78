package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
)

// request is an HTTP/1.1 request head: the request line and the headers.
// A WebSocket opening handshake has no body.
type request struct {
	method string // "GET"
	target string // "/chat?room=1"
	proto  string // "HTTP/1.1"
	major  int    // 1
	minor  int    // 1
	header header
}

// header keeps the fields in the order they arrived, with the names as the
// client wrote them. Look-ups ignore case: "upgrade", "Upgrade" and
// "UPGRADE" are one name (RFC 7230 section 3.2). A request has a dozen or
// so fields, so a slice searched from the start is all we need.
type header []headerField

type headerField struct {
	name  string
	value string
}

// values returns every value of the field called name, in order.
func (h header) values(name string) []string {
	var vs []string
	for _, f := range h {
		if strings.EqualFold(f.name, name) {
			vs = append(vs, f.value)
		}
	}
	return vs
}

// get returns the first value of name, or "" if there is none.
func (h header) get(name string) string {
	for _, f := range h {
		if strings.EqualFold(f.name, name) {
			return f.value
		}
	}
	return ""
}

// count says how many times name appears.
func (h header) count(name string) int {
	return len(h.values(name))
}

// tokens splits a list-valued field into its items: every line of it, split
// at commas, trimmed, empty items dropped (RFC 7230 sections 3.2.2 and 7).
// "Connection: keep-alive, Upgrade" is two tokens.
func (h header) tokens(name string) []string {
	var items []string
	for _, v := range h.values(name) {
		for item := range strings.SplitSeq(v, ",") {
			if item = strings.Trim(item, " \t"); item != "" {
				items = append(items, item)
			}
		}
	}
	return items
}

// hasToken reports whether the list-valued field name contains token,
// ignoring case.
func (h header) hasToken(name, token string) bool {
	for _, item := range h.tokens(name) {
		if strings.EqualFold(item, token) {
			return true
		}
	}
	return false
}

// statusText holds the reason phrases of the statuses this server sends
// (RFC 7231 section 6, RFC 6585 section 5 for 431).
var statusText = map[int]string{
	101: "Switching Protocols",
	400: "Bad Request",
	403: "Forbidden",
	404: "Not Found",
	405: "Method Not Allowed",
	426: "Upgrade Required",
	429: "Too Many Requests",
	431: "Request Header Fields Too Large",
	501: "Not Implemented",
	503: "Service Unavailable",
	505: "HTTP Version Not Supported",
}

// httpError is a refusal: the status to answer with, a sentence for the
// client and the log, and any headers the status requires.
type httpError struct {
	status int
	reason string
	header header
}

func (e *httpError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.status, statusText[e.status], e.reason)
}

// refusal builds an httpError. Extra headers come in name, value pairs.
func refusal(status int, reason string, nameValues ...string) *httpError {
	e := &httpError{status: status, reason: reason}
	for i := 0; i+1 < len(nameValues); i += 2 {
		e.header = append(e.header, headerField{nameValues[i], nameValues[i+1]})
	}
	return e
}

// writeError sends e as a complete HTTP/1.1 response with a short text body.
// Content-Length tells the client where the body ends; the server closes
// the connection after it (RFC 7230 sections 3.3.3 and 6.6).
func writeError(w io.Writer, e *httpError) error {
	body := e.reason + "\n"
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", e.status, statusText[e.status])
	closeSaid := false
	for _, f := range e.header {
		fmt.Fprintf(&b, "%s: %s\r\n", f.name, f.value)
		closeSaid = closeSaid || strings.EqualFold(f.name, "Connection")
	}
	if !closeSaid {
		b.WriteString("Connection: close\r\n")
	}
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n")
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	_, err := io.WriteString(w, b.String())
	return err
}

// isToken reports whether s is an HTTP token (RFC 7230 section 3.2.6):
// one or more visible ASCII characters other than delimiters.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

// isTokenChar reports whether c may appear in a token (tchar).
func isTokenChar(c byte) bool {
	return c > ' ' && c < 0x7f && strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) < 0
}

// hasControl reports whether s holds a control character other than tab.
// Bytes from 0x80 up are allowed (obs-text) and passed through as they are.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return true
		}
	}
	return false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// checkFirstBytes refuses at once a client whose first bytes cannot start
// an HTTP/1.1 request: a TLS ClientHello (the page dialled wss://), binary
// junk, a probe for another protocol. readRequest waits for a line end,
// which such a client may never send, so without this it would hold the
// connection until the handshake deadline and then get no answer at all.
//
// It waits for the first byte, then judges only what is already buffered:
// it reads no further and consumes nothing, so a valid start, even an
// incomplete one such as "GE", returns nil and readRequest reads the
// request as if this had not run. A read error (io.EOF, a deadline) is
// returned as it is.
func checkFirstBytes(br *bufio.Reader) error {
	if _, err := br.Peek(1); err != nil {
		return err
	}
	b, _ := br.Peek(br.Buffered()) // already buffered: no read
	if b[0] == 0x16 {
		// A TLS record of type handshake (RFC 8446 section 5.1).
		return refusal(400, "this looks like a TLS handshake; this server speaks plain HTTP: use ws://, not wss://")
	}
	// RFC 7230 section 3.5: one empty line may come first (readRequest
	// skips it). A lone CR may be the start of one.
	switch {
	case len(b) == 1 && b[0] == '\r':
		return nil
	case bytes.HasPrefix(b, []byte("\r\n")):
		b = b[2:]
	case b[0] == '\n':
		b = b[1:]
	}
	line := b // the request line, or as much of it as has arrived
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	method := line
	if i := bytes.IndexByte(line, ' '); i >= 0 {
		method = line[:i]
		if i == 0 {
			return refusal(400, "the request line must start with a method such as GET")
		}
	}
	for _, c := range method {
		if !isTokenChar(c) {
			return refusal(400, "the request line must start with a method such as GET")
		}
	}
	for _, c := range line {
		// CR may end the line; a tab is for parseRequestLine to refuse.
		if (c < ' ' && c != '\r' && c != '\t') || c == 0x7f {
			return refusal(400, "control character in the request line: this is not an HTTP request")
		}
	}
	return nil
}

// handshake is what the server's 101 answer says.
type handshake struct {
	accept   string // Sec-WebSocket-Accept
	protocol string // Sec-WebSocket-Protocol, "" for none
}

// writeHandshake sends the 101 response that completes the opening
// handshake (RFC 6455 section 4.2.2 step 5). From the empty line on, the
// connection speaks WebSocket, not HTTP.
func writeHandshake(w io.Writer, hs handshake) error {
	var b strings.Builder
	b.WriteString("HTTP/1.1 101 Switching Protocols\r\n")
	b.WriteString("Upgrade: websocket\r\n")
	b.WriteString("Connection: Upgrade\r\n")
	b.WriteString("Sec-WebSocket-Accept: " + hs.accept + "\r\n")
	if hs.protocol != "" {
		// Only one, and only one the client offered (section 4.2.2).
		b.WriteString("Sec-WebSocket-Protocol: " + hs.protocol + "\r\n")
	}
	b.WriteString("\r\n")
	_, err := io.WriteString(w, b.String())
	return err
}
