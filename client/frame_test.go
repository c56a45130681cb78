package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fromHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	require.NoError(t, err)
	return b
}

func TestReadFrameDecodesServerFrames(t *testing.T) {
	tests := []struct {
		name, bytes string
		opcode      byte
		fin         bool
		payload     string
	}{
		{"RFC 5.7: an unmasked Hello", "81 05 48 65 6c 6c 6f", opText, true, "Hello"},
		{"RFC 5.7: a first fragment", "01 03 48 65 6c", opText, false, "Hel"},
		{"RFC 5.7: a ping", "89 05 48 65 6c 6c 6f", opPing, true, "Hello"},
		{"RFC 5.7: 256 bytes in the 16-bit form", "82 7e 01 00" + strings.Repeat(" 41", 256), opBinary, true, strings.Repeat("A", 256)},
		{"an empty close", "88 00", opClose, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, payload, err := readFrame(bufio.NewReader(bytes.NewReader(fromHex(t, tt.bytes))), nil, 1<<20)
			require.NoError(t, err)
			assert.Equal(t, tt.opcode, h.opcode)
			assert.Equal(t, tt.fin, h.fin)
			assert.Equal(t, tt.payload, string(payload))
		})
	}
}

func TestReadFrameNamesTheBrokenRule(t *testing.T) {
	tests := []struct {
		name, bytes string
		want        error
	}{
		{"a masked frame", "81 85 37 fa 21 3d 7f 9f 4d 51 58", errMasked},
		{"RSV1 set", "c1 00", errReservedBits},
		{"opcode 0x3", "83 00", errUnknownOpcode},
		{"opcode 0xB", "8b 00", errUnknownOpcode},
		{"a 64-bit length with its top bit set", "82 7f 80 00 00 00 00 00 00 00", errLengthTopBit},
		{"a close without FIN", "08 00", errFragmentedControl},
		{"a pong of 126 bytes", "8a 7e 00 7e", errControlTooLong},
		{"a data frame past the limit, by its announced length", "82 7f 00 00 00 00 00 00 04 01", errMessageTooBig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readFrame(bufio.NewReader(bytes.NewReader(fromHex(t, tt.bytes))), nil, 1024)
			assert.Equal(t, tt.want, err)
		})
	}
}

// The trace of a frame the client sends shows its masked and its
// unmasked payload, decoded from the bytes as written.
func TestTraceShowsClientFramesMaskedAndUnmasked(t *testing.T) {
	frame := fromHex(t, "81 85 37 fa 21 3d 7f 9f 4d 51 58") // RFC 6455 section 5.7
	var b strings.Builder
	(&tracer{w: &b}).show("client", frame[:6], frame[6:], nil)
	assert.Equal(t, "client frame: FIN=1 RSV=000 opcode=0x1 (text) MASK=1 length=5\n"+
		"  81                                              FIN=1 RSV1-3=000 opcode=0x1\n"+
		"  85                                              MASK=1 length=5\n"+
		"  37 fa 21 3d                                     masking key\n"+
		"  7f 9f 4d 51 58                                  payload, masked\n"+
		"  48 65 6c 6c 6f                                  payload, unmasked: \"Hello\"\n", b.String())
}
