package main

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
)

// websocketGUID is the fixed string a server appends to the key before
// hashing it (RFC 6455 section 1.3).
const websocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// maxResponseHead bounds the 101 response's status line and headers: a
// server that sends more is not one this client wants to talk to.
const maxResponseHead = 8 << 10

// maxErrorBody is how much of a refusal's body is read and shown.
const maxErrorBody = 4 << 10

// target is where to connect, taken from a ws:// URL.
type target struct {
	addr string // host:port to dial
	host string // the Host header: the URL's host, with its port if it had one
	path string // the request target: path and query, "/" at least
}

// parseURL accepts ws://host[:port][/path][?query] (section 3). wss://
// needs TLS, which this client leaves out.
func parseURL(raw string) (target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return target{}, err
	}
	switch {
	case u.Scheme == "wss":
		return target{}, errors.New("wss:// (WebSocket over TLS) is not supported by this client; use ws://")
	case u.Scheme != "ws":
		return target{}, fmt.Errorf("%q is not a ws:// URL", raw)
	case u.Host == "":
		return target{}, fmt.Errorf("%q has no host", raw)
	}
	t := target{addr: u.Host, host: u.Host, path: u.RequestURI()}
	if u.Port() == "" {
		t.addr = net.JoinHostPort(u.Hostname(), "80") // the default port of ws:// (section 3)
	}
	return t, nil
}

// urlWithName adds name=NAME to the query of a ws:// URL, for chapter 06's
// chat, which reads the name from there. The name is URL-encoded; the
// query's other parameters stay as they were, in their order, and a name
// the URL had already gives way to this one. An empty name leaves the URL
// alone.
func urlWithName(raw, name string) (string, error) {
	if name == "" {
		return raw, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	var query []string
	for param := range strings.SplitSeq(u.RawQuery, "&") {
		if key, _, _ := strings.Cut(param, "="); param != "" && key != "name" {
			query = append(query, param)
		}
	}
	u.RawQuery = strings.Join(append(query, "name="+url.QueryEscape(name)), "&")
	return u.String(), nil
}

// newKey returns a Sec-WebSocket-Key: 16 random bytes, base64-encoded
// (section 4.1: "randomly selected", new for every connection).
func newKey() string {
	var nonce [16]byte
	rand.Read(nonce[:]) // never fails (crypto/rand)
	return base64.StdEncoding.EncodeToString(nonce[:])
}

// writeRequest sends the opening handshake (section 4.1): a GET with the
// headers the RFC requires of a client, in one write.
func writeRequest(w io.Writer, t target, key, protocols string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\n", t.path)
	fmt.Fprintf(&b, "Host: %s\r\n", t.host)
	b.WriteString("Upgrade: websocket\r\nConnection: Upgrade\r\n")
	fmt.Fprintf(&b, "Sec-WebSocket-Key: %s\r\n", key)
	b.WriteString("Sec-WebSocket-Version: 13\r\n")
	if protocols != "" {
		fmt.Fprintf(&b, "Sec-WebSocket-Protocol: %s\r\n", protocols)
	}
	b.WriteString("\r\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// refusedError is a server's answer other than 101: the status line and
// the start of the body, which usually says why.
type refusedError struct {
	statusLine string
	body       string
}

func (e *refusedError) Error() string {
	return fmt.Sprintf("the server answered %q, not 101 Switching Protocols", e.statusLine)
}

// handshake sends the opening handshake on nc and checks the answer
// (section 4.1). It returns the subprotocol the server chose, if any.
// Frames that arrived with the 101 stay in br.
func handshake(nc net.Conn, br *bufio.Reader, t target, protocols string) (string, error) {
	key := newKey()
	if err := writeRequest(nc, t, key, protocols); err != nil {
		return "", err
	}
	r, err := readResponse(br)
	if err != nil {
		return "", fmt.Errorf("reading the response: %w", err)
	}
	if r.status != 101 {
		return "", &refusedError{statusLine: r.statusLine, body: readErrorBody(br, r)}
	}
	if err := checkResponse(r, key, protocols); err != nil {
		return "", err
	}
	return r.get("sec-websocket-protocol"), nil
}
