package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// -trace shows a frame from its bytes as they were on the wire, decoded
// by the trace's own code: the expected output is written out by hand
// from section 5.2's layout and section 5.7's examples.
func TestFormatFrameShowsTheBytesAsTheyCame(t *testing.T) {
	tests := []struct {
		name            string
		header, payload string
		err             error
		want            string
	}{
		{
			name: "RFC 5.7: a masked Hello, unmasked by the definition", header: "81 85 37 fa 21 3d", payload: "7f 9f 4d 51 58",
			want: "frame: FIN=1 RSV=000 opcode=0x1 (text) MASK=1 length=5\n" +
				"  81                                              FIN=1 RSV1-3=000 opcode=0x1\n" +
				"  85                                              MASK=1 length=5\n" +
				"  37 fa 21 3d                                     masking key\n" +
				"  7f 9f 4d 51 58                                  payload, masked\n" +
				"  48 65 6c 6c 6f                                  payload, unmasked: \"Hello\"\n",
		},
		{
			name: "RFC 5.7: 256 bytes in the 16-bit form, 16 of them shown", header: "82 7e 01 00", payload: strings.Repeat("00", 256),
			want: "frame: FIN=1 RSV=000 opcode=0x2 (binary) MASK=0 length=256\n" +
				"  82                                              FIN=1 RSV1-3=000 opcode=0x2\n" +
				"  7e                                              MASK=0 length=126: a 16-bit length follows\n" +
				"  01 00                                           16-bit length = 256\n" +
				"  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 payload ... (240 more)\n",
		},
		{
			name: "RFC 5.7: an unmasked Hello (a server's frame) shows its text", header: "81 05", payload: "48 65 6c 6c 6f",
			want: "frame: FIN=1 RSV=000 opcode=0x1 (text) MASK=0 length=5\n" +
				"  81                                              FIN=1 RSV1-3=000 opcode=0x1\n" +
				"  05                                              MASK=0 length=5\n" +
				"  48 65 6c 6c 6f                                  payload: \"Hello\"\n",
		},
		{
			name: "an unmasked close frame shows its code", header: "88 02", payload: "03 e8",
			want: "frame: FIN=1 RSV=000 opcode=0x8 (close) MASK=0 length=2\n" +
				"  88                                              FIN=1 RSV1-3=000 opcode=0x8\n" +
				"  02                                              MASK=0 length=2\n" +
				"  03 e8                                           payload: code 1000\n",
		},
		{
			name: "a masked close frame shows its code", header: "88 82 37 fa 21 3d", payload: "34 12",
			want: "frame: FIN=1 RSV=000 opcode=0x8 (close) MASK=1 length=2\n" +
				"  88                                              FIN=1 RSV1-3=000 opcode=0x8\n" +
				"  82                                              MASK=1 length=2\n" +
				"  37 fa 21 3d                                     masking key\n" +
				"  34 12                                           payload, masked\n" +
				"  03 e8                                           payload, unmasked: code 1000\n",
		},
		{
			name: "a header that breaks a rule shows the rule, and no payload", header: "89 ff 80 00 00 00 00 00 00 00 37 fa 21 3d", err: errLengthTopBit,
			want: "frame: FIN=1 RSV=000 opcode=0x9 (ping) MASK=1 length=9223372036854775808\n" +
				"  89                                              FIN=1 RSV1-3=000 opcode=0x9\n" +
				"  ff                                              MASK=1 length=127: a 64-bit length follows\n" +
				"  80 00 00 00 00 00 00 00                         64-bit length = 9223372036854775808\n" +
				"  37 fa 21 3d                                     masking key\n" +
				"  !! " + errLengthTopBit.Error() + "\n",
		},
		{
			name: "a header cut short says so instead of making up a length", header: "81 fe 00",
			want: "frame: FIN=1 RSV=000 opcode=0x1 (text) MASK=1 length=0\n" +
				"  81                                              FIN=1 RSV1-3=000 opcode=0x1\n" +
				"  fe                                              MASK=1 length=126: a 16-bit length follows\n" +
				"  00                                              part of a 16-bit length\n" +
				"                                                  (header cut short: 3 of 8 bytes)\n",
		},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, formatFrame(unhex(tt.header), unhex(tt.payload), tt.err))
		})
	}
}
