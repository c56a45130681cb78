package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"wsfromscratch/client/web"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServerServesThePageOnSlashAndTheChatOnWS(t *testing.T) {
	ts := startServer(t, chatConfig())
	upgrade := "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	tests := []struct {
		name    string
		raw     string
		status  int
		headers map[string]string
		body    string // the body starts with this
	}{
		{name: "GET / is the page", raw: "GET / HTTP/1.1\r\nHost: localhost:9001\r\n\r\n", status: 200,
			headers: map[string]string{"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache"}, body: "<!doctype html>"},
		{name: "GET /index.html is the page too", raw: "GET /index.html HTTP/1.1\r\nHost: localhost:9001\r\n\r\n", status: 200, body: "<!doctype html>"},
		{name: "GET /?name=ann is the page (the page reads its query)", raw: "GET /?name=ann&autoconnect=1 HTTP/1.1\r\nHost: localhost:9001\r\n\r\n", status: 200, body: "<!doctype html>"},
		{name: "POST / gets 405 with Allow: GET, HEAD", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", status: 405, headers: map[string]string{"Allow": "GET, HEAD"}},
		{name: "an upgrade on / gets 404 naming /ws", raw: "GET / HTTP/1.1\r\nHost: a\r\n" + upgrade + "\r\n", status: 404, body: "the WebSocket endpoint is /ws"},
		{name: "another path gets 404", raw: "GET /favicon.ico HTTP/1.1\r\nHost: a\r\n\r\n", status: 404},
		{name: "a plain GET of /ws gets 426", raw: "GET /ws HTTP/1.1\r\nHost: a\r\n\r\n", status: 426, headers: map[string]string{"Upgrade": "websocket"}},
		{name: "a page of another site gets 403 (cross-site WebSocket hijacking)", raw: "GET /ws HTTP/1.1\r\nHost: localhost:9001\r\nOrigin: http://evil.example\r\n" + upgrade + "\r\n", status: 403, body: "a page from http://evil.example may not use this chat"},
		{name: "the server's own page gets 101", raw: "GET /ws HTTP/1.1\r\nHost: localhost:9001\r\nOrigin: http://localhost:9001\r\n" + upgrade + "\r\n", status: 101},
		{name: "a program (no Origin) gets 101", raw: "GET /ws?name=bot HTTP/1.1\r\nHost: localhost:9001\r\n" + upgrade + "\r\n", status: 101},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			resp, body := roundTrip(t, ts.addr, tt.raw)
			assert.Equal(t, tt.status, resp.StatusCode, "body: %s", body)
			for name, want := range tt.headers {
				assert.Equal(t, want, resp.Header.Get(name), "header %s", name)
			}
			assert.True(t, strings.HasPrefix(body, tt.body), "the body starts with %q; it is %.80q", tt.body, body)
		})
	}
	ts.logs.waitFor(t, "< 403 Forbidden: a page from http://evil.example may not use this chat")
}

func TestServerSendsThePageWhole(t *testing.T) {
	ts := startServer(t, chatConfig())
	resp, body := roundTrip(t, ts.addr, "GET / HTTP/1.1\r\nHost: localhost:9001\r\n\r\n")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, string(web.Page()), body, "the page, byte for byte")

	conn := dial(t, ts.addr)
	io.WriteString(conn, "HEAD / HTTP/1.1\r\nHost: localhost:9001\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, &http.Request{Method: "HEAD"})
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, fmt.Sprint(len(web.Page())), resp.Header.Get("Content-Length"), "HEAD says how long the page is")
	rest, _ := io.ReadAll(br)
	assert.Empty(t, rest, "and sends no body")
}

// TestChatOverTLS serves https:// and wss:// with a certificate made here,
// and checks the page and a chat over them; the page's own origin is now
// https://.
func TestChatOverTLS(t *testing.T) {
	cert, pool := selfSignedCert(t)
	cfg := chatConfig()
	cfg.tls = &tls.Config{Certificates: []tls.Certificate{cert}}
	ts := startServer(t, cfg)
	dialTLS := func() *tls.Conn {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: timeout}, "tcp", ts.addr, &tls.Config{RootCAs: pool, ServerName: "localhost"})
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close() })
		conn.SetDeadline(time.Now().Add(timeout))
		return conn
	}

	page := dialTLS()
	io.WriteString(page, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(page), nil)
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode, "the page over https://")

	for _, tt := range []struct {
		origin string
		status string
	}{
		{"http://localhost", "HTTP/1.1 403 Forbidden\r\n"},
		{"https://localhost", "HTTP/1.1 101 Switching Protocols\r\n"},
	} {
		ws := dialTLS()
		fmt.Fprintf(ws, "GET /ws?name=ann HTTP/1.1\r\nHost: localhost\r\nOrigin: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", tt.origin)
		br := bufio.NewReader(ws)
		status, err := br.ReadString('\n')
		require.NoError(t, err)
		require.Equal(t, tt.status, status, "Origin: %s over wss://", tt.origin)
		if tt.status != "HTTP/1.1 101 Switching Protocols\r\n" {
			continue
		}
		for line := ""; line != "\r\n"; {
			line, err = br.ReadString('\n')
			require.NoError(t, err)
		}
		welcome, err := readServerFrame(br, 1<<10)
		require.NoError(t, err)
		assert.Equal(t, message{opText, "* welcome, ann! No one else is here yet."}, welcome)
		ws.Write(clientFrame(0x81, []byte("over TLS")))
		line, err := readServerFrame(br, 1<<10)
		require.NoError(t, err)
		assert.Equal(t, message{opText, "ann: over TLS"}, line)
	}
}

// selfSignedCert makes a certificate for localhost and 127.0.0.1, and a
// pool that trusts it.
func selfSignedCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	template := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// TestRoomTurnsAwayClientsPastTheCapAndGoesOn: the room admits -max-conns
// clients; one more gets 503, and the room goes on.
func TestRoomTurnsAwayClientsPastTheCapAndGoesOn(t *testing.T) {
	cfg := chatConfig()
	cfg.maxConns = 2
	ts := startServer(t, cfg)
	ann, bob := joinAnnAndBob(t, ts.addr)
	resp, _ := roundTrip(t, ts.addr, "GET /ws?name=cy HTTP/1.1\r\nHost: a\r\n\r\n")
	assert.Equal(t, 503, resp.StatusCode)
	bob.say("still two of us")
	ann.expect("bob: still two of us")
}

// TestRoomTurnsAwayAnAddressPastItsConnections: one address may hold
// -conns-per-ip connections; one more gets 429 at once, without a slot of
// -max-conns, and one that leaves frees its place. Another address still
// gets in.
func TestRoomTurnsAwayAnAddressPastItsConnections(t *testing.T) {
	cfg := chatConfig()
	cfg.connsPerIP = 2
	ts := startServer(t, cfg)
	ann, bob := joinAnnAndBob(t, ts.addr)
	upgrade := "Host: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	resp, body := roundTrip(t, ts.addr, "GET /ws?name=cy HTTP/1.1\r\n"+upgrade)
	assert.Equal(t, 429, resp.StatusCode, "body: %s", body)
	assert.Equal(t, "5", resp.Header.Get("Retry-After"))
	ts.logs.waitFor(t, "turned away with 429: 2 connections open from 127.0.0.1, the most one address may have (-conns-per-ip)")

	bob.leave()
	ann.expect("* bob left")
	cy := joinChat(t, ts.addr, "cy") // bob's place
	cy.expect("* welcome, cy! Here with you: ann.")

	t.Run("another address", func(t *testing.T) {
		dan := joinChatFrom(t, "127.0.0.2", ts.addr, "dan") // 127.0.0.1 is full, 127.0.0.2 is not
		dan.expect("* welcome, dan! Here with you (2): ann, cy.")
	})
}

// TestRoomRefusesTooManyJoinsFromOneAddress: one address may open
// joinBurst connections at once; the next gets 429 with Retry-After, and
// the room goes on.
func TestRoomRefusesTooManyJoinsFromOneAddress(t *testing.T) {
	cfg := chatConfig()
	cfg.joinsPerIP = 1
	ts := startServer(t, cfg)
	for i := range joinBurst {
		c := joinChat(t, ts.addr, fmt.Sprintf("c%d", i))
		c.next()
	}
	resp, body := roundTrip(t, ts.addr, "GET /ws?name=one-more HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	assert.Equal(t, 429, resp.StatusCode, "body: %s", body)
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))
	ts.logs.waitFor(t, "429 Too Many Requests")
}
