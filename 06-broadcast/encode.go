package main

import "encoding/binary"

// appendFrameHeader appends the header of a server frame to dst (RFC 6455
// section 5.2): FIN and the opcode, then the payload length in the shortest
// form that holds it (7 bits up to 125, 126 and 16 bits up to 65535, 127 and
// 64 bits beyond). A server never masks (section 5.1), so there is no MASK
// bit and no key; RSV bits stay 0 (no extension was negotiated).
func appendFrameHeader(dst []byte, fin bool, opcode byte, length int) []byte {
	first := opcode
	if fin {
		first |= 0x80
	}
	switch {
	case length <= 125:
		return append(dst, first, byte(length))
	case length <= 0xffff:
		return binary.BigEndian.AppendUint16(append(dst, first, 126), uint16(length))
	default:
		return binary.BigEndian.AppendUint64(append(dst, first, 127), uint64(length))
	}
}
