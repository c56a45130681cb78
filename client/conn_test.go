package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The client's frames, read by the test's decoder: masked, each with its
// own key, unmasking to what was sent; the server's frames, hand-written,
// printed as they came; then the client closes with 1000.
func TestScriptSendsMaskedFramesAndPrintsEchoes(t *testing.T) {
	s := newFakeServer(t)
	results := startClient(context.Background(), config{send: []string{"hello", "κόσμε"}, expect: 2}, s.url, nil)
	p := s.handshake(t)
	first, second := p.readFrame(), p.readFrame()
	assert.Equal(t, opText, first.opcode)
	assert.Equal(t, "hello", string(first.payload))
	assert.Equal(t, opText, second.opcode)
	assert.Equal(t, "κόσμε", string(second.payload))
	assert.NotEqual(t, first.key, second.key, "a fresh masking key for every frame (section 5.3)")
	p.writeHex("81 05 48 65 6c 6c 6f")                     // RFC 6455 section 5.7: "Hello"
	p.writeHex("82 7e 01 00" + strings.Repeat(" 00", 256)) // section 5.7: 256 bytes, binary
	code, reason := p.readClose()
	assert.Equal(t, closeNormal, code)
	assert.Empty(t, reason)
	p.closeNow()
	r := waitClient(t, results)
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "< Hello\n< [binary 256 bytes]"+strings.Repeat(" 00", 32)+" ...\n", r.stdout)
	assert.Contains(t, r.stderr, "* close 1000 (clean)")
}

// Fragments with a ping between them (section 5.4): the ping is answered
// at once with a pong of the same payload, and the fragments make one
// message. "κόσμε" split inside a character is valid once whole.
func TestFragmentsWithAPingBetween(t *testing.T) {
	s := newFakeServer(t)
	results := startClient(context.Background(), config{expect: 2}, s.url, nil)
	p := s.handshake(t)
	p.writeHex("01 03 48 65 6c") // "Hel", FIN=0 (section 5.7)
	p.writeHex("89 05 48 65 6c 6c 6f")
	pong := p.readFrame()
	assert.Equal(t, opPong, pong.opcode)
	assert.Equal(t, "Hello", string(pong.payload), "a pong carries the ping's payload (section 5.5.2)")
	p.writeHex("80 02 6c 6f") // "lo", FIN=1
	p.writeHex("01 03 ce ba e1")
	p.writeHex("80 08 bd b9 cf 83 ce bc ce b5")
	code, _ := p.readClose()
	assert.Equal(t, closeNormal, code)
	p.closeNow()
	r := waitClient(t, results)
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "< Hello\n< \xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\n", r.stdout) // κόσμε as Autobahn writes it
	assert.Contains(t, r.stderr, `* ping "Hello"`)
}

// A close from the server is answered with its code (1000 for none) and
// the client exits 0 (section 5.5.1).
func TestServerCloseIsAnswered(t *testing.T) {
	requireClientExercises(t)
	tests := []struct {
		name, frame string
		answer      int
		shown       string
	}{
		{"a close 1000 with a reason gets 1000", "88 05 03 e8 62 79 65", 1000, `* close 1000 "bye" (clean)`},
		{"a close 1001 gets 1001", "88 02 03 e9", 1001, "* close 1001 (clean)"},
		{"a close without a code gets 1000", "88 00", 1000, "* close 1005 (clean)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newFakeServer(t)
			stdin, stdinW := io.Pipe()
			t.Cleanup(func() { stdinW.Close() })
			results := startClient(context.Background(), config{}, s.url, stdin)
			p := s.handshake(t)
			p.writeHex(tt.frame)
			code, _ := p.readClose()
			assert.Equal(t, tt.answer, code)
			p.nc.Close()
			r := waitClient(t, results)
			assert.Equal(t, 0, r.code, r.stdout)
			assert.Contains(t, r.stdout, tt.shown)
		})
	}
}

// A server frame that breaks a rule, or a limit, fails the connection
// with the close code of the rule (section 7.1.7), and the client exits 1.
func TestBadServerFramesFailTheConnection(t *testing.T) {
	requireClientExercises(t)
	tests := []struct {
		name, frames string
		maxMessage   int64
		code         int
	}{
		{name: "a masked server frame (section 5.1)", frames: "81 85 37 fa 21 3d 7f 9f 4d 51 58", code: 1002},
		{name: "text that is not UTF-8 (section 8.1)", frames: "81 02 c3 28", code: 1007},
		{name: "text not UTF-8 once its fragments are joined", frames: "01 03 ce ba e1 80 02 41 42", code: 1007},
		{name: "a message over -max-message", frames: "81 05 48 65 6c 6c 6f", maxMessage: 4, code: 1009},
		{name: "fragments that add up to more than -max-message", frames: "01 03 48 65 6c 80 02 6c 6f", maxMessage: 4, code: 1009},
		{name: "a 4 GiB announced length, refused before it comes", frames: "82 7f 00 00 00 01 00 00 00 00", code: 1009},
		{name: "reserved bits set (section 5.2)", frames: "c1 02 68 69", code: 1002},
		{name: "a reserved opcode (section 5.2)", frames: "83 00", code: 1002},
		{name: "a continuation with nothing to continue (section 5.4)", frames: "80 02 6c 6f", code: 1002},
		{name: "a new message inside a fragmented one (section 5.4)", frames: "01 03 48 65 6c 81 02 6c 6f", code: 1002},
		{name: "a fragmented ping (section 5.5)", frames: "09 00", code: 1002},
		{name: "a ping of 126 bytes (section 5.5)", frames: "89 7e 00 7e", code: 1002},
		{name: "a close with a 1-byte body (section 5.5.1)", frames: "88 01 03", code: 1002},
		{name: "a close with code 1005, never sent (section 7.4)", frames: "88 02 03 ed", code: 1002},
		{name: "a close reason that is not UTF-8", frames: "88 04 03 e8 c3 28", code: 1007},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newFakeServer(t)
			results := startClient(context.Background(), config{expect: 1, maxMessage: tt.maxMessage}, s.url, nil)
			p := s.handshake(t)
			p.writeHex(tt.frames)
			code, reason := p.readClose()
			assert.Equal(t, tt.code, code, "close reason %q", reason)
			p.nc.Close()
			r := waitClient(t, results)
			assert.Equal(t, 1, r.code)
			assert.Contains(t, r.stderr, "* protocol error: ")
			assert.Empty(t, r.stdout, "nothing of a bad message is printed")
		})
	}
}

// -expect N with fewer messages: the client closes cleanly at -timeout and
// exits 1, saying how many came.
func TestExpectWithFewerMessagesExits1AtTheTimeout(t *testing.T) {
	s := newFakeServer(t)
	results := startClient(context.Background(), config{send: []string{"hi"}, expect: 2, timeout: 300e6}, s.url, nil)
	p := s.handshake(t)
	assert.Equal(t, "hi", string(p.readFrame().payload))
	p.writeHex("81 02 68 69")
	code, _ := p.readClose()
	assert.Equal(t, closeNormal, code)
	p.closeNow()
	r := waitClient(t, results)
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "< hi\n", r.stdout)
	assert.Contains(t, r.stderr, "* timeout: 1 of 2 messages within 300ms")
}

// Interactive mode: each line is a text message, commands send the other
// frames, and /close waits for the answer.
func TestInteractiveLinesAndCommands(t *testing.T) {
	s := newFakeServer(t)
	stdin := strings.NewReader("hello\n/ping hey\n/binary Hi\n//etc\n/close 4000 done\n")
	results := startClient(context.Background(), config{}, s.url, stdin)
	p := s.handshake(t)
	for _, want := range []clientFrame{
		{opcode: opText, payload: []byte("hello")},
		{opcode: opPing, payload: []byte("hey")},
		{opcode: opBinary, payload: []byte("Hi")},
		{opcode: opText, payload: []byte("/etc")},
	} {
		f := p.readFrame()
		assert.Equal(t, want.String(), f.String())
	}
	code, reason := p.readClose()
	assert.Equal(t, 4000, code)
	assert.Equal(t, "done", reason)
	p.writeHex("88 02 0f a0")
	p.nc.Close()
	r := waitClient(t, results)
	assert.Equal(t, 0, r.code, r.stdout)
	assert.Contains(t, r.stdout, "* close 4000 (clean)")
}

// Ctrl-C (ctx cancelled) is /close 1000; the end of stdin is too.
func TestInterruptClosesWith1000(t *testing.T) {
	s := newFakeServer(t)
	stdin, stdinW := io.Pipe()
	t.Cleanup(func() { stdinW.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	results := startClient(ctx, config{}, s.url, stdin)
	p := s.handshake(t)
	cancel()
	code, _ := p.readClose()
	assert.Equal(t, closeNormal, code)
	p.closeNow()
	r := waitClient(t, results)
	assert.Equal(t, 0, r.code, r.stdout)
}

// A server that never answers our close: the client gives up after
// closeTimeout, closes TCP, and exits 1.
func TestUnansweredCloseEndsAfterTheCloseTimeout(t *testing.T) {
	s := newFakeServer(t)
	results := startClient(context.Background(), config{send: []string{"x"}}, s.url, nil)
	p := s.handshake(t)
	p.readFrame()
	code, _ := p.readClose()
	require.Equal(t, closeNormal, code)
	p.expectEOF()
	r := waitClient(t, results)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "no close frame from the server within 2s")
}
