package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testTimeout bounds every wait of a test: a read, an accept, the client's
// exit.
const testTimeout = 5 * time.Second

// result is how a client run ended.
type result struct {
	code           int
	stdout, stderr string
}

// startClient runs the client in-process against url, with the flags set in
// cfg, and sends back how it ended.
func startClient(ctx context.Context, cfg config, url string, stdin io.Reader) <-chan result {
	cfg.url = url
	if cfg.timeout == 0 {
		cfg.timeout = testTimeout
	}
	if cfg.maxMessage == 0 {
		cfg.maxMessage = 16 << 20
	}
	results := make(chan result, 1)
	go func() {
		var stdout, stderr bytes.Buffer
		code := run(ctx, cfg, stdin, &stdout, &stderr)
		results <- result{code, stdout.String(), stderr.String()}
	}()
	return results
}

// waitClient waits for the client to exit.
func waitClient(t *testing.T, results <-chan result) result {
	t.Helper()
	select {
	case r := <-results:
		return r
	case <-time.After(testTimeout + 3*closeTimeout):
		require.FailNow(t, "the client did not exit")
		return result{}
	}
}

// fakeServer is the test's own server: raw bytes on 127.0.0.1, decoded by
// the test's own code.
type fakeServer struct {
	ln     *net.TCPListener
	url    string
	target string // the request target the client must send
}

func newFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	requireClientExercises(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	return &fakeServer{ln: ln.(*net.TCPListener), url: "ws://" + ln.Addr().String() + "/chat?room=1", target: "/chat?room=1"}
}

// requireClientExercises stops a test that talks to a server when the
// client's exercises (the accept check and masking) do not give RFC 6455's
// answers yet: one line then, instead of a failure at every step. Their
// own tests say what is wrong.
func requireClientExercises(t *testing.T) {
	t.Helper()
	const key, accept = "dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" // section 1.3
	var wrong []string
	if acceptKey(key) != accept {
		wrong = append(wrong, "acceptKey")
	}
	if checkAccept(accept, key) != nil {
		wrong = append(wrong, "checkAccept")
	}
	hello := []byte("Hello")
	mask([4]byte{0x37, 0xfa, 0x21, 0x3d}, hello)
	if hex.EncodeToString(hello) != "7f9f4d5158" { // section 5.7
		wrong = append(wrong, "mask")
	}
	frame := appendClientFrame(nil, opText, [4]byte{0x37, 0xfa, 0x21, 0x3d}, []byte("Hello"))
	if hex.EncodeToString(frame) != "818537fa213d7f9f4d5158" { // section 5.7
		wrong = append(wrong, "appendClientFrame")
	}
	if len(wrong) > 0 {
		t.Fatalf("not run: it needs the client's exercises, and %s do not give the RFC's answers yet (their tests say why)",
			strings.Join(wrong, ", "))
	}
}

// peer is the server's side of one connection.
type peer struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

// accept takes the client's connection and reads its request, checking
// what section 4.1 requires of it. It returns the request's headers.
func (s *fakeServer) accept(t *testing.T) (*peer, map[string]string) {
	t.Helper()
	s.ln.SetDeadline(time.Now().Add(testTimeout))
	nc, err := s.ln.Accept()
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	p := &peer{t: t, nc: nc, br: bufio.NewReader(nc)}
	nc.SetReadDeadline(time.Now().Add(testTimeout))
	line, err := p.br.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "GET "+s.target+" HTTP/1.1\r\n", line)
	headers := map[string]string{}
	for {
		line, err := p.br.ReadString('\n')
		require.NoError(t, err)
		require.True(t, strings.HasSuffix(line, "\r\n"), "header lines end in CR LF: %q", line)
		if line == "\r\n" {
			break
		}
		name, value, ok := strings.Cut(strings.TrimSuffix(line, "\r\n"), ": ")
		require.True(t, ok, "a header line: %q", line)
		headers[strings.ToLower(name)] = value
	}
	assert.Equal(t, s.ln.Addr().String(), headers["host"])
	assert.Equal(t, "websocket", headers["upgrade"])
	assert.Equal(t, "Upgrade", headers["connection"])
	assert.Equal(t, "13", headers["sec-websocket-version"])
	nonce, err := base64.StdEncoding.DecodeString(headers["sec-websocket-key"])
	assert.NoError(t, err, "the key is base64")
	assert.Len(t, nonce, 16, "the key is 16 bytes (section 4.1)")
	return p, headers
}

// rfcAccept computes the accept value the test's way.
func rfcAccept(key string) string {
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// handshake accepts the client and answers its request with a 101.
func (s *fakeServer) handshake(t *testing.T) *peer {
	t.Helper()
	p, headers := s.accept(t)
	p.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + rfcAccept(headers["sec-websocket-key"]) + "\r\n\r\n")
	return p
}

func (p *peer) write(s string) {
	p.t.Helper()
	p.nc.SetWriteDeadline(time.Now().Add(testTimeout))
	_, err := io.WriteString(p.nc, s)
	require.NoError(p.t, err)
}

// writeHex sends hand-written bytes: "81 05 48 65 6c 6c 6f".
func (p *peer) writeHex(hexBytes string) {
	p.t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(hexBytes, " ", ""))
	require.NoError(p.t, err)
	p.write(string(b))
}

// clientFrame is a client frame as the test's decoder reads it, payload
// unmasked.
type clientFrame struct {
	fin     bool
	rsv     byte
	opcode  byte
	masked  bool
	key     [4]byte
	payload []byte
}

func (f clientFrame) String() string {
	return fmt.Sprintf("opcode %#x payload %q", f.opcode, f.payload)
}

// readFrame reads and unmasks the client's next frame, with the test's
// own decoder (section 5.2), and checks the rules of a client frame.
func (p *peer) readFrame() clientFrame {
	p.t.Helper()
	p.nc.SetReadDeadline(time.Now().Add(testTimeout))
	var f clientFrame
	head := p.read(2)
	f.fin, f.rsv, f.opcode, f.masked = head[0]&0x80 != 0, head[0]&0x70, head[0]&0x0f, head[1]&0x80 != 0
	length := uint64(head[1] & 0x7f)
	switch length {
	case 126:
		length = uint64(binary.BigEndian.Uint16(p.read(2)))
	case 127:
		length = binary.BigEndian.Uint64(p.read(8))
	}
	require.True(p.t, f.masked, "every client frame is masked (section 5.1)")
	require.Less(p.t, length, uint64(1<<20), "a test frame this long is a decoding error")
	copy(f.key[:], p.read(4))
	f.payload = p.read(int(length))
	for i := range f.payload {
		f.payload[i] ^= f.key[i%4]
	}
	assert.True(p.t, f.fin, "this client does not fragment")
	assert.Zero(p.t, f.rsv, "no extension, no RSV bits")
	return f
}

func (p *peer) read(n int) []byte {
	p.t.Helper()
	b := make([]byte, n)
	_, err := io.ReadFull(p.br, b)
	require.NoError(p.t, err)
	return b
}

// readClose reads the client's next frame, which must be a close frame,
// and returns its code and reason.
func (p *peer) readClose() (int, string) {
	p.t.Helper()
	f := p.readFrame()
	require.Equal(p.t, opClose, f.opcode, "expected a close frame, got %v", f)
	require.GreaterOrEqual(p.t, len(f.payload), 2, "the close frame has a code")
	return int(binary.BigEndian.Uint16(f.payload)), string(f.payload[2:])
}

// closeNow answers the client's close with 1000 and ends TCP, as a server
// does (section 7.1.1).
func (p *peer) closeNow() {
	p.t.Helper()
	p.writeHex("88 02 03 e8")
	p.nc.Close()
}

// expectEOF waits for the client to close TCP.
func (p *peer) expectEOF() {
	p.t.Helper()
	p.nc.SetReadDeadline(time.Now().Add(testTimeout))
	_, err := p.br.ReadByte()
	require.ErrorIs(p.t, err, io.EOF, "the client closes TCP")
}

// rows runs the rows of a table test, and stops after the third row that
// fails: a wrong solution tends to fail many rows the same way, and three
// of them say so while the output still fits on a screen.
type rows struct {
	t              *testing.T
	failed, notRun int
}

func tableRows(t *testing.T) *rows {
	r := &rows{t: t}
	t.Cleanup(func() {
		if r.notRun > 0 {
			t.Logf("%d more rows not run after %d failed: fix those first", r.notRun, r.failed)
		}
	})
	return r
}

// run runs one row as a subtest, unless three have failed already.
func (r *rows) run(name string, f func(t *testing.T)) {
	if r.failed >= 3 {
		r.notRun++
		return
	}
	if !r.t.Run(name, f) {
		r.failed++
	}
}
