package main

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
)

// scriptedConn plays a client: each Read returns the next chunk, then
// io.EOF (or readErr); everything written is collected.
type scriptedConn struct {
	chunks      [][]byte
	readErr     error
	endWithLast bool // return the last chunk together with io.EOF (or readErr), as Read may
	written     bytes.Buffer
	writeErr    error
}

func (c *scriptedConn) Read(p []byte) (int, error) {
	if len(c.chunks) == 0 {
		if c.readErr != nil {
			return 0, c.readErr
		}
		return 0, io.EOF
	}
	n := copy(p, c.chunks[0])
	c.chunks[0] = c.chunks[0][n:]
	if len(c.chunks[0]) == 0 {
		c.chunks = c.chunks[1:]
	}
	if len(c.chunks) == 0 && c.endWithLast {
		if c.readErr != nil {
			return n, c.readErr
		}
		return n, io.EOF
	}
	return n, nil
}

func (c *scriptedConn) Write(p []byte) (int, error) {
	if c.writeErr != nil {
		return 0, c.writeErr
	}
	return c.written.Write(p)
}

func TestEchoWritesBackEveryChunkUntilEOF(t *testing.T) {
	tests := []struct {
		name   string
		chunks []string
		want   string
	}{
		{"one chunk comes back as it was", []string{"hello"}, "hello"},
		{"chunks come back in order", []string{"hel", "lo, ", "world"}, "hello, world"},
		{"binary bytes come back untouched", []string{"\x00\xff\r\n\x81\x85"}, "\x00\xff\r\n\x81\x85"},
		{"a client that sends nothing gets nothing", nil, ""},
		{"a chunk larger than any buffer comes back whole", []string{string(bytes.Repeat([]byte("0123456789abcdef"), 10000))}, string(bytes.Repeat([]byte("0123456789abcdef"), 10000))},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			c := &scriptedConn{}
			for _, chunk := range tt.chunks {
				c.chunks = append(c.chunks, []byte(chunk))
			}
			n, err := echo(c)
			assert.NoError(t, err, "EOF is the client closing, not an error")
			assertSameBytes(t, tt.want, c.written.String())
			assert.Equal(t, int64(len(tt.want)), n)
		})
	}
}

func TestEchoWritesBytesThatArriveTogetherWithEOF(t *testing.T) {
	// io.Reader allows a Read to return n > 0 and io.EOF at once; those n
	// bytes are data like any other.
	c := &scriptedConn{chunks: [][]byte{[]byte("first, "), []byte("last")}, endWithLast: true}
	n, err := echo(c)
	assert.NoError(t, err)
	assertSameBytes(t, "first, last", c.written.String())
	assert.Equal(t, int64(11), n)
}

func TestEchoReturnsReadAndWriteErrors(t *testing.T) {
	reset := errors.New("connection reset by peer")
	c := &scriptedConn{chunks: [][]byte{[]byte("abc")}, readErr: reset}
	n, err := echo(c)
	assert.ErrorIs(t, err, reset, "a read error other than EOF is reported")
	assert.Equal(t, int64(3), n, "bytes echoed before the error are counted")
	assertSameBytes(t, "abc", c.written.String())

	// A Read may return data and an error at once: the data came, and is
	// echoed before the error is reported.
	c = &scriptedConn{chunks: [][]byte{[]byte("abc")}, readErr: reset, endWithLast: true}
	n, err = echo(c)
	assert.ErrorIs(t, err, reset, "the error that came with the last bytes is reported")
	assertSameBytes(t, "abc", c.written.String())
	assert.Equal(t, int64(3), n, "the bytes that came with the error are echoed and counted")

	broken := errors.New("broken pipe")
	c = &scriptedConn{chunks: [][]byte{[]byte("abc")}, writeErr: broken}
	n, err = echo(c)
	assert.ErrorIs(t, err, broken, "a write error is reported")
	assert.Equal(t, int64(0), n, "a failed write echoed nothing: count bytes once Write has succeeded")
}
