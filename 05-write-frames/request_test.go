package main

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rfcRequest is the client handshake of RFC 6455 section 1.2 (seeds 003 and
// 004 show it too), with CRLF line ends as on the wire.
const rfcRequest = "GET /chat HTTP/1.1\r\n" +
	"Host: server.example.com\r\n" +
	"Upgrade: websocket\r\n" +
	"Connection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
	"Origin: http://example.com\r\n" +
	"Sec-WebSocket-Protocol: chat, superchat\r\n" +
	"Sec-WebSocket-Version: 13\r\n" +
	"\r\n"

// firefoxRequest is what Firefox sends (its Connection header is a list).
const firefoxRequest = "GET / HTTP/1.1\r\n" +
	"Host: localhost:9001\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
	"Accept: */*\r\n" +
	"Accept-Language: en-US,en;q=0.5\r\n" +
	"Accept-Encoding: gzip, deflate, br\r\n" +
	"Sec-WebSocket-Version: 13\r\n" +
	"Origin: null\r\n" +
	"Sec-WebSocket-Extensions: permessage-deflate\r\n" +
	"Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\n" +
	"Connection: keep-alive, Upgrade\r\n" +
	"Pragma: no-cache\r\n" +
	"Cache-Control: no-cache\r\n" +
	"Upgrade: websocket\r\n" +
	"\r\n"

// statusOf returns the HTTP status of a refusal, or 0 if err is not one.
func statusOf(err error) int {
	var herr *httpError
	if errors.As(err, &herr) {
		return herr.status
	}
	return 0
}

func TestParseRequestLine(t *testing.T) {
	tests := []struct {
		name   string
		line   string
		want   request // checked when status is 0
		status int
	}{
		{"the RFC's request line parses", "GET /chat HTTP/1.1", request{method: "GET", target: "/chat", proto: "HTTP/1.1", major: 1, minor: 1}, 0},
		{"a query string stays in the target", "GET /ws?room=1&x=%20 HTTP/1.1", request{method: "GET", target: "/ws?room=1&x=%20", proto: "HTTP/1.1", major: 1, minor: 1}, 0},
		{"HTTP/1.0 parses (checkUpgrade refuses it later)", "GET / HTTP/1.0", request{method: "GET", target: "/", proto: "HTTP/1.0", major: 1, minor: 0}, 0},
		{"other methods parse (checkUpgrade refuses them)", "POST / HTTP/1.1", request{method: "POST", target: "/", proto: "HTTP/1.1", major: 1, minor: 1}, 0},
		{"two spaces between parts are malformed", "GET  / HTTP/1.1", request{}, 400},
		{"a missing version is malformed", "GET /", request{}, 400},
		{"a space inside the target is malformed", "GET /a b HTTP/1.1", request{}, 400},
		{"a lower-case version is malformed", "GET / http/1.1", request{}, 400},
		{"a version without a minor digit is malformed", "GET / HTTP/1", request{}, 400},
		{"a method with a delimiter is malformed", "GE(T / HTTP/1.1", request{}, 400},
		{"a control character in the target is malformed", "GET /\x00 HTTP/1.1", request{}, 400},
		{"a tab in the target is malformed", "GET /\t HTTP/1.1", request{}, 400},
		{"an empty line is malformed", "", request{}, 400},
		{"HTTP/2.0 in a text request line is not supported", "GET / HTTP/2.0", request{}, 505},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := parseRequestLine(tt.line)
			if tt.status != 0 {
				assert.Equal(t, tt.status, statusOf(err), "error: %v", err)
				return
			}
			require.NoError(t, err)
			require.NotNil(t, req)
			assert.Equal(t, tt.want, *req)
		})
	}
}

func TestParseHeaderLine(t *testing.T) {
	tests := []struct {
		name      string
		line      string
		wantName  string
		wantValue string
		status    int
	}{
		{"a plain field parses", "Upgrade: websocket", "Upgrade", "websocket", 0},
		{"no space after the colon is fine (seed 000 splits on ': ')", "Host:localhost:9001", "Host", "localhost:9001", 0},
		{"a value containing ': ' keeps it (seed 000 raises)", "X-Note: a: b", "X-Note", "a: b", 0},
		{"spaces and tabs around the value are trimmed", "Sec-WebSocket-Key: \t dGhlIHNhbXBsZSBub25jZQ== \t", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==", 0},
		{"an empty value is allowed", "X-Empty:", "X-Empty", "", 0},
		{"the name keeps the client's case", "sEC-wEBsOCKET-vERSION: 13", "sEC-wEBsOCKET-vERSION", "13", 0},
		{"UTF-8 in a value is passed through", "X-Name: 你好", "X-Name", "你好", 0},
		{"a space before the colon is refused (RFC 7230 3.2.4)", "Upgrade : websocket", "", "", 400},
		{"a folded continuation line is refused", " continued", "", "", 400},
		{"a tab-folded continuation line is refused", "\tcontinued", "", "", 400},
		{"a line without a colon is refused", "Upgrade websocket", "", "", 400},
		{"an empty line is refused (readRequest never passes one, but a parser must not crash)", "", "", "", 400},
		{"a line without a name is refused", ": websocket", "", "", 400},
		{"a name with a delimiter is refused", "Up/grade: websocket", "", "", 400},
		{"a NUL in the value is refused", "X-A: a\x00b", "", "", 400},
		{"a bare CR in the value is refused", "X-A: a\rb", "", "", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, value, err := parseHeaderLine(tt.line)
			if tt.status != 0 {
				assert.Equal(t, tt.status, statusOf(err), "error: %v", err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantName, name)
			assert.Equal(t, tt.wantValue, value)
		})
	}
}

func TestReadRequestParsesTheRFCHandshakeRequest(t *testing.T) {
	req, err := readRequest(bufio.NewReader(strings.NewReader(rfcRequest)), 8192)
	require.NoError(t, err)
	assert.Equal(t, "GET", req.method)
	assert.Equal(t, "/chat", req.target)
	assert.Equal(t, "HTTP/1.1", req.proto)
	assert.Equal(t, header{
		{"Host", "server.example.com"},
		{"Upgrade", "websocket"},
		{"Connection", "Upgrade"},
		{"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
		{"Origin", "http://example.com"},
		{"Sec-WebSocket-Protocol", "chat, superchat"},
		{"Sec-WebSocket-Version", "13"},
	}, req.header)
}

func TestReadRequestHandlesAnySplitOfTheBytes(t *testing.T) {
	// The seeds call recv(1024) once. TCP may deliver the request one byte
	// at a time; OneByteReader makes every Read return a single byte.
	br := bufio.NewReader(iotest.OneByteReader(strings.NewReader(rfcRequest)))
	req, err := readRequest(br, 8192)
	require.NoError(t, err)
	assert.Equal(t, "/chat", req.target)
	assert.Len(t, req.header, 7)
	assert.Equal(t, "13", req.header.get("sec-websocket-version"))

	// And split at every byte position into exactly two reads.
	for i := 1; i < len(rfcRequest); i++ {
		r := io.MultiReader(strings.NewReader(rfcRequest[:i]), strings.NewReader(rfcRequest[i:]))
		req, err := readRequest(bufio.NewReader(r), 8192)
		if assert.NoError(t, err, "split after byte %d", i) {
			assert.Len(t, req.header, 7, "split after byte %d", i)
		}
	}
}

func TestReadRequestLeavesTheBytesAfterTheHeadUnread(t *testing.T) {
	// A client may send its first frame in the same packet as the request.
	frame := "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"
	br := bufio.NewReader(strings.NewReader(rfcRequest + frame))
	_, err := readRequest(br, 8192)
	require.NoError(t, err)
	rest, err := io.ReadAll(br)
	require.NoError(t, err)
	assert.Equal(t, frame, string(rest))
}

func TestReadRequestAcceptsWhatRFC7230Allows(t *testing.T) {
	tests := []struct {
		name string
		raw  string
	}{
		{"bare LF line ends", strings.ReplaceAll(rfcRequest, "\r\n", "\n")},
		{"one empty line before the request line", "\r\n" + rfcRequest},
		{"a request over 1 KiB (seed 002 reads 1024 bytes once)", strings.Replace(rfcRequest, "\r\n\r\n", "\r\nCookie: session="+strings.Repeat("c", 3000)+"\r\n\r\n", 1)},
		{"a header line longer than the read buffer", strings.Replace(rfcRequest, "\r\n\r\n", "\r\nX-Long: "+strings.Repeat("l", 6000)+"\r\n\r\n", 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := readRequest(bufio.NewReaderSize(strings.NewReader(tt.raw), 4096), 8192)
			require.NoError(t, err)
			assert.Equal(t, "/chat", req.target)
			assert.Equal(t, "websocket", req.header.get("Upgrade"))
		})
	}
}

func TestReadRequestRefusesMalformedHeads(t *testing.T) {
	tests := []struct {
		name   string
		raw    string
		status int
	}{
		{"a malformed request line", "GET /chat\r\nHost: a\r\n\r\n", 400},
		{"a header line without a colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n", 400},
		{"a space before the colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},
		{"a folded header line", "GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n", 400},
		{"two empty lines before the request line", "\r\n\r\nGET / HTTP/1.1\r\n\r\n", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readRequest(bufio.NewReader(strings.NewReader(tt.raw)), 8192)
			assert.Equal(t, tt.status, statusOf(err), "error: %v", err)
		})
	}
}

func TestReadRequestReportsAClientThatStopsEarly(t *testing.T) {
	_, err := readRequest(bufio.NewReader(strings.NewReader("")), 8192)
	assert.ErrorIs(t, err, io.EOF, "nothing sent at all")

	_, err = readRequest(bufio.NewReader(strings.NewReader(rfcRequest[:40])), 8192)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "closed in the middle of a line")

	_, err = readRequest(bufio.NewReader(strings.NewReader("GET / HTTP/1.1\r\nHost: a\r\n")), 8192)
	assert.Error(t, err, "closed before the empty line")
	assert.Equal(t, 0, statusOf(err), "not an HTTP error: there is nobody to answer")
}

// endlessHeaders is a client that sends header lines forever and counts
// what the server took from it.
type endlessHeaders struct {
	sent int
	next string
}

func (e *endlessHeaders) Read(p []byte) (int, error) {
	if e.sent == 0 {
		e.next = "GET / HTTP/1.1\r\n"
	}
	n := 0
	for n < len(p) {
		if e.next == "" {
			e.next = "X-Flood: " + strings.Repeat("a", 50) + "\r\n"
		}
		c := copy(p[n:], e.next)
		e.next = e.next[c:]
		n += c
	}
	e.sent += n
	return n, nil
}

func TestReadRequestStopsAtTheSizeLimitWith431(t *testing.T) {
	tests := []struct {
		name string
		r    io.Reader
	}{
		{"endless header lines", &endlessHeaders{}},
		{"one endless header line", io.MultiReader(strings.NewReader("GET / HTTP/1.1\r\nX: "), iotest.OneByteReader(strings.NewReader(strings.Repeat("a", 1<<20))))},
		{"an endless request line", strings.NewReader("GET /" + strings.Repeat("a", 1<<20))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			counted := &countingReader{r: tt.r}
			const limit, bufSize = 8192, 4096
			_, err := readRequest(bufio.NewReaderSize(counted, bufSize), limit)
			assert.Equal(t, 431, statusOf(err), "error: %v", err)
			// Bounded memory: the limit plus at most one buffer was read.
			assert.LessOrEqual(t, counted.n, limit+bufSize)
		})
	}

	t.Run("a head of exactly the limit is accepted", func(t *testing.T) {
		pad := 8192 - len(rfcRequest) - len("X-Pad: \r\n")
		raw := strings.Replace(rfcRequest, "\r\n\r\n", "\r\nX-Pad: "+strings.Repeat("p", pad)+"\r\n\r\n", 1)
		require.Len(t, raw, 8192)
		_, err := readRequest(bufio.NewReader(strings.NewReader(raw)), 8192)
		assert.NoError(t, err)
		_, err = readRequest(bufio.NewReader(strings.NewReader(raw)), 8191)
		assert.Equal(t, 431, statusOf(err), "one byte over the limit")
	})
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// parse turns a well-formed raw request into a request without using the
// code under test, so the checkUpgrade tests do not depend on readRequest.
func parse(t *testing.T, raw string) *request {
	t.Helper()
	head, _, found := strings.Cut(raw, "\r\n\r\n")
	require.True(t, found, "test request must end with an empty line")
	lines := strings.Split(head, "\r\n")
	parts := strings.Split(lines[0], " ")
	require.Len(t, parts, 3)
	req := &request{method: parts[0], target: parts[1], proto: parts[2],
		major: int(parts[2][5] - '0'), minor: int(parts[2][7] - '0')}
	for _, line := range lines[1:] {
		name, value, ok := strings.Cut(line, ":")
		require.True(t, ok, "test header line %q", line)
		req.header = append(req.header, headerField{name, strings.TrimSpace(value)})
	}
	return req
}

func TestCheckUpgrade(t *testing.T) {
	tests := []struct {
		name   string
		raw    string
		status int // 0: an upgrade request
		header header
	}{
		{"the RFC's request is an upgrade", rfcRequest, 0, nil},
		{"Firefox's 'Connection: keep-alive, Upgrade' is an upgrade", firefoxRequest, 0, nil},
		{"header names and tokens in odd case are an upgrade", "GET / HTTP/1.1\r\nhOsT: a\r\nUPGRADE: WebSocket\r\nconnection: UPGRADE\r\n\r\n", 0, nil},
		{"tokens split over two Connection lines are an upgrade", "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: keep-alive\r\nConnection: Upgrade\r\n\r\n", 0, nil},
		{"Upgrade listing websocket among others is an upgrade", "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c, websocket\r\nConnection: Upgrade\r\n\r\n", 0, nil},
		{"HTTP/1.2 is an upgrade (1.1 or later)", "GET / HTTP/1.2\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", 0, nil},
		{"POST gets 405 with Allow: GET", strings.Replace(rfcRequest, "GET", "POST", 1), 405, header{{"Allow", "GET"}}},
		{"a lower-case get is another method: 405", strings.Replace(rfcRequest, "GET", "get", 1), 405, header{{"Allow", "GET"}}},
		{"HTTP/1.0 gets 400", strings.Replace(rfcRequest, "HTTP/1.1", "HTTP/1.0", 1), 400, nil},
		{"a missing Host gets 400", strings.Replace(rfcRequest, "Host: server.example.com\r\n", "", 1), 400, nil},
		{"two Host headers get 400", strings.Replace(rfcRequest, "Host: server.example.com\r\n", "Host: a\r\nHost: b\r\n", 1), 400, nil},
		{"a plain GET gets 426 naming websocket", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 426, header{{"Upgrade", "websocket"}, {"Connection", "Upgrade"}}},
		{"an upgrade to another protocol gets 426", "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n", 426, header{{"Upgrade", "websocket"}, {"Connection", "Upgrade"}}},
		{"'websocketx' is not the token websocket: 426", "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocketx\r\nConnection: Upgrade\r\n\r\n", 426, header{{"Upgrade", "websocket"}, {"Connection", "Upgrade"}}},
		{"Upgrade without Connection: Upgrade gets 400", strings.Replace(rfcRequest, "Connection: Upgrade\r\n", "", 1), 400, nil},
		{"'Connection: keep-alive' alone gets 400", strings.Replace(rfcRequest, "Connection: Upgrade", "Connection: keep-alive", 1), 400, nil},
		{"'Connection: upgraded' is not the token upgrade: 400", strings.Replace(rfcRequest, "Connection: Upgrade", "Connection: upgraded", 1), 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkUpgrade(parse(t, tt.raw))
			if tt.status == 0 {
				assert.NoError(t, err)
				return
			}
			var herr *httpError
			require.ErrorAs(t, err, &herr)
			assert.Equal(t, tt.status, herr.status, "refusal: %v", herr)
			for _, f := range tt.header {
				assert.Equal(t, f.value, herr.header.get(f.name), "header %s", f.name)
			}
		})
	}
}
