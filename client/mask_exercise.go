//go:build exercise

package main

// newMaskKey returns a fresh masking key for one frame.
//
// Exercise (docs/client.md, "Your turn"; RFC 6455 sections 5.3 and 10.3):
// return 4 bytes that nobody can predict, new for every call: writeFrame
// calls it for every frame it sends.
//
// Hint: crypto/rand, not math/rand. A fixed key, even the RFC's example
// 37 fa 21 3d, lets a script pre-mask its bytes. Tests: TestNewMaskKey...
func newMaskKey() [4]byte {
	return [4]byte{}
}

// appendClientFrame appends a whole client frame to dst and returns it.
//
// Exercise (docs/client.md, "Your turn"; RFC 6455 sections 5.1 to 5.3):
// first byte 0x80 (FIN: this client never fragments) OR the opcode; then
// MASK (0x80) OR the length in the shortest form: up to 125 in the second
// byte itself, up to 65535 as 126 and a 16-bit big-endian length, beyond
// as 127 and a 64-bit one; then the 4 key bytes; then the payload masked
// with that key. Every client frame is masked, control frames too. Leave
// payload as it was: the caller may use it again.
//
// Hint: the same length forms as chapter 05's appendFrameHeader, with the
// MASK bit set. Append the payload to dst first, then mask the appended
// part, dst[start:]. Tests: TestAppendClientFrame...
func appendClientFrame(dst []byte, opcode byte, key [4]byte, payload []byte) []byte {
	return dst
}

// mask XORs b, in place, with the masking key.
//
// Exercise (docs/client.md, "Your turn"; RFC 6455 section 5.3): byte i of
// the payload is XOR-ed with key[i mod 4]. Masking twice gives back the
// original, so the same function unmasks.
//
// Hint: the index into the key starts at 0 for b[0] and wraps after 3.
// RFC 6455 section 5.7: "Hello" masked with 37 fa 21 3d is
// 7f 9f 4d 51 58. Tests: TestMask...
func mask(key [4]byte, b []byte) {
}
