package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadFrameHeader(t *testing.T) {
	tests := []struct {
		name string
		wire string
		want frameHeader
	}{
		{"RFC 5.7: a single-frame unmasked text", "81 05", frameHeader{fin: true, opcode: opText, length: 5, size: 2}},
		{"RFC 5.7: a single-frame masked text", "81 85 37 fa 21 3d", frameHeader{fin: true, opcode: opText, masked: true, length: 5, key: rfcKey, size: 6}},
		{"RFC 5.7: the first fragment of a text", "01 03", frameHeader{opcode: opText, length: 3, size: 2}},
		{"RFC 5.7: the last fragment, a continuation", "80 02", frameHeader{fin: true, opcode: opContinuation, length: 2, size: 2}},
		{"RFC 5.7: an unmasked ping", "89 05", frameHeader{fin: true, opcode: opPing, length: 5, size: 2}},
		{"RFC 5.7: a masked pong", "8a 85 37 fa 21 3d", frameHeader{fin: true, opcode: opPong, masked: true, length: 5, key: rfcKey, size: 6}},
		{"RFC 5.7: 256 bytes take the 16-bit length", "82 7e 01 00", frameHeader{fin: true, opcode: opBinary, length: 256, size: 4}},
		{"RFC 5.7: 64 KiB take the 64-bit length", "82 7f 00 00 00 00 00 01 00 00", frameHeader{fin: true, opcode: opBinary, length: 65536, size: 10}},
		{"125 is the largest 7-bit length", "82 7d", frameHeader{fin: true, opcode: opBinary, length: 125, size: 2}},
		{"126 is the smallest 16-bit length", "82 7e 00 7e", frameHeader{fin: true, opcode: opBinary, length: 126, size: 4}},
		{"65535 is the largest 16-bit length", "82 7e ff ff", frameHeader{fin: true, opcode: opBinary, length: 65535, size: 4}},
		{"a masked 64-bit length is the longest header, 14 bytes", "82 ff 00 00 00 00 00 01 00 00 01 02 03 04", frameHeader{fin: true, opcode: opBinary, masked: true, length: 65536, key: [4]byte{1, 2, 3, 4}, size: 14}},
		{"a non-minimal length decodes (the RFC does not forbid it on receipt)", "81 fe 00 05 37 fa 21 3d", frameHeader{fin: true, opcode: opText, masked: true, length: 5, key: rfcKey, size: 8}},
		{"RSV bits are kept in place", "f1 80 00 00 00 00", frameHeader{fin: true, rsv: 0x70, opcode: opText, masked: true, size: 6}},
		{"a reserved opcode decodes (checkFrameHeader refuses it)", "83 80 00 00 00 00", frameHeader{fin: true, opcode: 0x3, masked: true, size: 6}},
		{"the top bit of a 64-bit length decodes (checkFrameHeader refuses it)", "82 ff 80 00 00 00 00 00 00 00 00 00 00 00", frameHeader{fin: true, opcode: opBinary, masked: true, length: 1 << 63, size: 14}},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			wire := unhex(tt.wire)
			after := []byte("payload")
			br := bufio.NewReader(bytes.NewReader(append(wire, after...)))
			h, err := readFrameHeader(br)
			require.NoError(t, err)
			assert.Equal(t, tt.want, h)
			rest, _ := io.ReadAll(br)
			assert.Equal(t, after, rest, "exactly the header is consumed")

			// However TCP splits it: one byte per read...
			h, err = readFrameHeader(bufio.NewReader(iotest.OneByteReader(bytes.NewReader(wire))))
			require.NoError(t, err)
			assert.Equal(t, tt.want, h, "one byte per read")
			// ...or two reads, split at every position.
			for i := 1; i < len(wire); i++ {
				r := io.MultiReader(bytes.NewReader(wire[:i]), bytes.NewReader(wire[i:]))
				h, err := readFrameHeader(bufio.NewReader(r))
				require.NoError(t, err)
				assert.Equal(t, tt.want, h, "split after byte %d", i)
			}
		})
	}
}

func TestReadFrameHeaderAtTheEndOfTheStream(t *testing.T) {
	tests := []struct {
		name string
		wire string
		want error
	}{
		{"nothing at all is a clean end", "", io.EOF},
		{"one byte is a header cut short", "81", io.ErrUnexpectedEOF},
		{"half a 16-bit length is a header cut short", "82 7e 01", io.ErrUnexpectedEOF},
		{"half a masking key is a header cut short", "81 85 37 fa", io.ErrUnexpectedEOF},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			_, err := readFrameHeader(bufio.NewReader(bytes.NewReader(unhex(tt.wire))))
			assert.Equal(t, tt.want, err)
		})
	}
}

func TestCheckFrameHeader(t *testing.T) {
	masked := func(h frameHeader) frameHeader { h.masked = true; return h }
	tests := []struct {
		name string
		h    frameHeader
		want error
	}{
		{"a masked text frame is fine", masked(frameHeader{fin: true, opcode: opText, length: 5}), nil},
		{"a masked continuation without FIN is fine", masked(frameHeader{opcode: opContinuation, length: 5}), nil},
		{"a ping of 125 bytes is fine", masked(frameHeader{fin: true, opcode: opPing, length: 125}), nil},
		{"the largest legal 64-bit length is fine", masked(frameHeader{fin: true, opcode: opBinary, length: 1<<63 - 1}), nil},
		{"an unmasked client frame is refused (5.1)", frameHeader{fin: true, opcode: opText, length: 5}, errUnmasked},
		{"RSV1 without an extension is refused (5.2)", masked(frameHeader{fin: true, rsv: 0x40, opcode: opText}), errReservedBits},
		{"RSV2 is refused", masked(frameHeader{fin: true, rsv: 0x20, opcode: opText}), errReservedBits},
		{"RSV3 is refused", masked(frameHeader{fin: true, rsv: 0x10, opcode: opBinary}), errReservedBits},
		{"the top bit of a 64-bit length is refused (5.2)", masked(frameHeader{fin: true, opcode: opBinary, length: 1 << 63}), errLengthTopBit},
		{"a fragmented ping is refused (5.5)", masked(frameHeader{opcode: opPing}), errFragmentedControl},
		{"a fragmented close is refused (5.5)", masked(frameHeader{opcode: opClose}), errFragmentedControl},
		{"a ping of 126 bytes is refused (5.5)", masked(frameHeader{fin: true, opcode: opPing, length: 126}), errControlTooLong},
		{"a close of 2^40 bytes is refused (5.5)", masked(frameHeader{fin: true, opcode: opClose, length: 1 << 40}), errControlTooLong},
	}
	for op := byte(0x3); op <= 0xf; op++ {
		if op >= opClose && op <= opPong {
			continue
		}
		tests = append(tests, struct {
			name string
			h    frameHeader
			want error
		}{fmt.Sprintf("reserved opcode %#x is refused (5.2)", op), masked(frameHeader{fin: true, opcode: op}), errUnknownOpcode})
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, checkFrameHeader(tt.h))
		})
	}
}

// maskByDefinition is section 5.3 written out in the test: byte i of the
// payload XOR key[i mod 4], counting i from the payload's start.
func maskByDefinition(key [4]byte, pos int, b []byte) []byte {
	out := make([]byte, len(b))
	for i := range b {
		out[i] = b[i] ^ key[(pos+i)%4]
	}
	return out
}

// testMasking checks a masking function against the RFC's example and the
// definition, for every length up to 100 and every starting position.
func testMasking(t *testing.T, mask func(key [4]byte, pos int, b []byte) int) {
	t.Run("the RFC's masked Hello unmasks to Hello", func(t *testing.T) {
		b := unhex("7f 9f 4d 51 58")
		assert.Equal(t, 1, mask(rfcKey, 0, b), "5 bytes from position 0 end at position 1")
		assert.Equal(t, "Hello", string(b))
	})
	t.Run("a payload unmasked in pieces comes out whole", func(t *testing.T) {
		b := unhex("7f 9f 4d 51 58")
		pos := mask(rfcKey, 0, b[:2])
		pos = mask(rfcKey, pos, b[2:3])
		mask(rfcKey, pos, b[3:])
		assert.Equal(t, "Hello", string(b))
	})
	t.Run("every length and starting position matches section 5.3", func(t *testing.T) {
		key := [4]byte{0xa1, 0x02, 0xf3, 0x44}
		src := make([]byte, 100)
		for i := range src {
			src[i] = byte(i * 7)
		}
		for pos := range 4 {
			for n := range len(src) {
				b := make([]byte, n)
				copy(b, src)
				next := mask(key, pos, b)
				if !assert.Equal(t, maskByDefinition(key, pos, src[:n]), b, "length %d from position %d", n, pos) {
					return
				}
				assert.Equal(t, (pos+n)%4, next)
			}
		}
	})
	t.Run("masking twice gives the original back", func(t *testing.T) {
		b := []byte(strings.Repeat("κόσμε, ", 40))
		mask(rfcKey, 3, b)
		assert.NotEqual(t, strings.Repeat("κόσμε, ", 40), string(b))
		mask(rfcKey, 3, b)
		assert.Equal(t, strings.Repeat("κόσμε, ", 40), string(b))
	})
}

func TestMaskBytesLoop(t *testing.T) { testMasking(t, maskBytesLoop) }

func TestMaskBytes(t *testing.T) { testMasking(t, maskBytes) }

func BenchmarkMaskBytesLoop(b *testing.B) { benchmarkMasking(b, maskBytesLoop) }

func BenchmarkMaskBytes(b *testing.B) { benchmarkMasking(b, maskBytes) }

func benchmarkMasking(b *testing.B, mask func(key [4]byte, pos int, b []byte) int) {
	for _, size := range []int{16, 1024, 64 << 10} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			buf := make([]byte, size)
			b.SetBytes(int64(size))
			for b.Loop() {
				mask(rfcKey, 0, buf)
			}
		})
	}
}
