//go:build exercise

package main

// validCloseCode reports whether code may appear in a received close frame.
//
// Exercise (docs/05-write-frames.md, section "Your turn", and the table in
// "The body of a close frame"; RFC 6455 section 7.4): 1000-1003 and
// 1007-1014 are valid; 1004 is reserved; 1005, 1006 and 1015 are never
// sent; 3000-4999 are valid; everything else is not.
func validCloseCode(code int) bool {
	return false
}

// parseClosePayload reads the body of a close frame.
//
// Exercise (docs/05-write-frames.md, section "Your turn"; RFC 6455 section
// 5.5.1): an empty body means closeNoStatus (1005) and no reason. A 1-byte
// body is errBadClosePayload. Otherwise the first two bytes are a
// big-endian code (errBadCloseCode unless validCloseCode) and the rest is
// the reason, which must be valid UTF-8 (errInvalidCloseReason).
func parseClosePayload(payload []byte) (code int, reason string, err error) {
	return 0, "", errBadClosePayload
}

// handleControl answers the control frames readMessage meets.
//
// Exercise (docs/05-write-frames.md, section "Your turn"; RFC 6455 sections
// 5.5.1 to 5.5.3 and 7): a ping gets a pong with the same payload
// (c.writeMessage(opPong, payload)); errCloseSent from that write is not an
// error (our close is out; the ping goes unanswered). A pong is ignored. A
// close frame: parseClosePayload, returning its error if any; then
// c.writeClose with the same code (closeNormal if it was closeNoStatus) and
// an empty reason, where errCloseSent means ours went out first and this
// close is the reply; then return &closeError{code, reason}. Until this is
// written, TestReadMessage's close rows fail too: its conn answers control
// frames through handleControl.
func (c *conn) handleControl(h frameHeader, payload []byte) error {
	return nil
}
