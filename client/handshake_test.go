package main

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewKeyIsSixteenRandomBytes(t *testing.T) {
	a, b := newKey(), newKey()
	assert.Len(t, a, 24, "base64 of 16 bytes")
	assert.True(t, strings.HasSuffix(a, "=="))
	assert.NotEqual(t, a, b, "a new key for every connection")
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		name, url        string
		addr, host, path string
		err              string
	}{
		{name: "a port and a path with a query", url: "ws://example.com:9001/ws?x=1", addr: "example.com:9001", host: "example.com:9001", path: "/ws?x=1"},
		{name: "no port means 80, no path means /", url: "ws://example.com", addr: "example.com:80", host: "example.com", path: "/"},
		{name: "wss is refused, saying why", url: "wss://example.com/", err: "wss:// (WebSocket over TLS) is not supported"},
		{name: "http is not a WebSocket URL", url: "http://example.com/", err: "is not a ws:// URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseURL(tt.url)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, target{addr: tt.addr, host: tt.host, path: tt.path}, got)
		})
	}
}

func TestURLWithName(t *testing.T) {
	tests := []struct{ name, url, join, want string }{
		{"no name leaves the URL as it was", "ws://localhost:9001/ws?room=1", "", "ws://localhost:9001/ws?room=1"},
		{"a name becomes the query of a URL without one", "ws://localhost:9001/ws", "ann", "ws://localhost:9001/ws?name=ann"},
		{"a name goes after the other parameters, which keep their order", "ws://localhost:9001/ws?room=1&b=2", "ann", "ws://localhost:9001/ws?room=1&b=2&name=ann"},
		{"a name the URL had gives way to the flag's", "ws://localhost:9001/ws?name=bob&room=1", "ann", "ws://localhost:9001/ws?room=1&name=ann"},
		{"spaces, & and = are encoded, so the name stays one parameter", "ws://localhost:9001/ws", "ann & bob=1", "ws://localhost:9001/ws?name=ann+%26+bob%3D1"},
		{"UTF-8 is percent-encoded byte by byte", "ws://localhost:9001/ws", "Zoë", "ws://localhost:9001/ws?name=Zo%C3%AB"},
		{"a URL without a path gets the query all the same", "ws://localhost:9001", "ann", "ws://localhost:9001?name=ann"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := urlWithName(tt.url, tt.join)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// -name joins with the name in the request target's query, and the
// client says which URL it connected to.
func TestNameFlagAddsTheNameToTheRequestTarget(t *testing.T) {
	s := newFakeServer(t)
	s.target = "/chat?room=1&name=Zo%C3%AB+%26+co"
	results := startClient(context.Background(), config{name: "Zoë & co", send: []string{"hi"}}, s.url, nil)
	p := s.handshake(t)
	assert.Equal(t, "hi", string(p.readFrame().payload))
	p.readClose()
	p.closeNow()
	r := waitClient(t, results)
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "* connected to "+s.url+"&name=Zo%C3%AB+%26+co")
}

// A server that answers with the wrong accept value did not read our
// handshake (section 4.1): the client must not go on.
func TestWrongAcceptValueFailsTheHandshake(t *testing.T) {
	s := newFakeServer(t)
	results := startClient(context.Background(), config{send: []string{"hi"}}, s.url, nil)
	p, _ := s.accept(t)
	p.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n") // the RFC's, for another key
	r := waitClient(t, results)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "wrong Sec-WebSocket-Accept")
	p.expectEOF()
}

// A refusal is shown as it came: the status line and the body.
func TestNon101AnswerPrintsStatusAndBody(t *testing.T) {
	s := newFakeServer(t)
	results := startClient(context.Background(), config{send: []string{"hi"}}, s.url, nil)
	p, _ := s.accept(t)
	body := "this server speaks WebSocket version 13 only\n"
	p.write("HTTP/1.1 426 Upgrade Required\r\nUpgrade: websocket\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + body)
	r := waitClient(t, results)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `"HTTP/1.1 426 Upgrade Required", not 101`)
	assert.Contains(t, r.stderr, body)
}

// The 101 and the first frame may come in one TCP write: the frame must
// not be lost with the handshake's buffer.
func TestFrameInTheSameWriteAsThe101IsRead(t *testing.T) {
	s := newFakeServer(t)
	results := startClient(context.Background(), config{expect: 1}, s.url, nil)
	p, headers := s.accept(t)
	p.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + rfcAccept(headers["sec-websocket-key"]) + "\r\n\r\n\x81\x05Hello")
	code, _ := p.readClose()
	assert.Equal(t, closeNormal, code)
	p.closeNow()
	r := waitClient(t, results)
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "< Hello\n", r.stdout)
}
