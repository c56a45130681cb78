//go:build exercise

package main

import (
	"bufio"
	"errors"
)

// errExercise is what the stubs return until you write them.
var errExercise = errors.New("not written yet (exercise 04)")

// readFrameHeader reads one frame header from br and decodes it.
//
// Exercise (docs/04-read-frames.md, "Your turn" and "A header from a
// stream"; RFC 6455 section 5.2): byte 0 holds FIN (0x80), RSV1-3 (0x70,
// keep them in place in h.rsv) and the opcode (0x0f); byte 1 holds MASK
// (0x80) and a 7-bit length. 126 means a 16-bit big-endian length follows, 127 a 64-bit one.
// Then, if MASK is set, the 4-byte key. Set h.size to the header's size on
// the wire (2 to 14). Return io.EOF if the stream ends cleanly before the
// first byte, io.ErrUnexpectedEOF if it ends inside the header. Check no
// rules here: checkFrameHeader does.
//
// Hint: br.Peek(n) waits until n bytes are buffered, however TCP splits
// them, and br.Discard(n) then consumes them. encoding/binary.BigEndian
// reads the lengths. Tests: TestReadFrameHeader,
// TestReadFrameHeaderAtTheEndOfTheStream.
func readFrameHeader(br *bufio.Reader) (frameHeader, error) {
	return frameHeader{}, errExercise
}

// checkFrameHeader returns the rule of RFC 6455 section 5 that h breaks, or
// nil.
//
// Exercise (docs/04-read-frames.md, "The rules a header can break";
// sections 5.1, 5.2, 5.5): return errReservedBits when any RSV bit is
// set, errUnknownOpcode for 0x3-0x7 and 0xB-0xF, errUnmasked for an
// unmasked client frame, errLengthTopBit when the 64-bit length has its
// top bit set, errFragmentedControl for a control frame without FIN, and
// errControlTooLong for a control payload over 125 bytes.
//
// Hint: isControl(opcode) tells control frames from data frames.
// Test: TestCheckFrameHeader.
func checkFrameHeader(h frameHeader) error {
	return errExercise
}

// maskBytesLoop XORs b with the masking key, byte by byte. pos is the
// payload offset of b[0]; return the position after b (mod 4).
//
// Exercise (docs/04-read-frames.md, "Masking"; section 5.3): byte i of
// the payload is XOR-ed with key[i mod 4]. Masking twice gives back the
// original. Test: TestMaskBytesLoop.
func maskBytesLoop(key [4]byte, pos int, b []byte) int {
	return 0
}

// maskBytes does what maskBytesLoop does, but eight bytes at a time.
//
// Exercise (docs/04-read-frames.md, "Unmasking eight bytes at a time"):
// go byte by byte until (pos+i) is a multiple of 4, then XOR 8-byte words
// with the key repeated twice, then finish the last bytes one by one.
// Test: TestMaskBytes (go test -tags exercise -run 'TestMaskBytes$'
// ./04-read-frames); then measure it against the loop:
// go test -tags exercise -run 'TestMaskBytes' -bench 'MaskBytes' ./04-read-frames
//
// Hint: binary.LittleEndian.Uint32(key[:]) as a uint64 k, then k | k<<32,
// lines up with binary.LittleEndian.Uint64(b[i:]).
func maskBytes(key [4]byte, pos int, b []byte) int {
	return 0
}
