//go:build linux

package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tcpPair returns both ends of a loopback TCP connection: the client's as
// a wsConn after its handshake, the server's raw. Kernel buffers let each
// side write without waiting for the other to read.
func tcpPair(t *testing.T) (*wsConn, net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	client, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	server, err := l.Accept()
	require.NoError(t, err)
	deadline := time.Now().Add(5 * time.Second)
	client.SetDeadline(deadline)
	server.SetDeadline(deadline)
	t.Cleanup(func() { client.Close(); server.Close() })
	return &wsConn{conn: client, br: bufio.NewReader(client)}, server
}

// readClientFrame decodes one masked client frame by hand (RFC 6455
// section 5.2): its first byte, and its unmasked payload.
func readClientFrame(t *testing.T, r io.Reader) (byte, []byte) {
	t.Helper()
	var head [2]byte
	_, err := io.ReadFull(r, head[:])
	require.NoError(t, err)
	require.NotZero(t, head[1]&0x80, "a client frame must be masked")
	n := uint64(head[1] & 0x7F)
	switch n {
	case 126:
		var ext [2]byte
		_, err = io.ReadFull(r, ext[:])
		n = uint64(binary.BigEndian.Uint16(ext[:]))
	case 127:
		var ext [8]byte
		_, err = io.ReadFull(r, ext[:])
		n = binary.BigEndian.Uint64(ext[:])
	}
	require.NoError(t, err)
	var key [4]byte
	_, err = io.ReadFull(r, key[:])
	require.NoError(t, err)
	payload := make([]byte, n)
	_, err = io.ReadFull(r, payload)
	require.NoError(t, err)
	for i := range payload {
		payload[i] ^= key[i%4]
	}
	return head[0], payload
}

func TestAcceptKeyMatchesTheRFCExample(t *testing.T) {
	// RFC 6455 section 1.3.
	assert.Equal(t, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", acceptKey("dGhlIHNhbXBsZSBub25jZQ=="))
}

func TestWriteFrameMasksEachLengthForm(t *testing.T) {
	for _, size := range []int{0, 5, 125, 126, 65535, 65536} {
		c, server := tcpPair(t)
		payload := bytes.Repeat([]byte("ab"), size/2+1)[:size]
		require.NoError(t, c.writeFrame(opText, payload))
		first, got := readClientFrame(t, server)
		assert.Equal(t, byte(0x81), first, "size %d: FIN and text", size)
		assert.Equal(t, payload, got, "size %d: the payload unmasked", size)
	}
}

func TestReadMessagesAssemblesFragmentsAndAnswersPings(t *testing.T) {
	c, server := tcpPair(t)
	long := bytes.Repeat([]byte("x"), 256)
	huge := bytes.Repeat([]byte("y"), 65536)
	var wire []byte
	wire = append(wire, 0x81, 0x05, 'H', 'e', 'l', 'l', 'o') // RFC 6455 section 5.7
	wire = append(wire, 0x01, 0x03, 'H', 'e', 'l')           // the same, in two fragments
	wire = append(wire, 0x89, 0x02, 'h', 'i')                // a ping between them
	wire = append(wire, 0x80, 0x02, 'l', 'o')
	wire = append(append(wire, 0x81, 0x7E, 0x01, 0x00), long...)             // 16-bit length
	wire = append(append(wire, 0x81, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0), huge...) // 64-bit length
	wire = append(wire, 0x88, 0x02, 0x03, 0xF0)                              // close 1008
	_, err := server.Write(wire)
	require.NoError(t, err)

	var got []string
	err = c.readMessages(func(msg []byte) { got = append(got, string(msg)) })
	var closed *closeError
	require.ErrorAs(t, err, &closed)
	assert.Equal(t, 1008, closed.code)
	assert.Equal(t, []string{"Hello", "Hello", string(long), string(huge)}, got)

	first, payload := readClientFrame(t, server)
	assert.Equal(t, byte(0x8A), first, "the ping is answered with a pong")
	assert.Equal(t, "hi", string(payload), "the pong carries the ping's payload")
	first, payload = readClientFrame(t, server)
	assert.Equal(t, byte(0x88), first, "the close is answered")
	assert.Equal(t, []byte{0x03, 0xF0}, payload)
}

func TestReadMessagesRefusesAMaskedServerFrame(t *testing.T) {
	c, server := tcpPair(t)
	_, err := server.Write([]byte{0x81, 0x85, 1, 2, 3, 4, 'H', 'e', 'l', 'l', 'o'})
	require.NoError(t, err)
	assert.ErrorIs(t, c.readMessages(func([]byte) {}), errMasked)
}

func TestReceivedFindsTokensInEitherServersLines(t *testing.T) {
	r := newRoom(2, 3)
	r.want.Store(6)
	m := &member{seen: make([]bool, 6)}
	r.received(m, []byte("c0: tok:0:0:100;"))                      // ours: one line, the name first
	r.received(m, []byte("tok:0:1:100;\ntok:1:2:100;\nhello"))     // gorilla's: lines packed into one message
	r.received(m, []byte("c1: tok:1:2:100;"))                      // a duplicate
	r.received(m, []byte("tok:9:0:1; tok:0:7:1; tok:0:x:1; tok:")) // out of range or malformed
	assert.EqualValues(t, 3, m.got.Load())
	assert.EqualValues(t, 3, r.delivered.Load())
	assert.EqualValues(t, 1, r.duplicates.Load())
	assert.True(t, m.seen[0] && m.seen[1] && m.seen[5], "messages 0:0, 0:1 and 1:2 seen")
	assert.EqualValues(t, 1, r.arrivals[5].Load())
}

func TestPercentileIsTheNearestRank(t *testing.T) {
	values := make([]time.Duration, 100)
	for i := range values {
		values[i] = time.Duration(i + 1)
	}
	assert.Equal(t, time.Duration(50), percentile(values, 50))
	assert.Equal(t, time.Duration(99), percentile(values, 99))
	assert.Equal(t, time.Duration(1), percentile(values[:1], 99))
}
