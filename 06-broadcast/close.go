package main

import (
	"encoding/binary"
	"errors"
	"io"
	"time"
	"unicode/utf8"
)

// closeTimeout bounds the closing handshake: how long a close frame may take
// to write, and how long to wait for the peer's answer to ours.
const closeTimeout = 2 * time.Second

// writeClose starts or answers the closing handshake: it sends a close
// frame with code and reason, once. code closeNoStatus sends an empty body
// (1005 itself may never be on the wire, section 7.4.1). The reason is cut
// to fit a control frame, at a character boundary. From then on the peer
// has closeTimeout to answer: reads stop waiting at that point.
func (c *conn) writeClose(code int, reason string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return errCloseSent
	}
	c.closeSent = true
	by := time.Now().Add(closeTimeout)
	c.closingBy.Store(by.UnixNano())
	c.netConn.SetReadDeadline(by)
	var body []byte
	if code != closeNoStatus {
		body = binary.BigEndian.AppendUint16(make([]byte, 0, maxControlPayloadLen), uint16(code))
		body = append(body, truncateUTF8(reason, maxCloseReasonLen)...)
	}
	c.writeDue, c.writeArmed = by, by
	c.netConn.SetWriteDeadline(by)
	return c.writeFrame(opClose, body)
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

// fail is how the server ends a connection whose peer broke a rule (or hit
// a limit): send a close frame with the rule's code (section 7.1.7), give
// the peer a bounded time to answer, then close TCP. If the broken rule
// left the stream in the middle of a frame, nothing more it sends can be
// parsed: the server shuts its side and discards what arrives
// (lingerClose), processing none of it (section 7.1.7). Otherwise it reads
// on for the peer's close frame; if what comes instead breaks a rule too,
// or never ends, it lingers the same way, so that the peer still gets our
// close frame rather than a reset. It reports whether the peer answered.
func (c *conn) fail(perr *protocolError) (answered bool) {
	if c.writeClose(perr.code, perr.reason) == nil {
		answered = !c.midFrame && c.awaitClose()
		if !answered {
			lingerClose(c.netConn)
		}
	}
	c.netConn.Close()
	return answered
}

// awaitClose reads and drops whatever the peer still sends until its close
// frame, an error, or the end of closeTimeout (section 7.1.2), and reports
// whether the peer closed cleanly. Used after our own close frame went out
// first, which set that deadline.
func (c *conn) awaitClose() bool {
	for {
		_, _, err := c.readMessage()
		if err != nil {
			var closed *closeError
			return errors.As(err, &closed) || errors.Is(err, io.EOF)
		}
	}
}
