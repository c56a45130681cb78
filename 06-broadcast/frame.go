package main

import (
	"bufio"
	"encoding/binary"
	"io"
)

// readFrameHeader reads one frame header from br and decodes it (RFC 6455
// section 5.2): the FIN and RSV bits and the opcode from the first byte;
// the MASK bit and the payload length from the second, then the 16-bit or
// 64-bit extended length when the 7-bit field says 126 or 127; then the
// 4-byte masking key when MASK is set. It checks no rules; checkFrameHeader
// does.
//
// Peek waits until that many bytes are buffered, however TCP splits them,
// and hands them over without copying or allocating.
func readFrameHeader(br *bufio.Reader) (frameHeader, error) {
	var h frameHeader
	p, err := br.Peek(2)
	if err != nil {
		if len(p) == 0 && err == io.EOF {
			return h, io.EOF // a clean end, between frames
		}
		return h, noEOF(err)
	}
	h.fin = p[0]&0x80 != 0
	h.rsv = p[0] & 0x70
	h.opcode = p[0] & 0x0f
	h.masked = p[1]&0x80 != 0
	length7 := p[1] & 0x7f

	h.size = 2
	switch length7 {
	case 126:
		h.size += 2
	case 127:
		h.size += 8
	}
	if h.masked {
		h.size += 4
	}
	if p, err = br.Peek(h.size); err != nil {
		return h, noEOF(err)
	}
	switch length7 {
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

// checkFrameHeader returns the rule of RFC 6455 section 5 that h breaks, or
// nil. A server checks all of them: the peer is not trusted (section 10.7).
func checkFrameHeader(h frameHeader) error {
	switch {
	case h.rsv != 0:
		return errReservedBits // no extension negotiated (section 5.2)
	case h.opcode > opBinary && h.opcode < opClose, h.opcode > opPong:
		return errUnknownOpcode
	case !h.masked:
		return errUnmasked // every client frame is masked (section 5.1)
	case h.length > 1<<63-1:
		return errLengthTopBit
	case isControl(h.opcode) && !h.fin:
		return errFragmentedControl
	case isControl(h.opcode) && h.length > maxControlPayloadLen:
		return errControlTooLong
	}
	return nil
}

// maskBytesLoop XORs b with the masking key, byte by byte, as section 5.3
// writes it: byte i of the payload with key[i mod 4]. pos is the payload
// offset of b[0] (for a payload handled in pieces); the return value is the
// position after b, to pass to the next call. Masking and unmasking are
// the same operation.
func maskBytesLoop(key [4]byte, pos int, b []byte) int {
	for i := range b {
		b[i] ^= key[(pos+i)&3]
	}
	return (pos + len(b)) & 3
}

// maskBytes does what maskBytesLoop does, eight bytes at a time: the key
// repeated twice is one 64-bit word, and XOR-ing whole words does eight
// bytes' work in one instruction. It first goes byte by byte until the key
// lines up with b (pos a multiple of 4), then by words, then finishes the
// tail byte by byte. See the benchmarks in frame_test.go.
func maskBytes(key [4]byte, pos int, b []byte) int {
	i := 0
	for ; i < len(b) && (pos+i)&3 != 0; i++ {
		b[i] ^= key[(pos+i)&3]
	}
	if rest := len(b) - i; rest >= 8 {
		k := uint64(binary.LittleEndian.Uint32(key[:]))
		k |= k << 32
		for ; len(b)-i >= 32; i += 32 {
			w := b[i : i+32 : i+32]
			binary.LittleEndian.PutUint64(w[0:], binary.LittleEndian.Uint64(w[0:])^k)
			binary.LittleEndian.PutUint64(w[8:], binary.LittleEndian.Uint64(w[8:])^k)
			binary.LittleEndian.PutUint64(w[16:], binary.LittleEndian.Uint64(w[16:])^k)
			binary.LittleEndian.PutUint64(w[24:], binary.LittleEndian.Uint64(w[24:])^k)
		}
		for ; len(b)-i >= 8; i += 8 {
			binary.LittleEndian.PutUint64(b[i:], binary.LittleEndian.Uint64(b[i:])^k)
		}
	}
	for ; i < len(b); i++ {
		b[i] ^= key[(pos+i)&3]
	}
	return (pos + len(b)) & 3
}
