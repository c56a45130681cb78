package main

// readMessage reads frames until one whole data message has arrived and
// returns its opcode (opText or opBinary) and payload. The payload is valid
// until the next call: the buffer is reused.
//
// A message is one frame with FIN set, or a first frame with FIN clear,
// continuation frames, and a last continuation with FIN set (section 5.4).
// Control frames may come between the fragments; each goes to c.onControl.
// Along the way it enforces what a server must: the size limit from the
// announced length before reading, one message at a time, and UTF-8 for
// text, also when a character is split across fragments (section 5.6).
func (c *conn) readMessage() (opcode byte, payload []byte, err error) {
	c.msg = c.msg[:0]
	checked := 0 // how much of c.msg is known to be valid UTF-8
	for {
		h, err := c.nextHeader()
		if err != nil {
			if opcode != 0 {
				err = noEOF(err) // the peer left in the middle of a message
			}
			return 0, nil, err
		}
		if isControl(h.opcode) {
			payload, err := c.readPayload(h, c.control[:0])
			if err != nil {
				return 0, nil, err
			}
			if err := c.onControl(h, payload); err != nil {
				return 0, nil, err
			}
			continue
		}

		switch {
		case h.opcode == opContinuation && opcode == 0:
			return 0, nil, errUnexpectedContinuation
		case h.opcode != opContinuation && opcode != 0:
			return 0, nil, errExpectedContinuation
		case h.opcode != opContinuation:
			opcode = h.opcode // the first frame says what the message is
		}
		if h.length > uint64(c.maxMessageSize-int64(len(c.msg))) {
			return 0, nil, errMessageTooBig
		}
		if c.msg, err = c.readPayload(h, c.msg); err != nil {
			return 0, nil, err
		}

		if opcode == opText {
			pending, ok := checkUTF8(c.msg[checked:])
			if !ok || (h.fin && pending > 0) {
				return 0, nil, errInvalidUTF8
			}
			checked = len(c.msg) - pending
		}
		if h.fin {
			return opcode, c.msg, nil
		}
	}
}
