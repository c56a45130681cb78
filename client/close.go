package main

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

// validCloseCode reports whether code may appear in a close frame (RFC
// 6455 section 7.4, and the IANA registry for 1012-1014).
func validCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003:
		return true // normal, going away, protocol error, unsupported data
	case code >= 1007 && code <= 1014:
		return true // 1004 is reserved; 1005 and 1006 are never sent
	case code >= 3000 && code <= 4999:
		return true // registered for libraries, and private use
	}
	return false
}

// parseClosePayload reads the body of a close frame (section 5.5.1): empty,
// or a 2-byte big-endian code followed by a UTF-8 reason. An empty body is
// reported as closeNoStatus (1005), the code that stands for "none".
func parseClosePayload(payload []byte) (code int, reason string, err error) {
	switch {
	case len(payload) == 0:
		return closeNoStatus, "", nil
	case len(payload) == 1:
		return 0, "", errBadClosePayload
	}
	code = int(binary.BigEndian.Uint16(payload))
	if !validCloseCode(code) {
		return 0, "", errBadCloseCode
	}
	if !utf8.Valid(payload[2:]) {
		return 0, "", errInvalidCloseReason
	}
	return code, string(payload[2:]), nil
}

// closePayload is the body of our close frame: the code, then the reason
// cut to fit a control frame at a character boundary (section 5.5).
func closePayload(code int, reason string) []byte {
	if code == closeNoStatus {
		return nil // 1005 itself may never be on the wire (section 7.4.1)
	}
	body := binary.BigEndian.AppendUint16(make([]byte, 0, maxControlPayloadLen), uint16(code))
	return append(body, truncateUTF8(reason, maxCloseReasonLen)...)
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// closeError is how readMessage reports the server's close frame, once
// the closing handshake is complete.
type closeError struct {
	code   int // 1005 ("no status") when the frame had no body
	reason string
}

func (e *closeError) Error() string {
	return "close " + describeClose(e.code, e.reason)
}

// describeClose writes a close code and reason as the output shows them:
// 1000 "bye".
func describeClose(code int, reason string) string {
	if reason == "" {
		return fmt.Sprint(code)
	}
	return fmt.Sprintf("%d %q", code, reason)
}
