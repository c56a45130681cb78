//go:build exercise

package main

// readMessage reads frames until one whole data message has arrived and
// returns its opcode and payload.
//
// Exercise (docs/04-read-frames.md, "Your turn"; the states are drawn in
// "From frames to a message"; sections 5.4, 5.6, 10.4): reset c.msg, then
// loop: get a header with c.nextHeader(); a control frame's payload goes
// through c.readPayload(h, c.control[:0]) to c.onControl, and the loop
// goes on. A continuation with no message started is
// errUnexpectedContinuation; a text or binary frame while one is started
// is errExpectedContinuation. Before
// reading a data payload, refuse with errMessageTooBig if h.length would
// take c.msg past c.maxMessageSize. Append with c.readPayload(h, c.msg).
// For text, check the new bytes with checkUTF8, keeping an incomplete last
// character for the next fragment; at FIN nothing may be pending
// (errInvalidUTF8). Return at FIN.
//
// Hint: compare h.length as a uint64 before converting anything to int.
// An error from c.nextHeader while a message is open goes through noEOF.
// Tests: go test -tags exercise -run 'TestReadMessage' ./04-read-frames.
// It uses the four functions of frame_exercise.go (through nextHeader
// and readPayload): write those first.
func (c *conn) readMessage() (opcode byte, payload []byte, err error) {
	return 0, nil, errExercise
}
