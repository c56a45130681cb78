package main

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppendFrameHeader(t *testing.T) {
	tests := []struct {
		name   string
		fin    bool
		opcode byte
		length int
		want   string
	}{
		{"RFC 5.7: a single-frame unmasked text of 5 bytes", true, opText, 5, "81 05"},
		{"RFC 5.7: the first fragment of a text", false, opText, 3, "01 03"},
		{"RFC 5.7: the last fragment, a continuation", true, opContinuation, 2, "80 02"},
		{"RFC 5.7: an unmasked ping", true, opPing, 5, "89 05"},
		{"RFC 5.7: 256 bytes of binary", true, opBinary, 256, "82 7e 01 00"},
		{"RFC 5.7: 64 KiB of binary", true, opBinary, 65536, "82 7f 00 00 00 00 00 01 00 00"},
		{"an empty text", true, opText, 0, "81 00"},
		{"125 still fits in 7 bits", true, opBinary, 125, "82 7d"},
		{"126 takes the 16-bit form", true, opBinary, 126, "82 7e 00 7e"},
		{"65535 is the largest 16-bit form", true, opBinary, 65535, "82 7e ff ff"},
		{"an empty close", true, opClose, 0, "88 00"},
		{"a close with a code", true, opClose, 2, "88 02"},
		{"'你好' is 6 bytes, not 2 characters (Pithikos/python-websocket-server counts characters)", true, opText, len("你好"), "81 06"},
		{"16 MiB takes the 64-bit form", true, opBinary, 16 << 20, "82 7f 00 00 00 00 01 00 00 00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := appendFrameHeader(nil, tt.fin, tt.opcode, tt.length)
			assert.Equal(t, unhex(t, tt.want), got)
		})
	}
	t.Run("it appends to what is already there", func(t *testing.T) {
		assert.Equal(t, unhex(t, "ff 81 05"), appendFrameHeader([]byte{0xff}, true, opText, 5))
	})
}

func TestValidCloseCode(t *testing.T) {
	valid := []int{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999}
	invalid := []int{0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}
	for _, code := range valid {
		assert.True(t, validCloseCode(code), "%d may be received", code)
	}
	for _, code := range invalid {
		assert.False(t, validCloseCode(code), "%d may not be received", code)
	}
}

func TestParseClosePayload(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		code    int
		reason  string
		err     error
	}{
		{"an empty body means no status (1005)", "", 1005, "", nil},
		{"1000 with 'bye'", "03 e8 62 79 65", 1000, "bye", nil},
		{"1001 without a reason", "03 e9", 1001, "", nil},
		{"3000, a library's code", "0b b8", 3000, "", nil},
		{"4999, the last private code", "13 87", 4999, "", nil},
		{"a UTF-8 reason", "03 e8 ce ba e1 bd b9 cf 83 ce bc ce b5", 1000, kosme, nil},
		{"a 1-byte body is a protocol error", "03", 0, "", errBadClosePayload},
		{"1005 may not be sent", "03 ed", 0, "", errBadCloseCode},
		{"1006 may not be sent", "03 ee", 0, "", errBadCloseCode},
		{"1004 is reserved", "03 ec", 0, "", errBadCloseCode},
		{"999 is below the range", "03 e7", 0, "", errBadCloseCode},
		{"5000 is above the range", "13 88", 0, "", errBadCloseCode},
		{"a reason that is not UTF-8 is invalid payload (1007)", "03 e8 ed a0 80", 0, "", errInvalidCloseReason},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, reason, err := parseClosePayload(unhex(t, tt.payload))
			assert.Equal(t, tt.err, err)
			if tt.err == nil {
				assert.Equal(t, tt.code, code)
				assert.Equal(t, tt.reason, reason)
			}
		})
	}
}

func TestHandleControl(t *testing.T) {
	tests := []struct {
		name        string
		opcode      byte
		payload     string
		closedFirst bool // our close frame went out before this one arrived
		wantSent    string
		wantErr     error
	}{
		{"a ping gets a pong with the same payload", opPing, "48 65 6c 6c 6f", false, "8a 05 48 65 6c 6c 6f", nil},
		{"an empty ping gets an empty pong", opPing, "", false, "8a 00", nil},
		{"a pong gets no answer", opPong, "48 65 6c 6c 6f", false, "", nil},
		{"a close 1000 'bye' is answered with 1000", opClose, "03 e8 62 79 65", false, "88 02 03 e8", &closeError{code: 1000, reason: "bye"}},
		{"a close 4000 is answered with 4000", opClose, "0f a0", false, "88 02 0f a0", &closeError{code: 4000}},
		{"an empty close is answered with 1000", opClose, "", false, "88 02 03 e8", &closeError{code: 1005}},
		{"a close with a 1-byte body is not answered here (the caller fails with 1002)", opClose, "03", false, "", errBadClosePayload},
		{"a close with code 1006 is not answered here", opClose, "03 ee", false, "", errBadCloseCode},
		{"a close with a bad reason is not answered here (1007)", opClose, "03 e8 ff", false, "", errInvalidCloseReason},
		{"after our close, a ping goes unanswered", opPing, "48 65 6c 6c 6f", true, "", nil},
		{"after our close, the peer's close is the reply: no second close", opClose, "03 e9", true, "", &closeError{code: 1001}},
		{"after our close, a reply with another code is still the reply (simultaneous close, P4)", opClose, "03 e8", true, "", &closeError{code: 1000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, wire, _ := testConnWire(bytes.NewReader(nil), 1<<20)
			if tt.closedFirst {
				require.NoError(t, c.writeClose(closeGoingAway, ""))
			}
			before := len(wire.sent())
			err := c.handleControl(frameHeader{fin: true, opcode: tt.opcode, masked: true}, unhex(t, tt.payload))
			assert.Equal(t, tt.wantErr, err)
			assert.Equal(t, tt.wantSent, fmt.Sprintf("% x", wire.sent()[before:]))
		})
	}
}

func TestWriteMessage(t *testing.T) {
	tests := []struct {
		name    string
		opcode  byte
		payload []byte
		want    []byte
	}{
		{"the RFC's unmasked Hello", opText, []byte("Hello"), unhex(t, "81 05 48 65 6c 6c 6f")},
		{"'你好' announces its 6 bytes", opText, []byte("你好"), unhex(t, "81 06 e4 bd a0 e5 a5 bd")},
		{"256 bytes of binary", opBinary, bytes.Repeat([]byte{1}, 256), append(unhex(t, "82 7e 01 00"), bytes.Repeat([]byte{1}, 256)...)},
		{"64 KiB of binary goes out whole (writev)", opBinary, bytes.Repeat([]byte{2}, 65536), append(unhex(t, "82 7f 00 00 00 00 00 01 00 00"), bytes.Repeat([]byte{2}, 65536)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, wire, _ := testConnWire(bytes.NewReader(nil), 1<<20)
			require.NoError(t, c.writeMessage(tt.opcode, tt.payload))
			assert.Equal(t, tt.want, wire.sent())
		})
	}
}

func TestWriteCloseSendsOneCloseFrameAndThenNoData(t *testing.T) {
	c, wire, _ := testConnWire(bytes.NewReader(nil), 1<<20)
	require.NoError(t, c.writeClose(closeGoingAway, "bye"))
	assert.Equal(t, unhex(t, "88 05 03 e9 62 79 65"), wire.sent())
	assert.Equal(t, errCloseSent, c.writeClose(closeNormal, ""), "a second close is refused (docs/pitfalls.md, P4)")
	assert.Equal(t, errCloseSent, c.writeMessage(opText, []byte("late")), "no data frames after our close (5.5.1)")
	assert.Equal(t, unhex(t, "88 05 03 e9 62 79 65"), wire.sent(), "nothing more went out")

	t.Run("no status sends an empty close", func(t *testing.T) {
		c, wire, _ := testConnWire(bytes.NewReader(nil), 1<<20)
		require.NoError(t, c.writeClose(closeNoStatus, "ignored"))
		assert.Equal(t, unhex(t, "88 00"), wire.sent())
	})
	t.Run("a long reason is cut to 123 bytes, at a character boundary", func(t *testing.T) {
		c, wire, _ := testConnWire(bytes.NewReader(nil), 1<<20)
		reason := strings.Repeat("é", 100) // 200 bytes
		require.NoError(t, c.writeClose(closeProtocolError, reason))
		sent := wire.sent()
		assert.Equal(t, unhex(t, "88 7c 03 ea"), sent[:4], "2 + 122 bytes: 123 would split an é")
		assert.Equal(t, strings.Repeat("é", 61), string(sent[4:]))
	})
}

// readServerFrames splits a byte stream of unmasked server frames, the
// way section 5.2 lays them out; it is the test's own decoder.
func readServerFrames(t *testing.T, b []byte) (frames []message) {
	t.Helper()
	for len(b) > 0 {
		require.GreaterOrEqual(t, len(b), 2)
		require.Equal(t, byte(0x80), b[0]&0xf0, "FIN set, RSV clear")
		require.Zero(t, b[1]&0x80, "a server never masks")
		n, head := int(b[1]&0x7f), 2
		switch n {
		case 126:
			n, head = int(b[2])<<8|int(b[3]), 4
		case 127:
			n, head = 0, 10
			for _, c := range b[2:10] {
				n = n<<8 | int(c)
			}
		}
		require.GreaterOrEqual(t, len(b), head+n)
		frames = append(frames, message{b[0] & 0x0f, string(b[head : head+n])})
		b = b[head+n:]
	}
	return frames
}

func TestWriteMessageFromManyGoroutinesNeverInterleaves(t *testing.T) {
	c, wire, _ := testConnWire(bytes.NewReader(nil), 1<<20)
	const writers, each = 20, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			// Sizes on both sides of smallWrite, so both write paths race.
			payload := strings.Repeat(string(rune('a'+w)), 100+w*400)
			for range each {
				assert.NoError(t, c.writeMessage(opText, []byte(payload)))
			}
		})
	}
	wg.Wait()
	frames := readServerFrames(t, wire.sent())
	require.Len(t, frames, writers*each)
	for _, f := range frames {
		require.NotEmpty(t, f.payload)
		assert.Equal(t, strings.Repeat(f.payload[:1], len(f.payload)), f.payload, "a frame mixes two writers' bytes")
	}
}

// discardConn is a net.Conn that drops what is written: for counting
// allocations without a buffer that grows.
type discardConn struct{ wireConn }

func (*discardConn) Write(p []byte) (int, error) { return len(p), nil }

func TestWritingASmallMessageAllocatesNothing(t *testing.T) {
	conn := &discardConn{}
	c := newConn(conn, nil, 1<<20)
	msg := []byte("a small message")
	allocs := testing.AllocsPerRun(100, func() {
		if err := c.writeMessage(opText, msg); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
}

func BenchmarkWriteMessage(b *testing.B) {
	for _, size := range []int{16, 64 << 10} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			c := newConn(&discardConn{}, nil, 1<<20)
			msg := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if err := c.writeMessage(opBinary, msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestTraceShowsTheBytesWrittenNotTheFieldsMeant(t *testing.T) {
	var trace strings.Builder
	c := newConn(&discardConn{}, nil, 1<<20)
	c.trace = &trace
	// A wrong header, as a broken appendFrameHeader would write it: MASK
	// set on a server frame. The trace must show it, since the client
	// reads those bytes, whatever the code meant to send.
	c.traceWritten([]byte{0x81, 0x85}, []byte("\x37\xfa\x21\x3dHello"))
	assert.Contains(t, trace.String(), "server frame: FIN=1 RSV=000 opcode=0x1 (text) MASK=1 length=5")
	assert.Contains(t, trace.String(), "37 fa 21 3d")

	trace.Reset()
	c.traceWritten(appendFrameHeader(nil, true, opText, 5), []byte("Hello"))
	assert.Contains(t, trace.String(), "server frame: FIN=1 RSV=000 opcode=0x1 (text) MASK=0 length=5")
	assert.Contains(t, trace.String(), "48 65 6c 6c 6f")
}
