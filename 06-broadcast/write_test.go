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
		{name: "RFC 5.7: a single-frame unmasked text of 5 bytes", fin: true, opcode: opText, length: 5, want: "81 05"},
		{name: "RFC 5.7: the first fragment of a text", fin: false, opcode: opText, length: 3, want: "01 03"},
		{name: "RFC 5.7: the last fragment, a continuation", fin: true, opcode: opContinuation, length: 2, want: "80 02"},
		{name: "RFC 5.7: an unmasked ping", fin: true, opcode: opPing, length: 5, want: "89 05"},
		{name: "RFC 5.7: 256 bytes of binary", fin: true, opcode: opBinary, length: 256, want: "82 7e 01 00"},
		{name: "RFC 5.7: 64 KiB of binary", fin: true, opcode: opBinary, length: 65536, want: "82 7f 00 00 00 00 00 01 00 00"},
		{name: "an empty text", fin: true, opcode: opText, length: 0, want: "81 00"},
		{name: "125 still fits in 7 bits", fin: true, opcode: opBinary, length: 125, want: "82 7d"},
		{name: "126 takes the 16-bit form", fin: true, opcode: opBinary, length: 126, want: "82 7e 00 7e"},
		{name: "65535 is the largest 16-bit form", fin: true, opcode: opBinary, length: 65535, want: "82 7e ff ff"},
		{name: "an empty close", fin: true, opcode: opClose, length: 0, want: "88 00"},
		{name: "a close with a code", fin: true, opcode: opClose, length: 2, want: "88 02"},
		{name: "'你好' is 6 bytes, not 2 characters (Pithikos/python-websocket-server counts characters)", fin: true, opcode: opText, length: len("你好"), want: "81 06"},
		{name: "16 MiB takes the 64-bit form", fin: true, opcode: opBinary, length: 16 << 20, want: "82 7f 00 00 00 00 01 00 00 00"},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			got := appendFrameHeader(nil, tt.fin, tt.opcode, tt.length)
			assert.Equal(t, unhex(tt.want), got)
		})
	}
	t.Run("it appends to what is already there", func(t *testing.T) {
		assert.Equal(t, unhex("ff 81 05"), appendFrameHeader([]byte{0xff}, true, opText, 5))
	})
}

func TestValidCloseCode(t *testing.T) {
	valid := []int{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999}
	invalid := []int{0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}
	var refused, accepted []int
	for _, code := range valid {
		if !validCloseCode(code) {
			refused = append(refused, code)
		}
	}
	for _, code := range invalid {
		if validCloseCode(code) {
			accepted = append(accepted, code)
		}
	}
	assert.Empty(t, refused, "codes that may be received (RFC 6455 section 7.4), refused")
	assert.Empty(t, accepted, "codes that may not be received (reserved, never sent, or unassigned), accepted")
}

func TestParseClosePayload(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		code    int
		reason  string
		err     error
	}{
		{name: "an empty body means no status (1005)", payload: "", code: 1005, reason: ""},
		{name: "1000 with 'bye'", payload: "03 e8 62 79 65", code: 1000, reason: "bye"},
		{name: "1001 without a reason", payload: "03 e9", code: 1001, reason: ""},
		{name: "3000, a library's code", payload: "0b b8", code: 3000, reason: ""},
		{name: "4999, the last private code", payload: "13 87", code: 4999, reason: ""},
		{name: "a UTF-8 reason", payload: "03 e8 ce ba e1 bd b9 cf 83 ce bc ce b5", code: 1000, reason: kosme},
		{name: "a 1-byte body is a protocol error", payload: "03", code: 0, reason: "", err: errBadClosePayload},
		{name: "1005 may not be sent", payload: "03 ed", code: 0, reason: "", err: errBadCloseCode},
		{name: "1006 may not be sent", payload: "03 ee", code: 0, reason: "", err: errBadCloseCode},
		{name: "1004 is reserved", payload: "03 ec", code: 0, reason: "", err: errBadCloseCode},
		{name: "999 is below the range", payload: "03 e7", code: 0, reason: "", err: errBadCloseCode},
		{name: "5000 is above the range", payload: "13 88", code: 0, reason: "", err: errBadCloseCode},
		{name: "a reason that is not UTF-8 is invalid payload (1007)", payload: "03 e8 ed a0 80", code: 0, reason: "", err: errInvalidCloseReason},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			code, reason, err := parseClosePayload(unhex(tt.payload))
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
		{name: "a ping gets a pong with the same payload", opcode: opPing, payload: "48 65 6c 6c 6f", closedFirst: false, wantSent: "8a 05 48 65 6c 6c 6f"},
		{name: "an empty ping gets an empty pong", opcode: opPing, payload: "", closedFirst: false, wantSent: "8a 00"},
		{name: "a pong gets no answer", opcode: opPong, payload: "48 65 6c 6c 6f", closedFirst: false, wantSent: ""},
		{name: "a close 1000 'bye' is answered with 1000", opcode: opClose, payload: "03 e8 62 79 65", closedFirst: false, wantSent: "88 02 03 e8", wantErr: &closeError{code: 1000, reason: "bye"}},
		{name: "a close 4000 is answered with 4000", opcode: opClose, payload: "0f a0", closedFirst: false, wantSent: "88 02 0f a0", wantErr: &closeError{code: 4000}},
		{name: "an empty close is answered with 1000", opcode: opClose, payload: "", closedFirst: false, wantSent: "88 02 03 e8", wantErr: &closeError{code: 1005}},
		{name: "a close with a 1-byte body is not answered here (the caller fails with 1002)", opcode: opClose, payload: "03", closedFirst: false, wantSent: "", wantErr: errBadClosePayload},
		{name: "a close with code 1006 is not answered here", opcode: opClose, payload: "03 ee", closedFirst: false, wantSent: "", wantErr: errBadCloseCode},
		{name: "a close with a bad reason is not answered here (1007)", opcode: opClose, payload: "03 e8 ff", closedFirst: false, wantSent: "", wantErr: errInvalidCloseReason},
		{name: "after our close, a ping goes unanswered", opcode: opPing, payload: "48 65 6c 6c 6f", closedFirst: true, wantSent: ""},
		{name: "after our close, the peer's close is the reply: no second close", opcode: opClose, payload: "03 e9", closedFirst: true, wantSent: "", wantErr: &closeError{code: 1001}},
		{name: "after our close, a reply with another code is still the reply (simultaneous close, P4)", opcode: opClose, payload: "03 e8", closedFirst: true, wantSent: "", wantErr: &closeError{code: 1000}},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			c, wire, _ := testConnWire(bytes.NewReader(nil), 1<<20)
			if tt.closedFirst {
				require.NoError(t, c.writeClose(closeGoingAway, ""))
			}
			before := len(wire.sent())
			err := c.handleControl(frameHeader{fin: true, opcode: tt.opcode, masked: true}, unhex(tt.payload))
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
		{name: "the RFC's unmasked Hello", opcode: opText, payload: []byte("Hello"), want: unhex("81 05 48 65 6c 6c 6f")},
		{name: "'你好' announces its 6 bytes", opcode: opText, payload: []byte("你好"), want: unhex("81 06 e4 bd a0 e5 a5 bd")},
		{name: "256 bytes of binary", opcode: opBinary, payload: bytes.Repeat([]byte{1}, 256), want: append(unhex("82 7e 01 00"), bytes.Repeat([]byte{1}, 256)...)},
		{name: "64 KiB of binary goes out whole (writev)", opcode: opBinary, payload: bytes.Repeat([]byte{2}, 65536), want: append(unhex("82 7f 00 00 00 00 00 01 00 00"), bytes.Repeat([]byte{2}, 65536)...)},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			c, wire, _ := testConnWire(bytes.NewReader(nil), 1<<20)
			require.NoError(t, c.writeMessage(tt.opcode, tt.payload))
			assert.Equal(t, tt.want, wire.sent())
		})
	}
}

func TestWriteCloseSendsOneCloseFrameAndThenNoData(t *testing.T) {
	c, wire, _ := testConnWire(bytes.NewReader(nil), 1<<20)
	require.NoError(t, c.writeClose(closeGoingAway, "bye"))
	assert.Equal(t, unhex("88 05 03 e9 62 79 65"), wire.sent())
	assert.Equal(t, errCloseSent, c.writeClose(closeNormal, ""), "a second close is refused (docs/pitfalls.md, P4)")
	assert.Equal(t, errCloseSent, c.writeMessage(opText, []byte("late")), "no data frames after our close (5.5.1)")
	assert.Equal(t, unhex("88 05 03 e9 62 79 65"), wire.sent(), "nothing more went out")

	t.Run("no status sends an empty close", func(t *testing.T) {
		c, wire, _ := testConnWire(bytes.NewReader(nil), 1<<20)
		require.NoError(t, c.writeClose(closeNoStatus, "ignored"))
		assert.Equal(t, unhex("88 00"), wire.sent())
	})
	t.Run("a long reason is cut to 123 bytes, at a character boundary", func(t *testing.T) {
		c, wire, _ := testConnWire(bytes.NewReader(nil), 1<<20)
		reason := strings.Repeat("é", 100) // 200 bytes
		require.NoError(t, c.writeClose(closeProtocolError, reason))
		sent := wire.sent()
		assert.Equal(t, unhex("88 7c 03 ea"), sent[:4], "2 + 122 bytes: 123 would split an é")
		assert.Equal(t, strings.Repeat("é", 61), string(sent[4:]))
	})
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
	frames, err := readServerFrames(wire.sent())
	require.NoError(t, err)
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
	c.trace = &tracer{w: &trace}
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
