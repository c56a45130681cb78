package main

import (
	"encoding/binary"
	"errors"
	"unicode/utf8"
)

// validCloseCode reports whether code may appear in a close frame received
// from the peer (RFC 6455 section 7.4, and the IANA registry for 1012-1014).
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

// handleControl answers the control frames readMessage meets.
//
// A ping gets a pong with the same payload (section 5.5.2). Once our close
// frame is out, pings go unanswered: nothing more is sent after a close
// frame here, and the peer, which must answer our close, is not waiting
// for a pong. A pong is ignored: it may be unsolicited (section 5.5.3). A
// close frame is checked, then answered with a close frame carrying its
// code (1000 if it had none), unless ours already went out and this is the
// reply to it. Either way the closing handshake is complete and readMessage
// ends with *closeError.
func (c *conn) handleControl(h frameHeader, payload []byte) error {
	switch h.opcode {
	case opPing:
		if err := c.writeMessage(opPong, payload); err != nil && !errors.Is(err, errCloseSent) {
			return err
		}
		return nil
	case opPong:
		return nil
	}
	code, reason, err := parseClosePayload(payload)
	if err != nil {
		return err
	}
	reply := code
	if code == closeNoStatus {
		reply = closeNormal
	}
	if err := c.writeClose(reply, ""); err != nil && !errors.Is(err, errCloseSent) {
		return err
	}
	return &closeError{code: code, reason: reason}
}
