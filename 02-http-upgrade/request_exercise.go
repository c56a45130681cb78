//go:build exercise

package main

import (
	"bufio"
	"errors"
)

// errExercise is what the stubs return until you write them.
var errExercise = errors.New("not written yet (exercise 02)")

// readRequest reads one request head from br: the request line, then header
// lines up to the empty line that ends them, reading at most limit bytes.
//
// Exercise (docs/02-http-upgrade.md, sections "Reading a stream up to the
// empty line" and "Your turn"; RFC 7230 sections 3 and 3.5): read line by
// line, strip the CRLF (or a bare LF), skip one empty line before the
// request line, and stop at the empty line. Count every byte against limit
// as it is read, not once a line is complete: past limit, return
// refusal(431, ...). Do not read past the empty line: the bytes after it
// belong to the next reader.
//
// Hint: not br.ReadString('\n'), which reads until it finds an LF however
// far away. br.ReadSlice('\n') returns at most one buffer's worth: a longer
// line comes in pieces, with bufio.ErrBufferFull; charge each piece to what
// is left of limit before keeping it, and copy it before the next call (it
// points into br's buffer). EOF before anything is io.EOF; EOF after part of
// a line is io.ErrUnexpectedEOF. Test:
// TestReadRequestStopsAtTheSizeLimitWith431.
func readRequest(br *bufio.Reader, limit int) (*request, error) {
	return nil, errExercise
}

// parseRequestLine parses "GET /chat HTTP/1.1" into a request (header empty).
//
// Exercise (docs/02-http-upgrade.md, section "The request line"; RFC 7230
// section 3.1.1): exactly three parts separated by single
// spaces; the method is a token (isToken); the target has no control
// characters or spaces; the version is HTTP/d.d. Malformed: refusal(400, ...).
// A major version other than 1: refusal(505, ...).
//
// The target (RFC 7230 section 5.3) must be in origin-form, a path such as
// "/chat?x=1", or in absolute-form, "scheme://host..." (a scheme is a
// letter, then letters, digits, "+", "-" or "."; RFC 3986 section 3.1).
// Authority-form ("host:443", CONNECT's) and asterisk-form ("*", OPTIONS')
// get refusal(400, ...), and so does anything else ("chat").
func parseRequestLine(line string) (*request, error) {
	return nil, errExercise
}

// parseHeaderLine splits "Name: value" at the first colon.
//
// Exercise (docs/02-http-upgrade.md, section "Header lines"; RFC 7230
// sections 3.2 and 3.2.4): refuse with 400 a line that
// starts with a space or tab (folding), one without a colon or name, a space
// before the colon, a name that is not a token, a value with control
// characters (hasControl). Trim spaces and tabs around the value.
//
// Hint: check the first byte for folding before anything else. strings.Cut
// splits at the first separator only; splitting on ": " breaks on
// "Name:value" and on values that contain ": ".
func parseHeaderLine(line string) (name, value string, err error) {
	return "", "", errExercise
}

// checkUpgrade returns nil if req asks for a WebSocket upgrade, or the
// refusal to answer with.
//
// Exercise (RFC 6455 section 4.2.1 items 1 to 4; the table in
// docs/02-http-upgrade.md, section "What HTTP answers"): method GET else 405 with Allow: GET; HTTP/1.1 or
// later else 400; exactly one Host else 400; Upgrade contains the token
// websocket else 426 with Upgrade: websocket and Connection: Upgrade;
// Connection contains the token upgrade else 400; last, no body (RFC 7230
// section 3.3.3): any Transfer-Encoding, more than one Content-Length, or a
// Content-Length other than "0" else 400. Why a body is dangerous here:
// the same section.
//
// Hint: req.header.hasToken splits list-valued fields for you. Firefox sends
// "Connection: keep-alive, Upgrade". req.header.values and count see every
// line of a repeated field.
func checkUpgrade(req *request) error {
	return errExercise
}
