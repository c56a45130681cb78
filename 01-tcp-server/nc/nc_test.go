package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// timeout bounds every wait in these tests; nothing here comes close.
const timeout = 5 * time.Second

// peer is the server end of one connection, run by a test: handle gets
// the accepted connection and its result comes back on result.
type peer struct {
	addr   string
	result chan []string
}

// listen starts a listener on 127.0.0.1:0 that accepts one connection and
// hands it to handle, which returns what it read (a piece per read). It
// runs in its own goroutine, so it reports problems by returning them, not
// with require.
func listen(t *testing.T, handle func(conn net.Conn) []string) peer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	p := peer{addr: ln.Addr().String(), result: make(chan []string, 1)}
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			p.result <- []string{"accept: " + err.Error()}
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(timeout))
		p.result <- handle(conn)
	}()
	return p
}

// readN reads until it has n bytes, one piece per read.
func readN(conn net.Conn, n int) []string {
	var pieces []string
	buf := make([]byte, 1024)
	for got := 0; got < n; {
		k, err := conn.Read(buf)
		pieces = append(pieces, string(buf[:k]))
		got += k
		if err != nil {
			return append(pieces, "read: "+err.Error())
		}
	}
	return pieces
}

// runNC runs the client in-process and returns what it printed.
func runNC(t *testing.T, cfg config, stdin string) (stdout, stderr string) {
	t.Helper()
	var out, errs bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := run(ctx, cfg, strings.NewReader(stdin), &out, &errs)
	require.NoError(t, err, "stderr:\n%s", errs.String())
	require.NoError(t, ctx.Err(), "nc ran into the test's timeout; stderr:\n%s", errs.String())
	return out.String(), errs.String()
}

// received waits for what the test's server read.
func received(t *testing.T, p peer) []string {
	t.Helper()
	select {
	case got := <-p.result:
		return got
	case <-time.After(timeout):
		t.Fatal("the test's server did not finish")
		return nil
	}
}

func TestDecodeEscapesGivesTheBytesAGoStringWould(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []byte
	}{
		{"plain text stays as it is", "hello", []byte{'h', 'e', 'l', 'l', 'o'}},
		{`\r\n is carriage return, line feed`, `hi\r\n`, []byte{'h', 'i', 0x0d, 0x0a}},
		{`\x81\x85 is two bytes, not UTF-8`, `\x81\x85`, []byte{0x81, 0x85}},
		{`\u00e9 is é in UTF-8`, `caf\u00e9`, []byte{'c', 'a', 'f', 0xc3, 0xa9}},
		{`\t and \\ and \"`, `a\tb\\c\"d`, []byte{'a', 0x09, 'b', '\\', 'c', '"', 'd'}},
		{"a bare quote is a quote", `say "hi"`, []byte{'s', 'a', 'y', ' ', '"', 'h', 'i', '"'}},
		{`\' is a quote too`, `it\'s`, []byte{'i', 't', '\'', 's'}},
		{"a real newline is a newline", "a\nb", []byte{'a', 0x0a, 'b'}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeEscapes(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestDecodeEscapesRefusesWhatGoRefuses(t *testing.T) {
	for _, in := range []string{`\q`, `\x8`, `ends in \`} {
		_, err := decodeEscapes(in)
		assert.Error(t, err, "%s", in)
	}
}

func TestParseArgs(t *testing.T) {
	cfg, err := parseArgs(nil, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "localhost:9001", cfg.addr, "the default address")
	assert.Equal(t, 2*time.Second, cfg.wait, "the default -wait")

	cfg, err = parseArgs([]string{"-send", `a\n`, "-send", `\x81`, "-gap", "1s", "-x", "-crlf", "-wait", "3s", "example.com:80"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, config{
		addr:  "example.com:80",
		sends: [][]byte{{'a', 0x0a}, {0x81}},
		gap:   time.Second,
		crlf:  true,
		hex:   true,
		wait:  3 * time.Second,
	}, cfg)

	cfg, err = parseArgs([]string{"-addr", "127.0.0.1:19001"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:19001", cfg.addr, "-addr, as the chapters take it")

	var usage bytes.Buffer
	_, err = parseArgs([]string{"a:1", "b:2"}, &usage)
	assert.Error(t, err, "two addresses")
	assert.Contains(t, usage.String(), "usage: go run ./01-tcp-server/nc")
	_, err = parseArgs([]string{"-send", `\q`}, io.Discard)
	assert.Error(t, err, "an unknown escape")
}

func TestSendWritesTheDecodedBytes(t *testing.T) {
	// A masked text frame "Hello", written out in escapes.
	p := listen(t, func(conn net.Conn) []string { return readN(conn, 11) })
	_, stderr := runNC(t, config{addr: p.addr, sends: mustDecode(t, `\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58`), wait: timeout}, "")

	got := strings.Join(received(t, p), "")
	assert.Equal(t, []byte{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}, []byte(got))
	assert.Contains(t, stderr, "nc: connected to "+p.addr)
	assert.Contains(t, stderr, "nc: closed by the server")
}

func TestTwoSendsWithAGapArriveAsTwoReads(t *testing.T) {
	p := listen(t, func(conn net.Conn) []string { return readN(conn, 6) })
	runNC(t, config{addr: p.addr, sends: mustDecode(t, "one", "two"), gap: 300 * time.Millisecond, wait: timeout}, "")
	assert.Equal(t, []string{"one", "two"}, received(t, p))
}

func TestStdinLinesAreSentWithCRLF(t *testing.T) {
	want := "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
	p := listen(t, func(conn net.Conn) []string { return readN(conn, len(want)) })
	runNC(t, config{addr: p.addr, crlf: true, wait: timeout}, "GET / HTTP/1.1\nHost: localhost\n\n")
	assert.Equal(t, want, strings.Join(received(t, p), ""))
}

func TestRepliesArePrintedUntilTheServerCloses(t *testing.T) {
	p := listen(t, func(conn net.Conn) []string {
		conn.Write([]byte("first\n"))
		conn.Write([]byte("bye\n"))
		return nil // and close
	})
	// -wait is long: only the server closing ends this in time.
	stdout, stderr := runNC(t, config{addr: p.addr, wait: time.Hour}, "")
	received(t, p)
	assert.Equal(t, "first\nbye\n", stdout)
	assert.Equal(t, "nc: connected to "+p.addr+"\nnc: closed by the server\n", stderr)
}

func TestRepliesEndWhenNothingComesForWait(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	p := listen(t, func(conn net.Conn) []string {
		conn.Write([]byte("hi\n"))
		<-release // stay open, silent
		return nil
	})
	stdout, stderr := runNC(t, config{addr: p.addr, wait: 50 * time.Millisecond}, "")
	assert.Equal(t, "hi\n", stdout)
	assert.Contains(t, stderr, "nc: nothing more after 50ms\n")
}

func TestHexDumpLooksLikeHexdumpC(t *testing.T) {
	var out bytes.Buffer
	d := &hexDump{w: &out}
	d.Write([]byte("\x81\x05Hello"))
	d.Write([]byte("0123456789abcdefXY"))
	want := "" +
		"00000000  81 05 48 65 6c 6c 6f                              |..Hello|\n" +
		"00000007  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|\n" +
		"00000017  58 59                                             |XY|\n"
	assert.Equal(t, want, out.String())
}

func TestHexFlagDumpsTheReplies(t *testing.T) {
	p := listen(t, func(conn net.Conn) []string {
		conn.Write([]byte{0x81, 0x05, 'H', 'e', 'l', 'l', 'o'}) // an unmasked server frame
		return nil
	})
	stdout, _ := runNC(t, config{addr: p.addr, hex: true, wait: time.Hour}, "")
	received(t, p)
	assert.Equal(t, "00000000  81 05 48 65 6c 6c 6f                              |..Hello|\n", stdout)
}

func TestDialFailureIsAnError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close() // nobody listens there now

	var out, errs bytes.Buffer
	err = run(context.Background(), config{addr: addr, wait: timeout}, strings.NewReader(""), &out, &errs)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot connect to "+addr)
	assert.Empty(t, out.String())
}

func mustDecode(t *testing.T, sends ...string) [][]byte {
	t.Helper()
	var decoded [][]byte
	for _, s := range sends {
		b, err := decodeEscapes(s)
		require.NoError(t, err)
		decoded = append(decoded, b)
	}
	return decoded
}
