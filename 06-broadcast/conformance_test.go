package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The cases below follow the sections of the Autobahn|Testsuite, the
// conformance suite most WebSocket libraries are measured with (its case
// numbers are given so the two can be compared), with what RFC 6455 says
// the server must do in each. Each case opens a connection, sends its
// frames (each element of send is one Write, so "in chops" means several),
// and reads what the server sends back, frame by frame: first the frames
// of want, then either a close frame with the code fail and the end of the
// connection, or, when fail is 0, a clean closing handshake that the test
// starts (unless the case closed the connection itself).

type conformanceCase struct {
	id     string
	name   string
	send   [][]byte
	want   []message
	fail   int  // close code the server must fail the connection with
	closes bool // the case sends its own close frame; want ends with the reply
}

// These build masked client frames with FIN set.
func textFrame(s string) []byte   { return clientFrame(0x81, []byte(s)) }
func binaryFrame(b []byte) []byte { return clientFrame(0x82, b) }
func pingFrame(b []byte) []byte   { return clientFrame(0x89, b) }
func pongFrame(b []byte) []byte   { return clientFrame(0x8a, b) }
func closeFrame(b []byte) []byte  { return clientFrame(0x88, b) }

// chops splits b into writes of n bytes each.
func chops(b []byte, n int) [][]byte {
	var out [][]byte
	for len(b) > n {
		out = append(out, b[:n])
		b = b[n:]
	}
	return append(out, b)
}

// each is one write per frame.
func each(frames ...[]byte) [][]byte { return frames }

func conformanceCases() []conformanceCase {
	var cases []conformanceCase
	add := func(c conformanceCase) { cases = append(cases, c) }

	// 1: framing. Text and binary messages of each length-form boundary.
	for i, n := range []int{0, 125, 126, 127, 128, 65535, 65536} {
		payload := strings.Repeat("*", n)
		add(conformanceCase{id: fmt.Sprintf("1.1.%d", i+1), name: fmt.Sprintf("a text of %d bytes is echoed", n), send: each(textFrame(payload)), want: []message{{opText, payload}}})
		add(conformanceCase{id: fmt.Sprintf("1.2.%d", i+1), name: fmt.Sprintf("a binary of %d bytes is echoed", n), send: each(binaryFrame([]byte(payload))), want: []message{{opBinary, payload}}})
	}
	big := strings.Repeat("*", 65536)
	add(conformanceCase{id: "1.1.8", name: "a text of 65536 bytes sent in chops of 997 is echoed", send: chops(textFrame(big), 997), want: []message{{opText, big}}})

	// 2: pings and pongs.
	add(conformanceCase{id: "2.1", name: "a ping without payload gets a pong", send: each(pingFrame(nil)), want: []message{{opPong, ""}}})
	add(conformanceCase{id: "2.2", name: "a ping with a text payload gets it back", send: each(pingFrame([]byte("Hello, world!"))), want: []message{{opPong, "Hello, world!"}}})
	add(conformanceCase{id: "2.3", name: "a ping with a binary payload gets it back", send: each(pingFrame([]byte{0, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0, 0xff})), want: []message{{opPong, "\x00\xff\xfe\xfd\xfc\xfb\x00\xff"}}})
	p125 := bytes.Repeat([]byte{0xfe}, 125)
	add(conformanceCase{id: "2.4", name: "a ping of 125 bytes gets a pong", send: each(pingFrame(p125)), want: []message{{opPong, string(p125)}}})
	add(conformanceCase{id: "2.5", name: "a ping of 126 bytes fails with 1002", send: each(pingFrame(bytes.Repeat([]byte{0xfe}, 126))), fail: 1002})
	add(conformanceCase{id: "2.6", name: "a ping of 125 bytes sent one byte at a time gets a pong", send: chops(pingFrame(p125), 1), want: []message{{opPong, string(p125)}}})
	add(conformanceCase{id: "2.7", name: "an unsolicited pong without payload gets nothing", send: each(pongFrame(nil))})
	add(conformanceCase{id: "2.8", name: "an unsolicited pong with payload gets nothing", send: each(pongFrame([]byte("unsolicited pong payload")))})
	add(conformanceCase{id: "2.9", name: "an unsolicited pong, then a ping, gets one pong", send: each(pongFrame([]byte("unsolicited pong payload")), pingFrame([]byte("ping payload"))), want: []message{{opPong, "ping payload"}}})
	var tenPings [][]byte
	var tenPongs []message
	for i := range 10 {
		payload := fmt.Sprintf("payload-%d", i)
		tenPings = append(tenPings, pingFrame([]byte(payload)))
		tenPongs = append(tenPongs, message{opPong, payload})
	}
	add(conformanceCase{id: "2.10", name: "ten pings get ten pongs, in order", send: tenPings, want: tenPongs})
	add(conformanceCase{id: "2.11", name: "ten pings sent one byte at a time get ten pongs", send: chops(bytes.Join(tenPings, nil), 1), want: tenPongs})

	// 3: reserved bits, without an extension that defines them.
	add(conformanceCase{id: "3.1", name: "RSV1 on a text fails with 1002", send: each(clientFrame(0xc1, []byte("Hello, world!"))), fail: 1002})
	add(conformanceCase{id: "3.2", name: "a text, then RSV2 on a text: the first is echoed, then 1002", send: each(textFrame("Hello, world!"), clientFrame(0xa1, []byte("Hello, world!")), pingFrame(nil)), want: []message{{opText, "Hello, world!"}}, fail: 1002})
	add(conformanceCase{id: "3.3", name: "RSV3 on a text sent in one write with a ping: 1002", send: [][]byte{bytes.Join([][]byte{textFrame("Hello, world!"), clientFrame(0x91, []byte("Hello, world!")), pingFrame(nil)}, nil)}, want: []message{{opText, "Hello, world!"}}, fail: 1002})
	add(conformanceCase{id: "3.5", name: "RSV1+RSV3 on a binary fails with 1002", send: each(clientFrame(0xd2, []byte{0xff})), fail: 1002})
	add(conformanceCase{id: "3.6", name: "RSV2+RSV3 on a ping fails with 1002", send: each(clientFrame(0xe9, []byte("Hello"))), fail: 1002})
	add(conformanceCase{id: "3.7", name: "all RSV bits on a close fails with 1002", send: each(clientFrame(0xf8, nil)), fail: 1002})

	// 4: reserved opcodes.
	for i, op := range []byte{3, 4, 5, 6, 7} {
		add(conformanceCase{id: fmt.Sprintf("4.1.%d", i+1), name: fmt.Sprintf("reserved data opcode %#x fails with 1002", op), send: each(textFrame("Hello"), clientFrame(0x80|op, []byte("reserved")), pingFrame(nil)), want: []message{{opText, "Hello"}}, fail: 1002})
	}
	for i, op := range []byte{0xb, 0xc, 0xd, 0xe, 0xf} {
		add(conformanceCase{id: fmt.Sprintf("4.2.%d", i+1), name: fmt.Sprintf("reserved control opcode %#x fails with 1002", op), send: each(textFrame("Hello"), clientFrame(0x80|op, nil), pingFrame(nil)), want: []message{{opText, "Hello"}}, fail: 1002})
	}

	// 5: fragmentation.
	frag := func(first byte, parts ...string) [][]byte {
		var out [][]byte
		for i, p := range parts {
			b := byte(0x00)
			if i == 0 {
				b = first
			}
			if i == len(parts)-1 {
				b |= 0x80
			}
			out = append(out, clientFrame(b, []byte(p)))
		}
		return out
	}
	add(conformanceCase{id: "5.1", name: "a ping in two fragments fails with 1002", send: each(clientFrame(0x09, []byte("frag1")), clientFrame(0x80, []byte("frag2"))), fail: 1002})
	add(conformanceCase{id: "5.2", name: "a pong in two fragments fails with 1002", send: each(clientFrame(0x0a, []byte("frag1")), clientFrame(0x80, []byte("frag2"))), fail: 1002})
	add(conformanceCase{id: "5.3", name: "a text in two fragments is echoed whole", send: frag(0x01, "fragment1", "fragment2"), want: []message{{opText, "fragment1fragment2"}}})
	add(conformanceCase{id: "5.5", name: "a text in two fragments, one byte at a time", send: chops(bytes.Join(frag(0x01, "fragment1", "fragment2"), nil), 1), want: []message{{opText, "fragment1fragment2"}}})
	pingBetween := [][]byte{clientFrame(0x01, []byte("fragment1")), pingFrame([]byte("ping payload")), clientFrame(0x80, []byte("fragment2"))}
	add(conformanceCase{id: "5.6", name: "a ping between two fragments gets its pong first", send: pingBetween, want: []message{{opPong, "ping payload"}, {opText, "fragment1fragment2"}}})
	add(conformanceCase{id: "5.8", name: "a ping between fragments, one byte at a time", send: chops(bytes.Join(pingBetween, nil), 1), want: []message{{opPong, "ping payload"}, {opText, "fragment1fragment2"}}})
	add(conformanceCase{id: "5.9", name: "a continuation with FIN and nothing to continue fails with 1002", send: each(clientFrame(0x80, []byte("non-continuation payload")), textFrame("Hello, world!")), fail: 1002})
	add(conformanceCase{id: "5.12", name: "a continuation without FIN and nothing to continue fails with 1002", send: each(clientFrame(0x00, []byte("non-continuation payload")), textFrame("Hello, world!")), fail: 1002})
	add(conformanceCase{id: "5.15", name: "a text frame inside a fragmented text fails with 1002", send: each(clientFrame(0x01, []byte("fragment1")), clientFrame(0x80, []byte("fragment2")), clientFrame(0x00, []byte("fragment3")), clientFrame(0x01, []byte("fragment4"))), want: []message{{opText, "fragment1fragment2"}}, fail: 1002})
	add(conformanceCase{id: "5.17", name: "fragments that each have FIN clear, then a new text: 1002", send: each(clientFrame(0x01, []byte("fragment1")), clientFrame(0x81, []byte("fragment2"))), fail: 1002})
	add(conformanceCase{id: "5.19", name: "five fragments with two pings between are echoed whole", send: each(clientFrame(0x01, []byte("fragment1")), clientFrame(0x00, []byte("fragment2")), pingFrame([]byte("pongme 1!")), clientFrame(0x00, []byte("fragment3")), clientFrame(0x00, []byte("fragment4")), pingFrame([]byte("pongme 2!")), clientFrame(0x80, []byte("fragment5"))), want: []message{{opPong, "pongme 1!"}, {opPong, "pongme 2!"}, {opText, "fragment1fragment2fragment3fragment4fragment5"}}})

	// 6: UTF-8 (after Markus Kuhn's UTF-8 decoder test, as Autobahn uses
	// it). Each sequence is sent as one frame and as one fragment per byte.
	utf8Cases := []struct {
		id    string
		name  string
		text  string
		valid bool
	}{
		{id: "6.1.1", name: "an empty text", text: "", valid: true},
		{id: "6.2.1", name: "Hello-µ@ßöäüàá-UTF-8!!", text: "Hello-µ@ßöäüàá-UTF-8!!", valid: true},
		{id: "6.3.1", name: "κόσμε with an encoded surrogate", text: "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited", valid: false},
		{id: "6.5.1", name: "κόσμε", text: kosme, valid: true},
		{id: "6.7.1", name: "the first 1-byte character, U+0000", text: "\x00", valid: true},
		{id: "6.7.2", name: "the first 2-byte character, U+0080", text: "\xc2\x80", valid: true},
		{id: "6.7.3", name: "the first 3-byte character, U+0800", text: "\xe0\xa0\x80", valid: true},
		{id: "6.7.4", name: "the first 4-byte character, U+10000", text: "\xf0\x90\x80\x80", valid: true},
		{id: "6.8.1", name: "a 5-byte sequence", text: "\xf8\x88\x80\x80\x80", valid: false},
		{id: "6.8.2", name: "a 6-byte sequence", text: "\xfc\x84\x80\x80\x80\x80", valid: false},
		{id: "6.9.1", name: "the last 1-byte character, U+007F", text: "\x7f", valid: true},
		{id: "6.9.2", name: "the last 2-byte character, U+07FF", text: "\xdf\xbf", valid: true},
		{id: "6.9.3", name: "the last 3-byte character, U+FFFF", text: "\xef\xbf\xbf", valid: true},
		{id: "6.9.4", name: "the last code point, U+10FFFF", text: "\xf4\x8f\xbf\xbf", valid: true},
		{id: "6.10.1", name: "a 4-byte sequence above U+10FFFF", text: "\xf7\xbf\xbf\xbf", valid: false},
		{id: "6.10.3", name: "U+110000", text: "\xf4\x90\x80\x80", valid: false},
		{id: "6.11.1", name: "U+D7FF, just below the surrogates", text: "\xed\x9f\xbf", valid: true},
		{id: "6.11.2", name: "U+E000, just above the surrogates", text: "\xee\x80\x80", valid: true},
		{id: "6.11.3", name: "U+FFFD, the replacement character", text: "\xef\xbf\xbd", valid: true},
		{id: "6.12.1", name: "a lone first continuation byte", text: "\x80", valid: false},
		{id: "6.12.2", name: "a lone last continuation byte", text: "\xbf", valid: false},
		{id: "6.12.8", name: "a run of continuation bytes", text: "\x80\xbf\x80\xbf\x80\xbf\x80", valid: false},
		{id: "6.13.1", name: "2-byte start bytes, each followed by a space", text: "\xc0 \xc1 \xc2 \xdf ", valid: false},
		{id: "6.14.1", name: "a 2-byte sequence missing its last byte", text: "\xc2", valid: false},
		{id: "6.14.3", name: "a 4-byte sequence missing its last byte", text: "\xf0\x90\x80", valid: false},
		{id: "6.15.1", name: "incomplete sequences one after another", text: "\xc2\xe0\xa0\xf0\x90\x80", valid: false},
		{id: "6.16.1", name: "0xfe", text: "\xfe", valid: false},
		{id: "6.16.2", name: "0xff", text: "\xff", valid: false},
		{id: "6.17.1", name: "an overlong slash in 2 bytes", text: "\xc0\xaf", valid: false},
		{id: "6.17.2", name: "an overlong slash in 3 bytes", text: "\xe0\x80\xaf", valid: false},
		{id: "6.17.3", name: "an overlong slash in 4 bytes", text: "\xf0\x80\x80\xaf", valid: false},
		{id: "6.18.1", name: "the largest overlong 2-byte sequence", text: "\xc1\xbf", valid: false},
		{id: "6.18.2", name: "the largest overlong 3-byte sequence", text: "\xe0\x9f\xbf", valid: false},
		{id: "6.19.1", name: "an overlong NUL", text: "\xc0\x80", valid: false},
		{id: "6.20.1", name: "the lone surrogate U+D800", text: "\xed\xa0\x80", valid: false},
		{id: "6.20.7", name: "the lone surrogate U+DFFF", text: "\xed\xbf\xbf", valid: false},
		{id: "6.21.1", name: "a surrogate pair U+D800 U+DC00", text: "\xed\xa0\x80\xed\xb0\x80", valid: false},
		{id: "6.22.1", name: "the noncharacter U+FFFE is valid UTF-8", text: "\xef\xbf\xbe", valid: true},
		{id: "6.22.34", name: "the noncharacter U+10FFFE is valid UTF-8", text: "\xf4\x8f\xbf\xbe", valid: true},
	}
	for _, u := range utf8Cases {
		verdict, want, fail := "fails with 1007", []message(nil), 1007
		if u.valid {
			verdict, want, fail = "is echoed", []message{{opText, u.text}}, 0
		}
		add(conformanceCase{id: u.id, name: u.name + ": " + verdict, send: each(textFrame(u.text)), want: want, fail: fail})
		if len(u.text) > 1 {
			var perByte []string
			for i := range len(u.text) {
				perByte = append(perByte, u.text[i:i+1])
			}
			add(conformanceCase{id: u.id, name: u.name + ", one fragment per byte: " + verdict, send: frag(0x01, perByte...), want: want, fail: fail})
		}
	}
	add(conformanceCase{id: "6.4.1", name: "fail fast: a first fragment ending in f4 90 fails before the rest arrives", send: each(clientFrame(0x01, []byte("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90"))), fail: 1007})

	// 7: the closing handshake.
	add(conformanceCase{id: "7.1.1", name: "a text then a close: echo, then the close reply", send: each(textFrame("Hello World!"), closeFrame([]byte{0x03, 0xe8})), want: []message{{opText, "Hello World!"}, {opClose, "\x03\xe8"}}, closes: true})
	add(conformanceCase{id: "7.1.2", name: "two closes get one reply", send: each(closeFrame([]byte{0x03, 0xe8}), closeFrame([]byte{0x03, 0xe8})), want: []message{{opClose, "\x03\xe8"}}, closes: true})
	add(conformanceCase{id: "7.1.3", name: "a ping after the close gets no pong", send: each(closeFrame([]byte{0x03, 0xe8}), pingFrame([]byte("Hello World!"))), want: []message{{opClose, "\x03\xe8"}}, closes: true})
	add(conformanceCase{id: "7.1.4", name: "a text after the close is not echoed", send: each(closeFrame([]byte{0x03, 0xe8}), textFrame("Hello World!")), want: []message{{opClose, "\x03\xe8"}}, closes: true})
	add(conformanceCase{id: "7.1.5", name: "a close between fragments ends the message unsent", send: each(clientFrame(0x01, []byte("fragment1")), closeFrame([]byte{0x03, 0xe8}), clientFrame(0x80, []byte("fragment2"))), want: []message{{opClose, "\x03\xe8"}}, closes: true})
	add(conformanceCase{id: "7.3.1", name: "a close without a body gets 1000", send: each(closeFrame(nil)), want: []message{{opClose, "\x03\xe8"}}, closes: true})
	add(conformanceCase{id: "7.3.2", name: "a close with a 1-byte body fails with 1002", send: each(closeFrame([]byte{0x03})), fail: 1002})
	add(conformanceCase{id: "7.3.4", name: "a close with a code and a reason gets the code back", send: each(closeFrame([]byte("\x03\xe8Hello World!"))), want: []message{{opClose, "\x03\xe8"}}, closes: true})
	add(conformanceCase{id: "7.3.5", name: "a close with a 123-byte reason is fine", send: each(closeFrame(append([]byte{0x03, 0xe8}, bytes.Repeat([]byte("*"), 123)...))), want: []message{{opClose, "\x03\xe8"}}, closes: true})
	add(conformanceCase{id: "7.3.6", name: "a close with a 124-byte reason (126 in all) fails with 1002", send: each(closeFrame(append([]byte{0x03, 0xe8}, bytes.Repeat([]byte("*"), 124)...))), fail: 1002})
	add(conformanceCase{id: "7.5.1", name: "a close reason that is not UTF-8 fails with 1007", send: each(closeFrame([]byte("\x03\xe8\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited"))), fail: 1007})
	for i, code := range []int{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999} {
		body := []byte{byte(code >> 8), byte(code)}
		add(conformanceCase{id: fmt.Sprintf("7.7.%d", i+1), name: fmt.Sprintf("close code %d is echoed", code), send: each(closeFrame(body)), want: []message{{opClose, string(body)}}, closes: true})
	}
	for i, code := range []int{0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999} {
		add(conformanceCase{id: fmt.Sprintf("7.9.%d", i+1), name: fmt.Sprintf("close code %d fails with 1002", code), send: each(closeFrame([]byte{byte(code >> 8), byte(code)})), fail: 1002})
	}
	add(conformanceCase{id: "7.13.1", name: "close code 5000 fails with 1002", send: each(closeFrame([]byte{0x13, 0x88})), fail: 1002})

	// 9: large messages, up to the 16 MiB limit (a flag in main.go).
	for i, n := range []int{64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20} {
		payload := bytes.Repeat([]byte{'*'}, n)
		add(conformanceCase{id: fmt.Sprintf("9.1.%d", i+1), name: fmt.Sprintf("a text of %d bytes is echoed", n), send: each(textFrame(string(payload))), want: []message{{opText, string(payload)}}})
	}
	for i, size := range []int{64, 4096, 65536} {
		payload := bytes.Repeat([]byte{0xfe}, 1<<20)
		var frames [][]byte
		for off := 0; off < len(payload); off += size {
			b := byte(0x00)
			if off == 0 {
				b = 0x02
			}
			if off+size >= len(payload) {
				b |= 0x80
			}
			frames = append(frames, clientFrame(b, payload[off:off+size]))
		}
		add(conformanceCase{id: fmt.Sprintf("9.4.%d", i+1), name: fmt.Sprintf("a 1 MiB binary in fragments of %d bytes is echoed", size), send: [][]byte{bytes.Join(frames, nil)}, want: []message{{opBinary, string(payload)}}})
	}
	var many [][]byte
	var manyBack []message
	for i := range 1000 {
		many = append(many, textFrame(fmt.Sprint(i)))
		manyBack = append(manyBack, message{opText, fmt.Sprint(i)})
	}
	add(conformanceCase{id: "9.7.1", name: "1000 small texts sent at once all come back, in order", send: [][]byte{bytes.Join(many, nil)}, want: manyBack})
	// Not an Autobahn case: the size limit (section 10.4), decided from the
	// header alone. Only the 14-byte header is sent.
	add(conformanceCase{id: "limit", name: "a text announcing one byte over 16 MiB fails with 1009", send: each(unhex("81 ff 00 00 00 00 01 00 00 01 37 fa 21 3d")), fail: 1009})
	return cases
}

func TestConformance(t *testing.T) {
	ts := startServer(t, testConfig())
	failed := 0
	for _, c := range conformanceCases() {
		if failed == 5 {
			// Against a server that gets the basics wrong every case fails
			// slowly, on its read deadline; five say enough.
			t.Fatal("stopping after 5 failing cases")
		}
		ok := t.Run(c.id+" "+c.name, func(t *testing.T) {
			conn := openWebSocket(t, ts.addr, nil)
			// Writes go from another goroutine: a server that echoes while
			// the test is still sending must not deadlock the two.
			sent := make(chan error, 1)
			go func() {
				for _, w := range c.send {
					if _, err := conn.Write(w); err != nil {
						sent <- err
						return
					}
				}
				sent <- nil
			}()
			for i, want := range c.want {
				got := readFrame(t, conn)
				require.Equal(t, want.opcode, got.opcode, "frame %d", i)
				require.True(t, want.payload == got.payload, "frame %d: payload of %d bytes differs from the %d expected", i, len(got.payload), len(want.payload))
			}
			switch {
			case c.fail != 0:
				got := readFrame(t, conn)
				require.Equal(t, opClose, got.opcode, "the server fails the connection with a close frame")
				require.GreaterOrEqual(t, len(got.payload), 2)
				assert.Equal(t, c.fail, int(got.payload[0])<<8|int(got.payload[1]), "close code (reason %q)", got.payload[2:])
				// Answer as a client does; the server then closes at once
				// instead of waiting out closeTimeout.
				<-sent
				conn.Write(closeFrame([]byte(got.payload[:2])))
			case !c.closes:
				_, err := conn.Write(closeFrame([]byte{0x03, 0xe8}))
				require.NoError(t, err)
				assert.Equal(t, message{opClose, "\x03\xe8"}, readFrame(t, conn), "a clean closing handshake")
			}
			// Both close frames are out: the server closes TCP at once, well
			// before closeTimeout (2 s), which is for a peer that never answers.
			require.NoError(t, conn.SetReadDeadline(time.Now().Add(closeTimeout/2)))
			requireServerCloses(t, conn)
			if c.fail == 0 {
				assert.NoError(t, <-sent)
			}
		})
		if !ok {
			failed++
		}
	}
}
