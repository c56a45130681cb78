package main

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What a client that is not a well-behaved HTTP/1.1 client gets, seen from
// outside: the status, at once, and a server that goes on serving.

// tlsClientHello is the start of a TLS 1.2 ClientHello record, written out
// by hand (RFC 5246 section 6.2.1 and 7.4.1.2): content type 0x16
// (handshake), version 3.1, a length, then handshake type 1 (ClientHello).
// A browser sends it when told wss:// for a server that speaks ws://.
var tlsClientHello = []byte{0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00, 0xc4, 0x03, 0x03, 0x5a, 0x9b, 0x11, 0x00, 0xfe}

func TestServerRefusesATLSHandshakeOnItsFirstBytes(t *testing.T) {
	cfg := testConfig()
	cfg.handshakeTimeout = time.Minute // far longer than the test's timeout
	ts := startServer(t, cfg)
	conn := dial(t, ts.addr)
	_, err := conn.Write(tlsClientHello)
	require.NoError(t, err)
	// The record never holds a line ending: waiting for one would take the
	// whole minute. The answer comes before the test's timeout.
	resp, body := readResponse(t, conn)
	assert.Equal(t, 400, resp.StatusCode)
	assert.Contains(t, body, "TLS")
}

func TestServerRefusesAnUpgradeRequestWithABody(t *testing.T) {
	ts := startServer(t, testConfig())
	for _, body := range []string{"Content-Length: 5\r\n", "Transfer-Encoding: chunked\r\n"} {
		raw := "GET /ws HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + body + "\r\nhello"
		resp, _ := roundTrip(t, ts.addr, raw)
		assert.Equal(t, 400, resp.StatusCode, "a body after %q would be read as WebSocket frames", body)
	}
}

func TestServerRefusesATargetInAuthorityForm(t *testing.T) {
	ts := startServer(t, testConfig())
	resp, _ := roundTrip(t, ts.addr, "GET evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n")
	assert.Equal(t, 400, resp.StatusCode, "authority-form is CONNECT's (RFC 7230 section 5.3.3)")
}

func TestServerAnswers503PastItsConnectionCapAndGoesOnServing(t *testing.T) {
	cfg := testConfig()
	cfg.maxConns = 2
	ts := startServer(t, cfg)
	// Two connections hold the two slots, each half-way through a request.
	held := make([]net.Conn, 2)
	for i := range held {
		held[i] = dial(t, ts.addr)
		_, err := io.WriteString(held[i], "GET /chat HTTP/1.1\r\n")
		require.NoError(t, err)
	}
	resp, body := roundTrip(t, ts.addr, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
	assert.Equal(t, "503 Service Unavailable", resp.Status, "the status line has its reason phrase (RFC 9110 section 15.6.4)")
	assert.Equal(t, "5", resp.Header.Get("Retry-After"))
	assert.Contains(t, body, "too many connections")

	// The held ones are still served: they finish their request and get
	// the server's usual answer to it, not a 503.
	for _, conn := range held {
		_, err := io.WriteString(conn, "Host: a\r\n\r\n")
		require.NoError(t, err)
		resp, _ := readResponse(t, conn)
		assert.NotEqual(t, 503, resp.StatusCode)
	}
}
