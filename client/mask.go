//go:build !exercise

package main

import (
	"crypto/rand"
	"encoding/binary"
)

// newMaskKey returns a fresh masking key for one frame, from crypto/rand
// (section 5.3): a key a script could predict would let it choose the
// bytes on the wire, which masking exists to prevent (section 10.3).
func newMaskKey() [4]byte {
	var key [4]byte
	rand.Read(key[:]) // never fails (crypto/rand)
	return key
}

// appendClientFrame appends a whole client frame to dst: FIN and opcode,
// MASK set and the length in the shortest form (section 5.2), the masking
// key, then the payload masked with it (section 5.3), control frames'
// payloads too (section 5.1: every frame). payload is left as it was.
func appendClientFrame(dst []byte, opcode byte, key [4]byte, payload []byte) []byte {
	first := 0x80 | opcode // FIN: this client never fragments what it sends
	switch n := len(payload); {
	case n <= 125:
		dst = append(dst, first, 0x80|byte(n))
	case n <= 0xffff:
		dst = binary.BigEndian.AppendUint16(append(dst, first, 0x80|126), uint16(n))
	default:
		dst = binary.BigEndian.AppendUint64(append(dst, first, 0x80|127), uint64(n))
	}
	dst = append(dst, key[:]...)
	start := len(dst)
	dst = append(dst, payload...)
	mask(key, dst[start:])
	return dst
}

// mask XORs b with the masking key, byte i with key[i mod 4] (section 5.3).
// Masking and unmasking are the same operation.
func mask(key [4]byte, b []byte) {
	for i := range b {
		b[i] ^= key[i&3]
	}
}
