package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testConfig is the server's configuration with short timeouts for tests.
func testConfig() config {
	return config{handshakeTimeout: 2 * time.Second, maxHeaderBytes: 8192, protocols: []string{"chat", "superchat"}, maxMessageSize: 16 << 20,
		allowOrigins: []string{"http://example.com"}}
}

// wsRequest is the RFC's opening handshake (wsRequest) sent to this
// server's WebSocket endpoint. Its Origin, http://example.com, is not the
// server's own (Host: server.example.com), so the tests' servers allow it
// (testConfig), as -allow-origin http://example.com would.
var wsRequest = strings.Replace(rfcRequest, "GET /chat ", "GET "+wsPath+" ", 1)

// firefoxWS is Firefox's request (firefoxRequest, made from a page opened
// from a file: Origin: null) as the chat's own page makes it.
var firefoxWS = strings.NewReplacer("GET / ", "GET "+wsPath+" ", "Origin: null", "Origin: http://localhost:9001").Replace(firefoxRequest)

// roundTrip sends raw to the server and parses its answer with net/http's
// response parser: an independent check that our bytes are valid HTTP.
func roundTrip(t *testing.T, addr, raw string) (*http.Response, string) {
	t.Helper()
	conn := dial(t, addr)
	_, err := io.WriteString(conn, raw)
	require.NoError(t, err)
	return readResponse(t, conn)
}

func readResponse(t *testing.T, conn net.Conn) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err, "the server's answer must be a valid HTTP response")
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

// rfcResponse is the server handshake of RFC 6455 section 1.2 for
// wsRequest, byte for byte, when the server speaks "chat".
const rfcResponse = "HTTP/1.1 101 Switching Protocols\r\n" +
	"Upgrade: websocket\r\n" +
	"Connection: Upgrade\r\n" +
	"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
	"Sec-WebSocket-Protocol: chat\r\n" +
	"\r\n"

func TestServerAnswersTheRFCRequestWithTheRFCResponse(t *testing.T) {
	ts := startServer(t, testConfig())
	conn := dial(t, ts.addr)
	_, err := io.WriteString(conn, wsRequest)
	require.NoError(t, err)
	got, err := readN(conn, len(rfcResponse))
	require.NoError(t, err)
	assert.Equal(t, rfcResponse, string(got))
}

// openWebSocket connects and completes the RFC's handshake; extra bytes
// travel in the same write as the request.
func openWebSocket(t *testing.T, addr string, extra []byte) net.Conn {
	t.Helper()
	conn := dial(t, addr)
	_, err := conn.Write(append([]byte(wsRequest), extra...))
	require.NoError(t, err)
	got, err := readN(conn, len(rfcResponse))
	require.NoError(t, err)
	require.Equal(t, rfcResponse, string(got))
	return conn
}

// readFrame reads one server frame from conn with the tests' own decoder
// (wire_test.go); the connection's deadline bounds the wait.
func readFrame(t *testing.T, conn net.Conn) message {
	t.Helper()
	f, err := readServerFrame(conn, 32<<20)
	require.NoError(t, err)
	return f
}

// requireServerCloses checks that the server closes TCP: the next read
// ends in EOF (or a reset), before the test's deadline.
func requireServerCloses(t *testing.T, conn net.Conn) {
	t.Helper()
	rest, err := io.ReadAll(conn)
	if err != nil {
		require.NotErrorIs(t, err, os.ErrDeadlineExceeded, "the server must close the connection")
	}
	assert.Empty(t, rest, "nothing after the close frame")
}

func TestServerEchoesAWholeSession(t *testing.T) {
	ts := startServer(t, testConfig())
	// The first frame travels in the same write as the request: it must
	// not be lost with the request's buffer.
	conn := openWebSocket(t, ts.addr, unhex(maskedHello))
	assert.Equal(t, message{opText, "Hello"}, readFrame(t, conn), "the RFC's Hello comes back unmasked")

	// Fragmented text with a ping in the middle: the pong comes first, then
	// the whole message as one frame.
	_, err := conn.Write(unhex(kosmeFirst + maskedPingHelo + kosmeLast))
	require.NoError(t, err)
	assert.Equal(t, message{opPong, "Hello"}, readFrame(t, conn), "a pong with the ping's payload")
	assert.Equal(t, message{opText, kosme}, readFrame(t, conn))

	// 64 KiB of binary comes back as binary.
	big := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	_, err = conn.Write(clientFrame(0x82, big))
	require.NoError(t, err)
	assert.Equal(t, message{opBinary, string(big)}, readFrame(t, conn))

	// The closing handshake: the client's 1000 "bye" is answered with 1000,
	// then the server closes TCP.
	_, err = conn.Write(unhex(close1000Bye))
	require.NoError(t, err)
	assert.Equal(t, message{opClose, "\x03\xe8"}, readFrame(t, conn))
	requireServerCloses(t, conn)
	ts.logs.waitFor(t, `closing handshake done (client sent 1000 "bye")`)
}

func TestServerEchoesFramesSentOneByteAtATime(t *testing.T) {
	ts := startServer(t, testConfig())
	conn := openWebSocket(t, ts.addr, nil)
	wire := unhex(kosmeFirst + maskedPingHelo + kosmeLast)
	for _, b := range wire {
		_, err := conn.Write([]byte{b})
		require.NoError(t, err)
	}
	assert.Equal(t, message{opPong, "Hello"}, readFrame(t, conn))
	assert.Equal(t, message{opText, kosme}, readFrame(t, conn))
}

func TestServerFailsWithTheCloseCodeOfTheBrokenRule(t *testing.T) {
	cfg := testConfig()
	cfg.maxMessageSize = 1 << 20
	ts := startServer(t, cfg)
	tests := []struct {
		name string
		wire []byte
		code string // the close frame's first two bytes
		rule error
	}{
		{name: "an unmasked frame: 1002", wire: unhex("81 05 48 65 6c 6c 6f"), code: "\x03\xea", rule: errUnmasked},
		{name: "reserved bits: 1002", wire: clientFrame(0xc1, []byte("Hello")), code: "\x03\xea", rule: errReservedBits},
		{name: "a reserved opcode: 1002", wire: clientFrame(0x83, nil), code: "\x03\xea", rule: errUnknownOpcode},
		{name: "a fragmented ping: 1002", wire: clientFrame(0x09, nil), code: "\x03\xea", rule: errFragmentedControl},
		{name: "a ping of 126 bytes: 1002", wire: clientFrame(0x89, make([]byte, 126)), code: "\x03\xea", rule: errControlTooLong},
		{name: "a continuation with nothing to continue: 1002", wire: clientFrame(0x80, []byte("lo")), code: "\x03\xea", rule: errUnexpectedContinuation},
		{name: "a new message inside a fragmented one: 1002", wire: concat(clientFrame(0x01, []byte("a")), clientFrame(0x81, []byte("b"))), code: "\x03\xea", rule: errExpectedContinuation},
		{name: "a close with a 1-byte body: 1002", wire: clientFrame(0x88, []byte{3}), code: "\x03\xea", rule: errBadClosePayload},
		{name: "a close with code 1005: 1002", wire: clientFrame(0x88, []byte{0x03, 0xed}), code: "\x03\xea", rule: errBadCloseCode},
		{name: "invalid UTF-8 text: 1007", wire: clientFrame(0x81, []byte{0xed, 0xa0, 0x80}), code: "\x03\xef", rule: errInvalidUTF8},
		{name: "invalid UTF-8 across fragments: 1007", wire: concat(clientFrame(0x01, []byte{0xce}), clientFrame(0x80, []byte{0x41})), code: "\x03\xef", rule: errInvalidUTF8},
		{name: "a close reason that is not UTF-8: 1007", wire: clientFrame(0x88, []byte{0x03, 0xe8, 0xff}), code: "\x03\xef", rule: errInvalidCloseReason},
		{name: "2^62 bytes announced: 1009", wire: unhex("82 ff 40 00 00 00 00 00 00 00 37 fa 21 3d"), code: "\x03\xf1", rule: errMessageTooBig},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			conn := openWebSocket(t, ts.addr, tt.wire)
			close := readFrame(t, conn)
			assert.Equal(t, opClose, close.opcode)
			if assert.GreaterOrEqual(t, len(close.payload), 2) {
				assert.Equal(t, tt.code, close.payload[:2])
				assert.Contains(t, tt.rule.Error(), close.payload[2:], "the reason names the rule")
			}
			// The client answers the close; the server then closes TCP.
			_, err := conn.Write(clientFrame(0x88, []byte(close.payload[:2])))
			require.NoError(t, err)
			requireServerCloses(t, conn)
			ts.logs.waitFor(t, fmt.Sprintf("%s: protocol error: %s", conn.LocalAddr(), tt.rule))
		})
	}
	t.Run("a client that never answers the close is cut off after a bounded wait", func(t *testing.T) {
		conn := openWebSocket(t, ts.addr, unhex("81 05 48 65 6c 6c 6f"))
		assert.Equal(t, opClose, readFrame(t, conn).opcode)
		requireServerCloses(t, conn) // within closeTimeout, before the test's deadline
	})
	// The server is still up.
	conn := openWebSocket(t, ts.addr, unhex(maskedHello))
	assert.Equal(t, message{opText, "Hello"}, readFrame(t, conn))
}

func TestServerDoesNotParseWhatFollowsABrokenHeader(t *testing.T) {
	cfg := testConfig()
	cfg.trace = true
	ts := startServer(t, cfg)
	// An unmasked frame is refused from its header, so its payload "Hello"
	// is never read; after it comes a ping, which must not be answered or
	// even parsed (section 7.1.7): the stream is not at a frame boundary.
	conn := openWebSocket(t, ts.addr, concat(unhex("81 05 48 65 6c 6c 6f"), unhex(maskedPingHelo)))
	close := readFrame(t, conn)
	assert.Equal(t, opClose, close.opcode)
	requireServerCloses(t, conn) // FIN right after the close frame
	conn.Close()
	require.NoError(t, ts.stop(t)) // waits for the connection's goroutine
	assert.Equal(t, 1, strings.Count(ts.logs.String(), "client frame:"), "only the broken frame was read:\n%s", ts.logs.String())
}

func TestServerAnswersAnEmptyCloseWith1000(t *testing.T) {
	ts := startServer(t, testConfig())
	conn := openWebSocket(t, ts.addr, clientFrame(0x88, nil))
	assert.Equal(t, message{opClose, "\x03\xe8"}, readFrame(t, conn))
	requireServerCloses(t, conn)
}

func TestServerIgnoresAnUnsolicitedPong(t *testing.T) {
	ts := startServer(t, testConfig())
	conn := openWebSocket(t, ts.addr, unhex(maskedPong+maskedHello))
	assert.Equal(t, message{opText, "Hello"}, readFrame(t, conn), "the pong got no answer")
}

func TestServerTracesFramesBothWays(t *testing.T) {
	cfg := testConfig()
	cfg.trace = true
	ts := startServer(t, cfg)
	conn := openWebSocket(t, ts.addr, unhex(maskedHello))
	readFrame(t, conn)
	row := func(bytes, note string) string { return fmt.Sprintf("  %-47s %s\n", bytes, note) }

	in := ts.logs.waitFor(t, "client frame: FIN=1 RSV=000 opcode=0x1 (text) MASK=1 length=5")
	assert.Contains(t, in, row("81", "FIN=1 RSV1-3=000 opcode=0x1")+
		row("85", "MASK=1 length=5")+
		row("37 fa 21 3d", "masking key")+
		row("7f 9f 4d 51 58", "payload, masked")+
		strings.TrimSuffix(row("48 65 6c 6c 6f", `payload, unmasked: "Hello"`), "\n"))

	out := ts.logs.waitFor(t, "server frame: FIN=1 RSV=000 opcode=0x1 (text) MASK=0 length=5")
	assert.Contains(t, out, row("81", "FIN=1 RSV1-3=000 opcode=0x1")+
		row("05", "MASK=0 length=5")+
		strings.TrimSuffix(row("48 65 6c 6c 6f", "payload"), "\n"))

	_, err := conn.Write(unhex("81 05 48 65 6c 6c 6f"))
	require.NoError(t, err)
	assert.Contains(t, ts.logs.waitFor(t, "client frame: FIN=1 RSV=000 opcode=0x1 (text) MASK=0"), "!! client frame is not masked")
	closeOut := ts.logs.waitFor(t, "server frame: FIN=1 RSV=000 opcode=0x8 (close)")
	assert.Contains(t, closeOut, "03 ea")
}

func TestServerHandshakesWithGoNetHTTPClient(t *testing.T) {
	// net/http's client knows nothing of WebSocket, but it speaks HTTP
	// Upgrade: on a 101 it hands back the connection as the body.
	ts := startServer(t, testConfig())
	// (A Client.Timeout would wrap the body and hide the connection, so the
	// deadline comes from the request's context instead.)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+ts.addr+wsPath, nil)
	require.NoError(t, err)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", "x3JJHMbDL1EzLkh9GBhXDw==")
	req.Header.Set("Sec-WebSocket-Protocol", "superchat")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()

	assert.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	assert.Equal(t, "HSmrc0sMlYUkAGmm5OPpG2HaGWk=", resp.Header.Get("Sec-WebSocket-Accept"))
	assert.Equal(t, "superchat", resp.Header.Get("Sec-WebSocket-Protocol"))
	assert.Equal(t, "websocket", resp.Header.Get("Upgrade"))

	rw, ok := resp.Body.(io.ReadWriteCloser)
	require.True(t, ok, "a 101 response body is the raw connection")
	_, err = rw.Write(unhex(maskedHello))
	require.NoError(t, err)
	// The body has no deadline of its own: close it if the echo is late.
	echo := make([]byte, 7)
	timer := time.AfterFunc(timeout, func() { rw.Close() })
	defer timer.Stop()
	_, err = io.ReadFull(rw, echo)
	require.NoError(t, err, "the echo must arrive within the deadline")
	assert.Equal(t, unhex("81 05 48 65 6c 6c 6f"), echo)
}

func TestServerAnswersEachKindOfRequest(t *testing.T) {
	ts := startServer(t, testConfig())
	tests := []struct {
		name    string
		raw     string
		status  int
		headers map[string]string
	}{
		{name: "the RFC's request gets 101 and the RFC's accept value", raw: wsRequest, status: 101, headers: map[string]string{"Sec-WebSocket-Accept": "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "Sec-WebSocket-Protocol": "chat", "Upgrade": "websocket", "Connection": "Upgrade"}},
		{name: "Firefox's request gets 101 without a subprotocol", raw: firefoxWS, status: 101, headers: map[string]string{"Sec-WebSocket-Accept": "HSmrc0sMlYUkAGmm5OPpG2HaGWk=", "Sec-WebSocket-Protocol": ""}},
		{name: "a key padded with spaces and tabs, as the last header, gets the RFC's accept value (isnowfy/python-websocket and Pithikos/python-websocket-server)", raw: strings.Replace(strings.Replace(wsRequest, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "", 1), "\r\n\r\n", "\r\nSec-WebSocket-Key: \t dGhlIHNhbXBsZSBub25jZQ== \t\r\n\r\n", 1), status: 101, headers: map[string]string{"Sec-WebSocket-Accept": "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="}},
		{name: "a missing key gets 400, not a silent close (isnowfy/python-websocket)", raw: strings.Replace(wsRequest, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "", 1), status: 400},
		{name: "a 10-byte key gets 400", raw: strings.Replace(wsRequest, "dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZQ==", 1), status: 400},
		{name: "version 8 gets 426 naming version 13", raw: strings.Replace(wsRequest, "Version: 13", "Version: 8", 1), status: 426, headers: map[string]string{"Sec-WebSocket-Version": "13", "Upgrade": "websocket", "Connection": "Upgrade"}},
		{name: "the protocol overview's curl request (no key, no version) gets 426", raw: "GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nHost: echo.websocket.org\r\nOrigin: http://www.websocket.org\r\n\r\n", status: 426, headers: map[string]string{"Sec-WebSocket-Version": "13"}},
		{name: "a malformed request line gets 400", raw: "GET\r\n\r\n", status: 400},
		{name: "a space before a colon gets 400", raw: "GET / HTTP/1.1\r\nHost : a\r\n\r\n", status: 400},
		{name: "POST gets 405 with Allow: GET", raw: "POST /ws HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", status: 405, headers: map[string]string{"Allow": "GET"}},
		{name: "a plain GET of /ws gets 426 with Upgrade: websocket", raw: "GET /ws HTTP/1.1\r\nHost: localhost\r\n\r\n", status: 426, headers: map[string]string{"Upgrade": "websocket", "Connection": "Upgrade"}},
		{name: "Firefox's request from a page opened from a file (Origin: null) gets 403", raw: strings.Replace(firefoxRequest, "GET / ", "GET /ws ", 1), status: 403},
		{name: "a missing Host gets 400", raw: strings.Replace(wsRequest, "Host: server.example.com\r\n", "", 1), status: 400},
		{name: "HTTP/1.0 gets 400", raw: strings.Replace(wsRequest, "HTTP/1.1", "HTTP/1.0", 1), status: 400},
		{name: "HTTP/3.0 gets 505", raw: strings.Replace(wsRequest, "HTTP/1.1", "HTTP/3.0", 1), status: 505},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			resp, body := roundTrip(t, ts.addr, tt.raw)
			assert.Equal(t, tt.status, resp.StatusCode, "body: %s", body)
			for name, want := range tt.headers {
				assert.Equal(t, want, resp.Header.Get(name), "header %s", name)
			}
			if tt.status != 101 {
				assert.NotEmpty(t, body, "a refusal explains itself")
			}
		})
	}
}

func TestServerReadsARequestSentOneByteAtATime(t *testing.T) {
	ts := startServer(t, testConfig())
	conn := dial(t, ts.addr)
	for i := range len(wsRequest) {
		_, err := conn.Write([]byte{wsRequest[i]})
		require.NoError(t, err)
	}
	got, err := readN(conn, len(rfcResponse))
	require.NoError(t, err)
	assert.Equal(t, rfcResponse, string(got))
}

func TestServerAnswersAHeaderFloodWith431(t *testing.T) {
	ts := startServer(t, testConfig())
	conn := dial(t, ts.addr)
	// The flood is sent from another goroutine: the server stops reading
	// after 8 KiB, so these writes would block if they had to finish first.
	go func() {
		io.WriteString(conn, "GET / HTTP/1.1\r\nHost: a\r\n")
		line := "X-Flood: " + strings.Repeat("f", 100) + "\r\n"
		for range 20000 { // 2 MB
			if _, err := io.WriteString(conn, line); err != nil {
				return
			}
		}
	}()
	resp, _ := readResponse(t, conn)
	assert.Equal(t, 431, resp.StatusCode)

	// And the server is still up for the next client.
	resp, _ = roundTrip(t, ts.addr, wsRequest)
	assert.Equal(t, 101, resp.StatusCode)
}

func TestServerClosesAClientThatSendsTooLittleInTime(t *testing.T) {
	cfg := testConfig()
	cfg.handshakeTimeout = 100 * time.Millisecond
	ts := startServer(t, cfg)
	tests := []struct {
		name string
		sent string
	}{
		{"nothing at all", ""},
		{"half a request", wsRequest[:len(wsRequest)/2]},
		{"everything but the empty line", strings.TrimSuffix(wsRequest, "\r\n")},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			conn := dial(t, ts.addr)
			_, err := io.WriteString(conn, tt.sent)
			require.NoError(t, err)
			got, err := io.ReadAll(conn) // returns when the server closes
			require.NoError(t, err, "the server must close the connection, not the test's deadline")
			assert.Empty(t, got, "a timeout is answered by closing, without a response")
			ts.logs.waitFor(t, fmt.Sprintf("%s: no complete request within", conn.LocalAddr()))
		})
	}
}

func TestServerKeepsAnOpenConnectionPastTheHandshakeTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.handshakeTimeout = 50 * time.Millisecond
	ts := startServer(t, cfg)
	conn := openWebSocket(t, ts.addr, nil)
	// Nothing can be waited on here: the test is that nothing happens. So
	// let four handshake timeouts pass, then check the connection is alive.
	time.Sleep(4 * cfg.handshakeTimeout)
	_, err := conn.Write(unhex(maskedHello))
	require.NoError(t, err)
	assert.Equal(t, message{opText, "Hello"}, readFrame(t, conn))
	assert.NotContains(t, ts.logs.String(), "no complete request within")
}

func TestServerShutdownSends1001AndWaitsForTheClientsClose(t *testing.T) {
	cfg := testConfig()
	cfg.grace = timeout
	ts := startServer(t, cfg)
	conn := openWebSocket(t, ts.addr, nil)
	stopped := make(chan error, 1)
	go func() { stopped <- ts.stop(t) }()

	close := readFrame(t, conn)
	assert.Equal(t, message{opClose, "\x03\xe9server shutting down"}, close)
	// Data the client sends before its close frame is read and dropped:
	// no data frame may follow our close (section 5.5.1).
	_, err := conn.Write(concat(unhex(maskedHello), clientFrame(0x88, []byte{0x03, 0xe9})))
	require.NoError(t, err)
	requireServerCloses(t, conn)
	select {
	case err := <-stopped:
		assert.NoError(t, err)
	case <-time.After(timeout):
		t.Fatal("shutdown did not finish after the client closed")
	}
	ts.logs.waitFor(t, "closing handshake done (client sent 1001)")
	assert.NotContains(t, ts.logs.String(), "grace period over", "the client answered in time")
}

func TestServerShutdownClosesASilentClientAfterTheGracePeriod(t *testing.T) {
	cfg := testConfig()
	cfg.grace = 50 * time.Millisecond
	ts := startServer(t, cfg)
	conn := openWebSocket(t, ts.addr, nil)
	assert.NoError(t, ts.stop(t))
	assert.Equal(t, opClose, readFrame(t, conn).opcode)
	requireServerCloses(t, conn)
	ts.logs.waitFor(t, "grace period over: closing 1 connection(s)")
}

func TestServerSurvivesClientsThatLeaveEarly(t *testing.T) {
	ts := startServer(t, testConfig())
	for _, sent := range []string{"", "GET / HT", "GET / HTTP/1.1\r\nHost: a\r\n", wsRequest} {
		conn := dial(t, ts.addr)
		io.WriteString(conn, sent)
		conn.Close()
	}
	resp, _ := roundTrip(t, ts.addr, firefoxWS)
	assert.Equal(t, 101, resp.StatusCode, "after them, Firefox's request (Connection: keep-alive, Upgrade) is answered")
}

// fakeAddr is a net.Addr that is not an IP address, as net.Pipe's.
type fakeAddr string

func (a fakeAddr) Network() string { return "fake" }
func (a fakeAddr) String() string  { return string(a) }

func TestAddrKey(t *testing.T) {
	tests := []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.ParseIP("192.0.2.1"), Port: 5000}, "192.0.2.1"},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:192.0.2.1"), Port: 5000}, "192.0.2.1"}, // IPv4 seen through an IPv6 socket
		{&net.TCPAddr{IP: net.ParseIP("2001:db8:1:2:aaaa::1"), Port: 443}, "2001:db8:1:2::/64"},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8:1:2:bbbb:cccc:dddd:9"), Port: 80}, "2001:db8:1:2::/64"}, // the same /64: one machine
		{&net.TCPAddr{IP: net.ParseIP("2001:db8:1:3::1"), Port: 443}, "2001:db8:1:3::/64"},
		{&net.TCPAddr{IP: net.ParseIP("::1"), Port: 9001}, "::/64"},
		{fakeAddr("pipe"), "pipe"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, addrKey(tt.addr), "addrKey(%v)", tt.addr)
	}
}
