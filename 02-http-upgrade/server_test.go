package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testConfig is the server's configuration with short timeouts for tests.
func testConfig() config {
	return config{handshakeTimeout: 2 * time.Second, maxHeaderBytes: 8192}
}

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

func TestServerAnswersEachKindOfRequest(t *testing.T) {
	ts := startServer(t, testConfig())
	tests := []struct {
		name    string
		raw     string
		status  int
		headers map[string]string
	}{
		{name: "a valid upgrade gets 501 until chapter 03", raw: rfcRequest, status: 501},
		{name: "Firefox's request is a valid upgrade", raw: firefoxRequest, status: 501},
		{name: "a malformed request line gets 400", raw: "GET\r\n\r\n", status: 400},
		{name: "a space before a colon gets 400", raw: "GET / HTTP/1.1\r\nHost : a\r\n\r\n", status: 400},
		{name: "POST gets 405 with Allow: GET", raw: "POST /chat HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", status: 405, headers: map[string]string{"Allow": "GET"}},
		{name: "a plain GET gets 426 with Upgrade: websocket", raw: "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", status: 426, headers: map[string]string{"Upgrade": "websocket", "Connection": "Upgrade"}},
		{name: "a missing Host gets 400", raw: strings.Replace(rfcRequest, "Host: server.example.com\r\n", "", 1), status: 400},
		{name: "HTTP/1.0 gets 400", raw: strings.Replace(rfcRequest, "HTTP/1.1", "HTTP/1.0", 1), status: 400},
		{name: "HTTP/3.0 gets 505", raw: strings.Replace(rfcRequest, "HTTP/1.1", "HTTP/3.0", 1), status: 505},
		{name: "the protocol overview's curl request (no key, no version) is still an upgrade here; chapter 03 refuses it", raw: "GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nHost: echo.websocket.org\r\nOrigin: http://www.websocket.org\r\n\r\n", status: 501},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			resp, body := roundTrip(t, ts.addr, tt.raw)
			assert.Equal(t, tt.status, resp.StatusCode, "body: %s", body)
			for name, want := range tt.headers {
				assert.Equal(t, want, resp.Header.Get(name), "header %s", name)
			}
			assert.NotEmpty(t, body, "a refusal explains itself")
			assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
		})
	}
}

func TestServerReadsARequestSentOneByteAtATime(t *testing.T) {
	cfg := testConfig()
	cfg.trace = true
	ts := startServer(t, cfg)
	conn := dial(t, ts.addr)
	for i := range len(rfcRequest) {
		_, err := conn.Write([]byte{rfcRequest[i]})
		require.NoError(t, err)
	}
	resp, _ := readResponse(t, conn)
	assert.Equal(t, 501, resp.StatusCode)
	// With -trace the parsed request is logged, so a learner sees what
	// arrived.
	ts.logs.waitFor(t, "> Sec-WebSocket-Protocol: chat, superchat")
}

func TestServerLogsOnlyTheRequestLineWithoutTrace(t *testing.T) {
	ts := startServer(t, testConfig())
	resp, _ := roundTrip(t, ts.addr, rfcRequest)
	require.Equal(t, 501, resp.StatusCode)
	ts.logs.waitFor(t, "> GET /chat HTTP/1.1")
	// A client chooses its headers; logged in full by default, each would
	// cost the log several times its size.
	assert.NotContains(t, ts.logs.String(), "Sec-WebSocket-Key")
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
	resp, _ = roundTrip(t, ts.addr, rfcRequest)
	assert.Equal(t, 501, resp.StatusCode)
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
		{"half a request", rfcRequest[:len(rfcRequest)/2]},
		{"everything but the empty line", strings.TrimSuffix(rfcRequest, "\r\n")},
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

func TestServerSurvivesClientsThatLeaveEarly(t *testing.T) {
	ts := startServer(t, testConfig())
	for _, sent := range []string{"", "GET / HT", "GET / HTTP/1.1\r\nHost: a\r\n"} {
		conn := dial(t, ts.addr)
		io.WriteString(conn, sent)
		conn.Close()
	}
	resp, _ := roundTrip(t, ts.addr, firefoxRequest)
	assert.Equal(t, 501, resp.StatusCode, "after them, Firefox's request (Connection: keep-alive, Upgrade) gets the chapter's usual answer")
}
