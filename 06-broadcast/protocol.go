package main

import (
	"errors"
	"fmt"
)

// Opcodes (RFC 6455 section 5.2). 0x3-0x7 and 0xB-0xF are reserved.
const (
	opContinuation byte = 0x0
	opText         byte = 0x1
	opBinary       byte = 0x2
	opClose        byte = 0x8
	opPing         byte = 0x9
	opPong         byte = 0xA
)

// isControl reports whether opcode is a control frame's (close, ping, pong
// and the reserved 0xB-0xF): the most significant opcode bit is set
// (section 5.5).
func isControl(opcode byte) bool { return opcode&0x8 != 0 }

// Close codes (RFC 6455 section 7.4.1).
const (
	closeNormal          = 1000
	closeGoingAway       = 1001
	closeProtocolError   = 1002
	closeUnsupportedData = 1003 // a type of data the endpoint cannot accept: binary, for the chat
	closeNoStatus        = 1005 // never sent: stands for a close frame without a code
	closeInvalidPayload  = 1007
	closePolicyViolation = 1008
	closeMessageTooBig   = 1009
	closeTryAgainLater   = 1013 // registered with IANA after RFC 6455: the server is overloaded
	maxControlPayloadLen = 125  // section 5.5
	maxCloseReasonLen    = maxControlPayloadLen - 2
)

// frameHeader is a decoded frame header (section 5.2).
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-------+-+-------------+-------------------------------+
//	|F|R|R|R| opcode|M| Payload len |    Extended payload length    |
//	|I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
//	|N|V|V|V|       |S|             |   (if payload len==126/127)   |
//	| |1|2|3|       |K|             |                               |
//	+-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
//	|     Extended payload length continued, if payload len == 127  |
//	+ - - - - - - - - - - - - - - - +-------------------------------+
//	|                               |Masking-key, if MASK set to 1  |
//	+-------------------------------+-------------------------------+
//	| Masking-key (continued)       |          Payload Data         |
//	+-------------------------------- - - - - - - - - - - - - - - - +
type frameHeader struct {
	fin    bool    // last frame of its message
	rsv    byte    // the three reserved bits, in place: 0x40, 0x20, 0x10
	opcode byte    // opText, opPing, ...
	masked bool    // MASK bit: set on every client frame
	length uint64  // payload length, from whichever of the three forms was used
	key    [4]byte // masking key, when masked
	size   int     // bytes the header took on the wire: 2 to 14
}

// protocolError is a reason to fail the connection: a rule the peer broke,
// or a limit of this server. code is the close code it maps to (the table
// in docs/05-write-frames.md), reason says which rule or limit.
type protocolError struct {
	code   int
	reason string
}

func (e *protocolError) Error() string {
	return fmt.Sprintf("%s (close code %d)", e.reason, e.code)
}

// One error value per rule, so that tests and logs can say which one broke.
var (
	errUnmasked               = &protocolError{closeProtocolError, "client frame is not masked (RFC 6455 section 5.1)"}
	errReservedBits           = &protocolError{closeProtocolError, "reserved bits set, but no extension was negotiated (section 5.2)"}
	errUnknownOpcode          = &protocolError{closeProtocolError, "unknown opcode (section 5.2)"}
	errLengthTopBit           = &protocolError{closeProtocolError, "64-bit payload length has its most significant bit set (section 5.2)"}
	errFragmentedControl      = &protocolError{closeProtocolError, "control frame is fragmented (section 5.5)"}
	errControlTooLong         = &protocolError{closeProtocolError, "control frame payload longer than 125 bytes (section 5.5)"}
	errUnexpectedContinuation = &protocolError{closeProtocolError, "continuation frame with no message to continue (section 5.4)"}
	errExpectedContinuation   = &protocolError{closeProtocolError, "new data frame in the middle of a fragmented message (section 5.4)"}
	errInvalidUTF8            = &protocolError{closeInvalidPayload, "text message is not valid UTF-8 (sections 5.6 and 8.1)"}
	errMessageTooBig          = &protocolError{closeMessageTooBig, "message larger than the server accepts (section 10.4)"}
	errBadClosePayload        = &protocolError{closeProtocolError, "close frame with a 1-byte body (section 5.5.1)"}
	errBadCloseCode           = &protocolError{closeProtocolError, "close code that may not be sent (section 7.4)"}
	errInvalidCloseReason     = &protocolError{closeInvalidPayload, "close reason is not valid UTF-8 (section 5.5.1)"}

	// Not rules of RFC 6455 but limits of this server, closed the same way.
	errServerBusy     = &protocolError{closeTryAgainLater, "the server's memory for messages is in use; try again later"}
	errMessageTimeout = &protocolError{closePolicyViolation, "message not complete within the time the server allows"}

	// Rules of the chat room, not of RFC 6455.
	errBinaryMessage = &protocolError{closeUnsupportedData, "the chat takes text messages, not binary (section 7.4.1, 1003)"}
	errTooSlow       = &protocolError{closePolicyViolation, "too slow: fell a whole log of messages behind the room"}
)

// errNoPong is how readMessage reports a peer that stayed silent after a
// keepalive ping: it is gone, or too slow to keep.
var errNoPong = errors.New("no answer to a keepalive ping")

// errCloseSent is what a write returns once our close frame is out: after
// it, no more data frames (section 5.5.1).
var errCloseSent = errors.New("close frame already sent")

// closeError is how readMessage reports a close frame from the peer, once
// handleControl has answered it: the closing handshake is done.
type closeError struct {
	code   int // 1005 ("no status") when the frame had no body
	reason string
}

func (e *closeError) Error() string {
	if e.reason == "" {
		return fmt.Sprintf("peer sent close %d", e.code)
	}
	return fmt.Sprintf("peer sent close %d %q", e.code, e.reason)
}
