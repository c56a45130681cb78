package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkEchoLoad measures the echo server the way a client sees it: real
// TCP connections on loopback, a masked binary message out, the echoed
// frame back, again and again. By default it starts this chapter's server
// in-process (client and server then share the same CPUs and the same Go
// runtime). To measure a server running as its own process, this chapter's
// or another implementation's, give its address:
//
//	go run ./05-write-frames -addr 127.0.0.1:9201 &
//	ECHO_ADDR=127.0.0.1:9201 go test -run '^$' -bench EchoLoad ./05-write-frames
//
// With ECHO_RAW=1 as well, the client speaks plain TCP, no handshake and
// no frames: it writes the message's bytes and reads as many back. That is
// the floor to compare with, chapter 01's echo server:
//
//	go run ./01-tcp-server -addr 127.0.0.1:9202 &
//	ECHO_ADDR=127.0.0.1:9202 ECHO_RAW=1 go test -run '^$' -bench EchoLoad ./05-write-frames
//
// The sub-benchmarks are named conns=C/size=S: C connections, each in its
// own goroutine, share the b.N round trips; S is the payload size. MB/s
// counts the payload once per round trip, though it crosses loopback twice.
func BenchmarkEchoLoad(b *testing.B) {
	addr := os.Getenv("ECHO_ADDR")
	raw := os.Getenv("ECHO_RAW") == "1"
	if raw && addr == "" {
		b.Fatal("ECHO_RAW=1 needs ECHO_ADDR: the raw TCP client talks to an echo server such as chapter 01's")
	}
	if addr == "" {
		addr = startLoadServer(b)
	}
	for _, conns := range []int{1, 50} {
		for _, size := range []int{16, 64 << 10} {
			b.Run(fmt.Sprintf("conns=%d/size=%d", conns, size), func(b *testing.B) {
				benchmarkEchoLoad(b, addr, raw, conns, size)
			})
		}
	}
}

// loadTimeout bounds every read and write of the load client, so a server
// that stops answering fails the benchmark instead of hanging it.
const loadTimeout = 30 * time.Second

// startLoadServer runs serve on a fresh loopback port for the whole
// benchmark, with no log (formatting log lines is not what is measured),
// and stops it when the benchmark ends. The tests' startServer takes a
// *testing.T and checks for leaked goroutines; a benchmark needs neither.
func startLoadServer(b *testing.B) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	cfg := config{
		handshakeTimeout: 10 * time.Second,
		maxHeaderBytes:   8192,
		maxMessageSize:   16 << 20,
		log:              log.New(io.Discard, "", 0),
		grace:            time.Second,
		// The limits main sets by default: what they cost is part of the
		// measurement.
		maxConns:       10000,
		budget:         newBudget(256 << 20),
		messageTimeout: time.Minute,
		writeTimeout:   10 * time.Second,
		pingAfter:      30 * time.Second,
		pongWait:       15 * time.Second,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, cfg) }()
	b.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(loadTimeout):
			b.Error("serve did not return after shutdown")
		}
	})
	return ln.Addr().String()
}

// benchmarkEchoLoad opens conns connections (outside the timer), then runs
// b.N round trips of a size-byte message, split across them.
func benchmarkEchoLoad(b *testing.B, addr string, raw bool, conns, size int) {
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = byte(i*7 + 1)
	}
	// The message never changes, so the whole frame, masked, is built once
	// and shared read-only by every connection: the client's cost per
	// round trip is one Write and the reads.
	out := payload
	if !raw {
		out = clientFrame(0x82, payload)
	}

	clients := make([]*loadClient, 0, conns)
	defer func() {
		for _, c := range clients {
			c.close()
		}
	}()
	for range conns {
		c, err := dialLoad(addr, raw, size)
		if err != nil {
			b.Fatal(err)
		}
		clients = append(clients, c)
	}

	b.SetBytes(int64(size))
	b.ResetTimer()
	var wg sync.WaitGroup
	for i, c := range clients {
		n := b.N / conns
		if i < b.N%conns {
			n++
		}
		wg.Go(func() {
			for j := range n {
				// Check the content of the first echo only: comparing 64 KiB
				// on every round trip would put memcmp in the measurement.
				if err := c.roundTrip(out, payload, j == 0); err != nil {
					b.Error(err) // not Fatal: this is not the benchmark's goroutine
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
}

// loadClient is one connection of the load client, with its buffers.
type loadClient struct {
	conn net.Conn
	br   *bufio.Reader
	raw  bool
	in   []byte // the echoed payload, reused
}

// dialLoad connects and, unless raw, does the opening handshake with the
// key of RFC 6455's example (section 1.3).
func dialLoad(addr string, raw bool, size int) (*loadClient, error) {
	conn, err := net.DialTimeout("tcp", addr, loadTimeout)
	if err != nil {
		return nil, err
	}
	// The buffer holds a small echo whole, header and payload, so that one
	// read syscall gets it; a 64 KiB payload is read straight into c.in
	// once the buffered part is used up.
	c := &loadClient{conn: conn, br: bufio.NewReaderSize(conn, 32<<10), raw: raw, in: make([]byte, size)}
	if raw {
		return c, nil
	}
	conn.SetDeadline(time.Now().Add(loadTimeout))
	req := "GET / HTTP/1.1\r\n" +
		"Host: " + addr + "\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
		"Sec-WebSocket-Version: 13\r\n" +
		"\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		conn.Close()
		return nil, fmt.Errorf("sending the handshake: %w", err)
	}
	// Read the response head up to the empty line. Reading through br is
	// safe: a server may send a frame right after its 101, and br keeps it.
	var head strings.Builder
	for {
		line, err := c.br.ReadString('\n')
		head.WriteString(line)
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("reading the handshake response %q: %w", head.String(), err)
		}
		if line == "\r\n" {
			break
		}
	}
	if !strings.HasPrefix(head.String(), "HTTP/1.1 101") {
		conn.Close()
		return nil, fmt.Errorf("handshake refused: %q", head.String())
	}
	return c, nil
}

// roundTrip writes out (a whole frame, or raw bytes) and reads the echo of
// payload back; with check, it also compares the echoed bytes.
func (c *loadClient) roundTrip(out, payload []byte, check bool) error {
	// One deadline for the write and the reads that follow.
	c.conn.SetDeadline(time.Now().Add(loadTimeout))
	if _, err := c.conn.Write(out); err != nil {
		return fmt.Errorf("writing: %w", err)
	}
	if c.raw {
		if _, err := io.ReadFull(c.br, c.in); err != nil {
			return fmt.Errorf("reading the echo: %w", err)
		}
	} else if err := c.readMessage(); err != nil {
		return err
	}
	if check && string(c.in) != string(payload) {
		return fmt.Errorf("the echo differs from what was sent")
	}
	return nil
}

// readMessage reads one binary message of len(c.in) bytes into c.in. A
// server may send it as one frame (this chapter's does) or in fragments
// (section 5.4): gorilla/websocket's NextWriter flushes a frame each time
// its write buffer fills, so a 64 KiB echo arrives as 4 KiB frames.
func (c *loadClient) readMessage() error {
	got := 0
	for first := true; ; first = false {
		h, err := readServerHeader(c.br)
		if err != nil {
			return err
		}
		want := opContinuation
		if first {
			want = opBinary
		}
		if h.opcode != want {
			return fmt.Errorf("got opcode %#x, want %#x: the echo is one binary message", h.opcode, want)
		}
		if h.length > uint64(len(c.in)-got) {
			return fmt.Errorf("echo is longer than the %d bytes sent", len(c.in))
		}
		if _, err := io.ReadFull(c.br, c.in[got:got+int(h.length)]); err != nil {
			return fmt.Errorf("reading the echo: %w", err)
		}
		got += int(h.length)
		if h.fin {
			break
		}
	}
	if got != len(c.in) {
		return fmt.Errorf("echo is %d bytes, sent %d", got, len(c.in))
	}
	return nil
}

// close ends the connection. A WebSocket client first sends a close frame
// (code 1000, masked like any client frame) and waits, briefly, for the
// server to answer and hang up, so the server sees a clean closing
// handshake rather than a dropped connection.
func (c *loadClient) close() {
	if !c.raw {
		c.conn.SetDeadline(time.Now().Add(2 * time.Second))
		frame := clientFrame(0x88, []byte{0x03, 0xe8}) // 1000, normal closure
		if _, err := c.conn.Write(frame); err == nil {
			io.Copy(io.Discard, c.br)
		}
	}
	c.conn.Close()
}
