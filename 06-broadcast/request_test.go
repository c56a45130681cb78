package main

import (
	"bufio"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rfcRequest is the client handshake of RFC 6455 section 1.2 (the Python-and-JavaScript
// article and the protocol overview show it too), with CRLF line ends as on the wire.
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
		{name: "the RFC's request line parses", line: "GET /chat HTTP/1.1", want: request{method: "GET", target: "/chat", proto: "HTTP/1.1", major: 1, minor: 1}},
		{name: "a query string stays in the target", line: "GET /ws?room=1&x=%20 HTTP/1.1", want: request{method: "GET", target: "/ws?room=1&x=%20", proto: "HTTP/1.1", major: 1, minor: 1}},
		{name: "HTTP/1.0 parses (checkUpgrade refuses it later)", line: "GET / HTTP/1.0", want: request{method: "GET", target: "/", proto: "HTTP/1.0", major: 1, minor: 0}},
		{name: "other methods parse (checkUpgrade refuses them)", line: "POST / HTTP/1.1", want: request{method: "POST", target: "/", proto: "HTTP/1.1", major: 1, minor: 1}},
		{name: "two spaces between parts are malformed", line: "GET  / HTTP/1.1", want: request{}, status: 400},
		{name: "a missing version is malformed", line: "GET /", want: request{}, status: 400},
		{name: "a space inside the target is malformed", line: "GET /a b HTTP/1.1", want: request{}, status: 400},
		{name: "a lower-case version is malformed", line: "GET / http/1.1", want: request{}, status: 400},
		{name: "a version without a minor digit is malformed", line: "GET / HTTP/1", want: request{}, status: 400},
		{name: "a method with a delimiter is malformed", line: "GE(T / HTTP/1.1", want: request{}, status: 400},
		{name: "a control character in the target is malformed", line: "GET /\x00 HTTP/1.1", want: request{}, status: 400},
		{name: "a tab in the target is malformed", line: "GET /\t HTTP/1.1", want: request{}, status: 400},
		{name: "an empty line is malformed", line: "", want: request{}, status: 400},
		{name: "HTTP/2.0 in a text request line is not supported", line: "GET / HTTP/2.0", want: request{}, status: 505},
		{name: "a path with a query is origin-form and parses", line: "GET /chat?x=1 HTTP/1.1", want: request{method: "GET", target: "/chat?x=1", proto: "HTTP/1.1", major: 1, minor: 1}},
		{name: "an absolute URL, as sent to a proxy, parses (RFC 7230 5.3.2)", line: "GET http://host/chat HTTP/1.1", want: request{method: "GET", target: "http://host/chat", proto: "HTTP/1.1", major: 1, minor: 1}},
		{name: "a ws:// absolute URL parses", line: "GET ws://host/ HTTP/1.1", want: request{method: "GET", target: "ws://host/", proto: "HTTP/1.1", major: 1, minor: 1}},
		{name: "an authority-form target is CONNECT's, not GET's (RFC 7230 5.3.3)", line: "GET evil:443 HTTP/1.1", want: request{}, status: 400},
		{name: "an asterisk-form target is OPTIONS' and of no use here (RFC 7230 5.3.4)", line: "OPTIONS * HTTP/1.1", want: request{}, status: 400},
		{name: "a target without a leading slash is refused", line: "GET chat HTTP/1.1", want: request{}, status: 400},
		{name: "an empty target is refused", line: "GET  HTTP/1.1", want: request{}, status: 400},
		{name: "a URL with an empty host is refused (RFC 7230 2.7.1)", line: "GET http:///chat HTTP/1.1", want: request{}, status: 400},
		{name: "a scheme that starts with a digit is refused (RFC 3986 3.1)", line: "GET 1ws://host/ HTTP/1.1", want: request{}, status: 400},
		{name: "a scheme without // is refused", line: "GET http:/chat HTTP/1.1", want: request{}, status: 400},
		{name: "a relative path that merely contains :// is refused", line: "GET chat/http://host/ HTTP/1.1", want: request{}, status: 400},
		{name: "the HTTP/2 preface's version is judged before its * target: 505", line: "PRI * HTTP/2.0", want: request{}, status: 505},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			req, err := parseRequestLine(tt.line)
			if tt.status != 0 {
				assert.Equal(t, tt.status, statusOf(err), "the status of the refusal (0: no refusal); error: %v", err)
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
		{name: "a plain field parses", line: "Upgrade: websocket", wantName: "Upgrade", wantValue: "websocket"},
		{name: "no space after the colon is fine (isnowfy/python-websocket splits on ': ')", line: "Host:localhost:9001", wantName: "Host", wantValue: "localhost:9001"},
		{name: "a value containing ': ' keeps it (isnowfy/python-websocket raises)", line: "X-Note: a: b", wantName: "X-Note", wantValue: "a: b"},
		{name: "spaces and tabs around the value are trimmed", line: "Sec-WebSocket-Key: \t dGhlIHNhbXBsZSBub25jZQ== \t", wantName: "Sec-WebSocket-Key", wantValue: "dGhlIHNhbXBsZSBub25jZQ=="},
		{name: "an empty value is allowed", line: "X-Empty:", wantName: "X-Empty", wantValue: ""},
		{name: "the name keeps the client's case", line: "sEC-wEBsOCKET-vERSION: 13", wantName: "sEC-wEBsOCKET-vERSION", wantValue: "13"},
		{name: "UTF-8 in a value is passed through", line: "X-Name: 你好", wantName: "X-Name", wantValue: "你好"},
		{name: "a space before the colon is refused (RFC 7230 3.2.4)", line: "Upgrade : websocket", wantName: "", wantValue: "", status: 400},
		{name: "a folded continuation line is refused", line: " continued", wantName: "", wantValue: "", status: 400},
		{name: "a tab-folded continuation line is refused", line: "\tcontinued", wantName: "", wantValue: "", status: 400},
		{name: "a line without a colon is refused", line: "Upgrade websocket", wantName: "", wantValue: "", status: 400},
		{name: "an empty line is refused (readRequest never passes one, but a parser must not crash)", line: "", wantName: "", wantValue: "", status: 400},
		{name: "a line without a name is refused", line: ": websocket", wantName: "", wantValue: "", status: 400},
		{name: "a name with a delimiter is refused", line: "Up/grade: websocket", wantName: "", wantValue: "", status: 400},
		{name: "a NUL in the value is refused", line: "X-A: a\x00b", wantName: "", wantValue: "", status: 400},
		{name: "a bare CR in the value is refused", line: "X-A: a\rb", wantName: "", wantValue: "", status: 400},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			name, value, err := parseHeaderLine(tt.line)
			if tt.status != 0 {
				assert.Equal(t, tt.status, statusOf(err), "the status of the refusal (0: no refusal); error: %v", err)
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
	// The articles' Python servers call recv(1024) once. TCP may deliver
	// the request one byte at a time; OneByteReader makes every Read
	// return a single byte.
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
		{"a request over 1 KiB (Pithikos/python-websocket-server reads 1024 bytes once)", strings.Replace(rfcRequest, "\r\n\r\n", "\r\nCookie: session="+strings.Repeat("c", 3000)+"\r\n\r\n", 1)},
		{"a header line longer than the read buffer", strings.Replace(rfcRequest, "\r\n\r\n", "\r\nX-Long: "+strings.Repeat("l", 6000)+"\r\n\r\n", 1)},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
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
		{"a bare CR before the line's CRLF", "GET / HTTP/1.1\r\nX-A: a\r\r\n\r\n", 400},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			_, err := readRequest(bufio.NewReader(strings.NewReader(tt.raw)), 8192)
			assert.Equal(t, tt.status, statusOf(err), "the status of the refusal (0: no refusal); error: %v", err)
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

// endlessHeaders is a client that sends header lines without end, as far
// as a correct server can tell: it gives up after 1 MiB, so that a reader
// without a limit fails the test at once instead of eating the memory.
type endlessHeaders struct {
	sent int
	next string
}

func (e *endlessHeaders) Read(p []byte) (int, error) {
	if e.sent >= 1<<20 {
		return 0, io.EOF
	}
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
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			counted := &countingReader{r: tt.r}
			const limit, bufSize = 8192, 4096
			_, err := readRequest(bufio.NewReaderSize(counted, bufSize), limit)
			assert.Equal(t, 431, statusOf(err), "the status of the refusal (0: no refusal); error: %v", err)
			// Bounded memory: the limit plus at most one buffer was read.
			assert.LessOrEqual(t, counted.n, limit+bufSize,
				"bytes read from the client: past the limit, the reader must stop (count bytes as they arrive, not per line)")
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
	// withFields adds header lines to the RFC's request.
	withFields := func(lines ...string) string {
		return strings.Replace(rfcRequest, "\r\n\r\n", "\r\n"+strings.Join(lines, "\r\n")+"\r\n\r\n", 1)
	}
	tests := []struct {
		name   string
		raw    string
		status int // 0: an upgrade request
		header header
	}{
		{name: "the RFC's request is an upgrade", raw: rfcRequest},
		{name: "Firefox's 'Connection: keep-alive, Upgrade' is an upgrade", raw: firefoxRequest},
		{name: "header names and tokens in odd case are an upgrade", raw: "GET / HTTP/1.1\r\nhOsT: a\r\nUPGRADE: WebSocket\r\nconnection: UPGRADE\r\n\r\n"},
		{name: "tokens split over two Connection lines are an upgrade", raw: "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: keep-alive\r\nConnection: Upgrade\r\n\r\n"},
		{name: "Upgrade listing websocket among others is an upgrade", raw: "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c, websocket\r\nConnection: Upgrade\r\n\r\n"},
		{name: "HTTP/1.2 is an upgrade (1.1 or later)", raw: "GET / HTTP/1.2\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"},
		{name: "POST gets 405 with Allow: GET", raw: strings.Replace(rfcRequest, "GET", "POST", 1), status: 405, header: header{{"Allow", "GET"}}},
		{name: "a lower-case get is another method: 405", raw: strings.Replace(rfcRequest, "GET", "get", 1), status: 405, header: header{{"Allow", "GET"}}},
		{name: "HTTP/1.0 gets 400", raw: strings.Replace(rfcRequest, "HTTP/1.1", "HTTP/1.0", 1), status: 400},
		{name: "a missing Host gets 400", raw: strings.Replace(rfcRequest, "Host: server.example.com\r\n", "", 1), status: 400},
		{name: "two Host headers get 400", raw: strings.Replace(rfcRequest, "Host: server.example.com\r\n", "Host: a\r\nHost: b\r\n", 1), status: 400},
		{name: "a plain GET gets 426 naming websocket", raw: "GET / HTTP/1.1\r\nHost: a\r\n\r\n", status: 426, header: header{{"Upgrade", "websocket"}, {"Connection", "Upgrade"}}},
		{name: "a plain GET of HTTP/1.0 gets 400: the version is checked before Upgrade", raw: "GET / HTTP/1.0\r\nHost: a\r\n\r\n", status: 400},
		{name: "a plain GET without Host gets 400: Host is checked before Upgrade", raw: "GET / HTTP/1.1\r\n\r\n", status: 400},
		{name: "an upgrade to another protocol gets 426", raw: "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n", status: 426, header: header{{"Upgrade", "websocket"}, {"Connection", "Upgrade"}}},
		{name: "'websocketx' is not the token websocket: 426", raw: "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocketx\r\nConnection: Upgrade\r\n\r\n", status: 426, header: header{{"Upgrade", "websocket"}, {"Connection", "Upgrade"}}},
		{name: "Upgrade without Connection: Upgrade gets 400", raw: strings.Replace(rfcRequest, "Connection: Upgrade\r\n", "", 1), status: 400},
		{name: "'Connection: keep-alive' alone gets 400", raw: strings.Replace(rfcRequest, "Connection: Upgrade", "Connection: keep-alive", 1), status: 400},
		{name: "'Connection: upgraded' is not the token upgrade: 400", raw: strings.Replace(rfcRequest, "Connection: Upgrade", "Connection: upgraded", 1), status: 400},
		{name: "'Content-Length: 0' announces no body: an upgrade", raw: withFields("Content-Length: 0")},
		{name: "'Content-Length: 5' announces a body: 400", raw: withFields("Content-Length: 5"), status: 400},
		{name: "two Content-Length headers get 400, even both 0", raw: withFields("Content-Length: 0", "Content-Length: 0"), status: 400},
		{name: "a malformed Content-Length gets 400", raw: withFields("Content-Length: five"), status: 400},
		{name: "'Transfer-Encoding: chunked' announces a body: 400", raw: withFields("Transfer-Encoding: chunked"), status: 400},
		{name: "any Transfer-Encoding gets 400, even identity", raw: withFields("Transfer-Encoding: identity"), status: 400},
		{name: "a POST with a body gets 405: the method is judged first", raw: strings.Replace(withFields("Content-Length: 5"), "GET", "POST", 1), status: 405, header: header{{"Allow", "GET"}}},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
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

// firstArrival is a client whose first bytes arrive in one piece, as one
// TCP segment would bring them, and then nothing more for a long time. A
// second Read fails the test: checkFirstBytes must judge the first arrival
// without waiting for a line end.
type firstArrival struct {
	t    *testing.T
	data string
	read bool
}

var errSecondRead = errors.New("read past the first arrival")

func (f *firstArrival) Read(p []byte) (int, error) {
	if f.read {
		f.t.Error("checkFirstBytes read past the first arrival: it waited for more bytes")
		return 0, errSecondRead
	}
	f.read = true
	return copy(p, f.data), nil
}

func TestCheckFirstBytes(t *testing.T) {
	// The start of a TLS 1.2/1.3 ClientHello, as a browser sends it for a
	// wss:// URL: record type 0x16 (handshake), version 3.1, length 0x00c8;
	// message type 1 (ClientHello), length 0x0000c4, client version 3.3,
	// then the first bytes of the 32-byte random (RFC 8446 sections 4.1.2
	// and 5.1).
	const clientHello = "\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03\x5e\x9a\x27\x01\xbc"
	tests := []struct {
		name   string
		first  string // all the client sent so far
		status int    // 0: it may be HTTP
		reason string // a part of the refusal's reason
	}{
		{name: "a TLS ClientHello is refused with a hint at ws://", first: clientHello, status: 400, reason: "use ws://, not wss://"},
		{name: "binary junk is refused", first: "\x00\x01\x02", status: 400, reason: ""},
		{name: "a method with a character that is not a token's is refused", first: "G@T / HTTP/1.1\r\n", status: 400, reason: ""},
		{name: "a control character in the request line is refused", first: "GET /\x01", status: 400, reason: ""},
		{name: "a DEL in the request line is refused", first: "GET /\x7f HTTP/1.1\r\n", status: 400, reason: ""},
		{name: "a request line that starts with a space is refused", first: " GET / HTTP/1.1\r\n", status: 400, reason: ""},
		{name: "a request line without a space is refused", first: "GET\r\n", status: 400, reason: ""},
		{name: "two empty lines before the request line are refused (readRequest skips one)", first: "\r\n\r\nGET / HTTP/1.1\r\n", status: 400, reason: ""},
		{name: "binary junk after an empty line is refused", first: "\r\n\x00\x01\x02", status: 400, reason: ""},
		{name: "binary junk after a bare LF is refused", first: "\n\x00\x01\x02", status: 400, reason: ""},
		{name: "a method alone may be HTTP", first: "GET", status: 0, reason: ""},
		{name: "two letters may be HTTP: the rest has not arrived", first: "GE", status: 0, reason: ""},
		{name: "the RFC's whole request is HTTP", first: rfcRequest, status: 0, reason: ""},
		{name: "an empty line before the request line is HTTP (RFC 7230 3.5)", first: "\r\nGET / HTTP/1.1\r\n", status: 0, reason: ""},
		{name: "a bare LF before the request line is HTTP (RFC 7230 3.5)", first: "\nGET / HTTP/1.1\n", status: 0, reason: ""},
		{name: "a lone CR may be the start of an empty line", first: "\r", status: 0, reason: ""},
		{name: "UTF-8 in the target is for parseRequestLine to judge", first: "GET /caf\xc3\xa9 HTTP/1.1\r\n", status: 0, reason: ""},
		{name: "control characters after the first line are for readRequest to judge", first: "GET / HTTP/1.1\r\nX: \x00", status: 0, reason: ""},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			br := bufio.NewReader(&firstArrival{t: t, data: tt.first})
			err := checkFirstBytes(br)
			if tt.status == 0 {
				assert.NoError(t, err)
			} else {
				var herr *httpError
				require.ErrorAs(t, err, &herr)
				assert.Equal(t, tt.status, herr.status, "refusal: %v", herr)
				assert.Contains(t, herr.reason, tt.reason)
			}
			// Nothing was consumed: every byte is still there for readRequest.
			require.Equal(t, len(tt.first), br.Buffered(), "bytes consumed or not buffered")
			rest, err := br.Peek(br.Buffered())
			require.NoError(t, err)
			assert.Equal(t, tt.first, string(rest))
		})
	}
}

func TestCheckFirstBytesLeavesTheRequestToReadRequest(t *testing.T) {
	// "GE" arrives, then the rest: checkFirstBytes answers on "GE" alone,
	// and readRequest then reads the whole request from the same reader.
	br := bufio.NewReader(io.MultiReader(strings.NewReader(rfcRequest[:2]), strings.NewReader(rfcRequest[2:])))
	require.NoError(t, checkFirstBytes(br))
	assert.Equal(t, 2, br.Buffered(), "read only the first arrival")
	req, err := readRequest(br, 8192)
	require.NoError(t, err)
	assert.Equal(t, "/chat", req.target)
	assert.Len(t, req.header, 7)
}

func TestCheckFirstBytesReturnsReadErrorsAsTheyAre(t *testing.T) {
	err := checkFirstBytes(bufio.NewReader(strings.NewReader("")))
	assert.ErrorIs(t, err, io.EOF, "the client left without a byte")
	assert.Equal(t, 0, statusOf(err), "not an HTTP error: there is nobody to answer")

	err = checkFirstBytes(bufio.NewReader(iotest.ErrReader(os.ErrDeadlineExceeded)))
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "the handshake deadline passed")
	assert.Equal(t, 0, statusOf(err))
}
