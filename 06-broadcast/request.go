package main

import (
	"bufio"
	"errors"
	"io"
	"strings"
)

// readRequest reads one request head from br: the request line, then header
// lines up to the empty line that ends them. It reads exactly that far and
// no further, so whatever the client sent next (its first WebSocket frame,
// say) is still in br for the next reader.
//
// TCP may deliver the head in any number of pieces, one byte at a time or
// glued to the bytes that follow; reading line by line from a bufio.Reader
// handles both. At most limit bytes are read: a longer head is refused with
// 431 (RFC 6585 section 5) before it can use more memory than that.
func readRequest(br *bufio.Reader, limit int) (*request, error) {
	budget := limit
	line, err := readLine(br, &budget)
	if err != nil {
		return nil, err
	}
	// RFC 7230 section 3.5: a server should ignore at least one empty line
	// before the request line.
	if line == "" {
		if line, err = readLine(br, &budget); err != nil {
			return nil, err
		}
	}
	req, err := parseRequestLine(line)
	if err != nil {
		return nil, err
	}
	for {
		line, err := readLine(br, &budget)
		if err != nil {
			return nil, err
		}
		if line == "" {
			return req, nil // the empty line: end of the head
		}
		name, value, err := parseHeaderLine(line)
		if err != nil {
			return nil, err
		}
		req.header = append(req.header, headerField{name, value})
	}
}

// readLine returns the next line without its line ending. Lines end in
// CRLF; a bare LF is accepted too (RFC 7230 section 3.5 allows it). Every
// byte read is taken from *budget; running out is a 431.
func readLine(br *bufio.Reader, budget *int) (string, error) {
	var line []byte
	for {
		// ReadSlice returns at most one buffer's worth; a longer line comes
		// in pieces with bufio.ErrBufferFull.
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > *budget {
			return "", refusal(431, "request head larger than the server accepts")
		}
		*budget -= len(chunk)
		line = append(line, chunk...)
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) && len(line) > 0 {
			return "", io.ErrUnexpectedEOF // the client stopped mid-line
		}
		return "", err
	}
	line = line[:len(line)-1] // the LF
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return string(line), nil
}

// parseRequestLine parses "GET /chat HTTP/1.1" (RFC 7230 section 3.1.1):
// method, request target and version, separated by single spaces.
func parseRequestLine(line string) (*request, error) {
	parts := strings.Split(line, " ")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return nil, refusal(400, "malformed request line: want METHOD TARGET HTTP/1.1")
	}
	method, target, proto := parts[0], parts[1], parts[2]
	if !isToken(method) {
		return nil, refusal(400, "malformed method in the request line")
	}
	if hasControl(target) || strings.ContainsRune(target, '\t') {
		return nil, refusal(400, "control character in the request target")
	}
	// HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 7230 section 2.6)
	if len(proto) != len("HTTP/1.1") || !strings.HasPrefix(proto, "HTTP/") ||
		!isDigit(proto[5]) || proto[6] != '.' || !isDigit(proto[7]) {
		return nil, refusal(400, "malformed HTTP version in the request line")
	}
	major, minor := int(proto[5]-'0'), int(proto[7]-'0')
	if major != 1 {
		return nil, refusal(505, "this server speaks HTTP/1.1")
	}
	// RFC 7230 section 5.3: a GET names its target in origin-form ("/chat",
	// "/chat?x=1") or, as sent to a proxy, in absolute-form
	// ("http://host/chat"). The other two forms are other methods':
	// authority-form ("host:443") is CONNECT's, asterisk-form ("*") is
	// OPTIONS'. Checked after the version: the forms are HTTP/1.1's.
	if !strings.HasPrefix(target, "/") && !isAbsoluteForm(target) {
		return nil, refusal(400, "the request target must be a path such as /chat "+
			"or an absolute URL such as http://host/chat (host:port is only for CONNECT, * only for OPTIONS)")
	}
	return &request{method: method, target: target, proto: proto, major: major, minor: minor}, nil
}

// isAbsoluteForm reports whether target starts like an absolute URI with
// an authority: scheme "://" host (RFC 3986 section 3.1: a scheme is a letter
// followed by letters, digits, "+", "-" and "."). An empty host is refused
// too (RFC 7230 section 2.7.1).
func isAbsoluteForm(target string) bool {
	scheme, rest, found := strings.Cut(target, "://")
	if !found || scheme == "" || !isAlpha(scheme[0]) {
		return false
	}
	for i := 1; i < len(scheme); i++ {
		if c := scheme[i]; !isAlpha(c) && !isDigit(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return rest != "" && strings.IndexByte("/?#", rest[0]) < 0
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// parseHeaderLine splits "Name: value" at its first colon (RFC 7230
// section 3.2). The value may itself contain ": " and may have no space
// after the colon; spaces and tabs around it are not part of it.
func parseHeaderLine(line string) (name, value string, err error) {
	if line == "" {
		return "", "", refusal(400, "empty header line")
	}
	if line[0] == ' ' || line[0] == '\t' {
		// A continuation of the previous line ("obsolete line folding"),
		// which RFC 7230 section 3.2.4 lets a server refuse.
		return "", "", refusal(400, "folded header line (obsolete line folding is not accepted)")
	}
	name, value, found := strings.Cut(line, ":")
	if !found || name == "" {
		return "", "", refusal(400, "malformed header line: want Name: value")
	}
	if strings.TrimRight(name, " \t") != name {
		// RFC 7230 section 3.2.4: no whitespace between name and colon.
		return "", "", refusal(400, "whitespace between header name and colon")
	}
	if !isToken(name) {
		return "", "", refusal(400, "malformed header name")
	}
	value = strings.Trim(value, " \t")
	if hasControl(value) {
		return "", "", refusal(400, "control character in a header value")
	}
	return name, value, nil
}

// checkUpgrade decides whether req asks to become a WebSocket connection
// (RFC 6455 section 4.2.1 items 1 to 4) and returns nil if it does, or the
// refusal to answer with.
func checkUpgrade(req *request) error {
	if req.method != "GET" {
		return refusal(405, "a WebSocket handshake is a GET request", "Allow", "GET")
	}
	if req.minor < 1 {
		// HTTP/1.0 has no Upgrade (RFC 7230 section 6.7 says to ignore it).
		return refusal(400, "a WebSocket handshake needs HTTP/1.1 or later")
	}
	switch req.header.count("Host") {
	case 0:
		return refusal(400, "missing Host header")
	case 1:
	default:
		return refusal(400, "more than one Host header")
	}
	if !req.header.hasToken("Upgrade", "websocket") {
		// A plain GET: tell the client what this endpoint speaks
		// (RFC 7231 section 6.5.15 requires Upgrade with 426).
		return refusal(426, "this is a WebSocket endpoint: send Upgrade: websocket",
			"Upgrade", "websocket", "Connection", "Upgrade")
	}
	if !req.header.hasToken("Connection", "upgrade") {
		return refusal(400, "Upgrade: websocket needs Connection: Upgrade")
	}
	// No body (RFC 7230 section 3.3.3 says how one is announced). After the
	// 101 the bytes that follow the head are WebSocket frames, so a body
	// would be read as frames; and a proxy in front that forwards it as a
	// body no longer agrees with us on where the request ends: request
	// smuggling. Every refusal above closes the connection, body and all,
	// so this check only has to come before a yes; coming last, it lets the
	// more telling answers (405, 426) go first.
	if req.header.count("Transfer-Encoding") > 0 {
		return refusal(400, "a WebSocket handshake has no body: send no Transfer-Encoding")
	}
	switch cl := req.header.values("Content-Length"); {
	case len(cl) > 1:
		return refusal(400, "more than one Content-Length header")
	case len(cl) == 1 && cl[0] != "0":
		return refusal(400, "a WebSocket handshake has no body: Content-Length must be 0 or absent")
	}
	return nil
}
