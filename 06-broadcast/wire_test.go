package main

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// The tests' own view of the wire, written out from RFC 6455 section 5.2
// independently of the code under test, so that a bug there cannot hide
// itself: one encoder of client frames, one decoder of server frames, and
// unhex for frames written by hand. Every test of the chapter uses these.

// unhex turns "81 85 37fa" into bytes. The strings are written in the
// tests, so a bad one is a bug in the test: it panics.
func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(fmt.Sprintf("unhex(%q): %v", s, err))
	}
	return b
}

// rfcKey is the masking key of the examples in RFC 6455 section 5.7. A
// real client picks a fresh random key per frame (section 5.3); the server
// must not care, and a fixed key keeps the tests' bytes readable.
var rfcKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// clientHeader is the header of a client frame: the first byte as given
// (FIN, RSV, opcode), MASK and length in the shortest form, then the key.
func clientHeader(first byte, length uint64) []byte {
	h := []byte{first}
	switch {
	case length <= 125:
		h = append(h, 0x80|byte(length))
	case length <= 0xffff:
		h = binary.BigEndian.AppendUint16(append(h, 0x80|126), uint16(length))
	default:
		h = binary.BigEndian.AppendUint64(append(h, 0x80|127), length)
	}
	return append(h, rfcKey[:]...)
}

// clientFrame is a whole client frame: its header, then the payload
// XOR-ed with the key (section 5.3).
func clientFrame(first byte, payload []byte) []byte {
	f := clientHeader(first, uint64(len(payload)))
	for i, c := range payload {
		f = append(f, c^rfcKey[i%4])
	}
	return f
}

// serverHeader is a decoded server frame header.
type serverHeader struct {
	fin    bool
	opcode byte
	length uint64
}

// readServerHeader decodes the header of a server frame: two bytes, then a
// 16- or 64-bit length when the 7-bit one says 126 or 127. A server never
// masks (section 5.1) and sets no RSV bit without an extension: either is
// an error here.
func readServerHeader(r io.Reader) (serverHeader, error) {
	var b [8]byte
	if _, err := io.ReadFull(r, b[:2]); err != nil {
		return serverHeader{}, fmt.Errorf("reading a frame header: %w", err)
	}
	if b[0]&0x70 != 0 || b[1]&0x80 != 0 {
		return serverHeader{}, fmt.Errorf("server frame header % x has RSV or MASK bits set (if no header was written, these are payload bytes: see appendFrameHeader)", b[:2])
	}
	h := serverHeader{fin: b[0]&0x80 != 0, opcode: b[0] & 0x0f, length: uint64(b[1] & 0x7f)}
	switch h.length {
	case 126:
		if _, err := io.ReadFull(r, b[:2]); err != nil {
			return h, fmt.Errorf("reading a 16-bit length: %w", err)
		}
		h.length = uint64(binary.BigEndian.Uint16(b[:2]))
	case 127:
		if _, err := io.ReadFull(r, b[:8]); err != nil {
			return h, fmt.Errorf("reading a 64-bit length: %w", err)
		}
		h.length = binary.BigEndian.Uint64(b[:8])
	}
	return h, nil
}

// readServerFrame decodes one whole server frame, which must have FIN set:
// the servers of these chapters send every message as one frame.
func readServerFrame(r io.Reader, maxPayload int) (message, error) {
	h, err := readServerHeader(r)
	if err != nil {
		return message{}, err
	}
	if !h.fin {
		return message{}, fmt.Errorf("server frame with opcode %#x has FIN clear", h.opcode)
	}
	if h.length > uint64(maxPayload) {
		return message{}, fmt.Errorf("server frame announces %d bytes, more than the %d expected", h.length, maxPayload)
	}
	payload := make([]byte, h.length)
	if _, err := io.ReadFull(r, payload); err != nil {
		return message{}, fmt.Errorf("reading a %d-byte payload: %w", h.length, err)
	}
	return message{h.opcode, string(payload)}, nil
}

// readServerFrames decodes a byte stream of whole server frames.
func readServerFrames(b []byte) ([]message, error) {
	var frames []message
	r := bytes.NewReader(b)
	for r.Len() > 0 {
		f, err := readServerFrame(r, r.Len())
		if err != nil {
			return frames, fmt.Errorf("frame %d: %w", len(frames)+1, err)
		}
		frames = append(frames, f)
	}
	return frames, nil
}
