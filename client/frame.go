package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
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

// isControl reports whether opcode is a control frame's: the most
// significant opcode bit is set (section 5.5).
func isControl(opcode byte) bool { return opcode&0x8 != 0 }

// Close codes (RFC 6455 section 7.4.1).
const (
	closeNormal          = 1000
	closeProtocolError   = 1002
	closeNoStatus        = 1005 // never sent: stands for a close frame without a code
	closeAbnormal        = 1006 // never sent: the connection ended without a close frame
	closeInvalidPayload  = 1007
	closeMessageTooBig   = 1009
	maxControlPayloadLen = 125 // section 5.5
	maxCloseReasonLen    = maxControlPayloadLen - 2
)

// frameHeader is a decoded frame header (section 5.2; the picture is in
// 05-write-frames/protocol.go).
type frameHeader struct {
	fin    bool    // last frame of its message
	rsv    byte    // the three reserved bits, in place: 0x40, 0x20, 0x10
	opcode byte    // opText, opPing, ...
	masked bool    // MASK bit: never set on a server frame
	length uint64  // payload length, from whichever of the three forms was used
	key    [4]byte // masking key, when masked
	size   int     // bytes the header took on the wire: 2 to 14
}

// protocolError is a rule the server broke, or a limit of this client:
// code is the close code the client sends for it.
type protocolError struct {
	code   int
	reason string
}

func (e *protocolError) Error() string {
	return fmt.Sprintf("%s (close code %d)", e.reason, e.code)
}

// One error value per rule, so that tests and output can say which one broke.
var (
	errMasked                 = &protocolError{closeProtocolError, "server frame is masked (RFC 6455 section 5.1)"}
	errReservedBits           = &protocolError{closeProtocolError, "reserved bits set, but no extension was negotiated (section 5.2)"}
	errUnknownOpcode          = &protocolError{closeProtocolError, "unknown opcode (section 5.2)"}
	errLengthTopBit           = &protocolError{closeProtocolError, "64-bit payload length has its most significant bit set (section 5.2)"}
	errFragmentedControl      = &protocolError{closeProtocolError, "control frame is fragmented (section 5.5)"}
	errControlTooLong         = &protocolError{closeProtocolError, "control frame payload longer than 125 bytes (section 5.5)"}
	errUnexpectedContinuation = &protocolError{closeProtocolError, "continuation frame with no message to continue (section 5.4)"}
	errExpectedContinuation   = &protocolError{closeProtocolError, "new data frame in the middle of a fragmented message (section 5.4)"}
	errInvalidUTF8            = &protocolError{closeInvalidPayload, "text message is not valid UTF-8 (sections 5.6 and 8.1)"}
	errMessageTooBig          = &protocolError{closeMessageTooBig, "message larger than -max-message (section 10.4)"}
	errBadClosePayload        = &protocolError{closeProtocolError, "close frame with a 1-byte body (section 5.5.1)"}
	errBadCloseCode           = &protocolError{closeProtocolError, "close code that may not be sent (section 7.4)"}
	errInvalidCloseReason     = &protocolError{closeInvalidPayload, "close reason is not valid UTF-8 (section 5.5.1)"}
)

// errCloseSent is what a write returns once our close frame is out: after
// it, no more frames (section 5.5.1).
var errCloseSent = errors.New("close frame already sent")

// readFrameHeader reads one frame header from br and decodes it (section
// 5.2). It checks no rules; checkFrameHeader does. Peek waits until that
// many bytes are buffered, however TCP splits them.
func readFrameHeader(br *bufio.Reader) (frameHeader, error) {
	var h frameHeader
	p, err := br.Peek(2)
	if err != nil {
		if len(p) == 0 && err == io.EOF {
			return h, io.EOF // a clean end, between frames
		}
		return h, noEOF(err)
	}
	h.fin, h.rsv, h.opcode = p[0]&0x80 != 0, p[0]&0x70, p[0]&0x0f
	h.masked = p[1]&0x80 != 0
	h.size = headerLen(p[1])
	if p, err = br.Peek(h.size); err != nil {
		return h, noEOF(err)
	}
	switch length7 := p[1] & 0x7f; length7 {
	case 126:
		h.length = uint64(binary.BigEndian.Uint16(p[2:]))
	case 127:
		h.length = binary.BigEndian.Uint64(p[2:])
	default:
		h.length = uint64(length7)
	}
	if h.masked {
		copy(h.key[:], p[h.size-4:h.size])
	}
	br.Discard(h.size)
	return h, nil
}

// checkFrameHeader returns the rule of section 5 that a server frame h
// breaks, or nil. The server is not trusted any more than a client is.
func checkFrameHeader(h frameHeader) error {
	switch {
	case h.rsv != 0:
		return errReservedBits // no extension negotiated (section 5.2)
	case h.opcode > opBinary && h.opcode < opClose, h.opcode > opPong:
		return errUnknownOpcode
	case h.masked:
		return errMasked // a server never masks (section 5.1)
	case h.length > 1<<63-1:
		return errLengthTopBit
	case isControl(h.opcode) && !h.fin:
		return errFragmentedControl
	case isControl(h.opcode) && h.length > maxControlPayloadLen:
		return errControlTooLong
	}
	return nil
}

// readFrame reads one server frame: its header (kept by t for -trace when
// t is not nil), the rules, then the payload. A data frame longer than
// limit, the room left in the message, is refused from its announced
// length, before anything is allocated (section 10.4).
func readFrame(br *bufio.Reader, t *tracer, limit int64) (frameHeader, []byte, error) {
	h, err := t.readHeader(br)
	if err != nil {
		return h, nil, err
	}
	if err := checkFrameHeader(h); err != nil {
		return h, nil, err
	}
	if !isControl(h.opcode) && h.length > uint64(max(limit, 0)) {
		return h, nil, errMessageTooBig
	}
	payload := make([]byte, h.length)
	if _, err := io.ReadFull(br, payload); err != nil {
		return h, nil, noEOF(err)
	}
	return h, payload, nil
}

// noEOF turns io.EOF into io.ErrUnexpectedEOF: inside a frame, the end of
// the stream is an error.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
