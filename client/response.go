package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// response is the head of the server's answer to the opening handshake.
type response struct {
	statusLine string
	status     int
	header     map[string][]string // by lower-case name
}

func (r response) get(name string) string {
	return strings.Join(r.header[name], ", ")
}

var errResponseTooLong = fmt.Errorf("response head longer than %d bytes", maxResponseHead)

// readResponse reads the status line and headers from br, at most
// maxResponseHead bytes. What follows the blank line stays in br: the
// first frames may have come in the same TCP read as the 101.
func readResponse(br *bufio.Reader) (response, error) {
	left := maxResponseHead
	line, err := readLine(br, &left)
	if err != nil {
		return response{}, err
	}
	r := response{statusLine: line, header: map[string][]string{}}
	proto, rest, _ := strings.Cut(line, " ")
	code, _, _ := strings.Cut(rest, " ")
	if r.status, err = strconv.Atoi(code); err != nil || !strings.HasPrefix(proto, "HTTP/1.") || len(code) != 3 {
		return r, fmt.Errorf("not an HTTP/1.1 status line: %q", line)
	}
	for {
		line, err := readLine(br, &left)
		if err != nil || line == "" {
			return r, err
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return r, fmt.Errorf("malformed header line %q", line)
		}
		key := strings.ToLower(name)
		r.header[key] = append(r.header[key], strings.Trim(value, " \t"))
	}
}

// readLine reads one line ending in LF (CR LF in HTTP), without its end,
// taking its length from *left.
func readLine(br *bufio.Reader, left *int) (string, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if *left -= len(chunk); *left < 0 {
			return "", errResponseTooLong
		}
		line = append(line, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return "", noEOF(err)
		}
		return strings.TrimSuffix(strings.TrimSuffix(string(line), "\n"), "\r"), nil
	}
}

// checkResponse applies the client's checks of section 4.1 to a 101: the
// Upgrade and Connection headers, the accept value, no extension (none
// was offered) and a subprotocol only if it was offered.
func checkResponse(r response, key, protocols string) error {
	switch {
	case !hasToken(r.get("upgrade"), "websocket"):
		return fmt.Errorf("the 101 has Upgrade %q, not websocket", r.get("upgrade"))
	case !hasToken(r.get("connection"), "upgrade"):
		return fmt.Errorf("the 101 has Connection %q, not Upgrade", r.get("connection"))
	}
	if err := checkAccept(r.get("sec-websocket-accept"), key); err != nil {
		return err
	}
	if r.get("sec-websocket-extensions") != "" {
		return errors.New("the server chose an extension, but we offered none")
	}
	if p := r.get("sec-websocket-protocol"); p != "" && !hasToken(protocols, p) {
		return fmt.Errorf("the server chose subprotocol %q, which we did not offer", p)
	}
	return nil
}

// hasToken reports whether the comma-separated list holds token, ignoring
// case (header tokens are case-insensitive, section 4.1).
func hasToken(list, token string) bool {
	for item := range strings.SplitSeq(list, ",") {
		if strings.EqualFold(strings.TrimSpace(item), token) {
			return true
		}
	}
	return false
}

// readErrorBody reads what follows a refusal's head, for the user to see:
// Content-Length bytes, or up to the end of the stream, at most
// maxErrorBody either way.
func readErrorBody(br *bufio.Reader, r response) string {
	n := int64(maxErrorBody)
	if cl, err := strconv.ParseInt(r.get("content-length"), 10, 64); err == nil && cl < n {
		n = max(cl, 0)
	}
	body, _ := io.ReadAll(io.LimitReader(br, n))
	return string(body)
}
