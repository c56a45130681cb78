package main

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
)

// The tests' own view of the wire, written out from RFC 6455 section 5.2
// independently of the code under test, so that a bug there cannot hide
// itself: one encoder of client frames, and unhex for frames written by
// hand. Every test of the chapter uses these. (This chapter's server sends
// no frames; chapter 05 adds a decoder of server frames.)

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
