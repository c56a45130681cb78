package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"log"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests of what the server owes its other clients: memory taken only as
// bytes arrive and within a budget, a deadline on every wait, keepalive, a
// cap on connections, a log that cannot block it. Each replays an attack in
// miniature: a handful of connections and limits small enough for a test.

// closeCode reads the next server frame, requires it to be a close frame
// and returns its code.
func closeCode(t *testing.T, conn net.Conn) int {
	t.Helper()
	f := readFrame(t, conn)
	require.Equal(t, opClose, f.opcode, "a close frame")
	require.GreaterOrEqual(t, len(f.payload), 2, "a close frame with a code")
	return int(binary.BigEndian.Uint16([]byte(f.payload)))
}

func TestReadMessageTakesMemoryAsBytesArriveNotAsAnnounced(t *testing.T) {
	// 16 MiB announced, 10 bytes sent, then the peer is gone.
	wire := append(clientHeader(0x82, 16<<20), make([]byte, 10)...)
	c, _ := testConn(bytes.NewReader(wire), 16<<20)
	_, _, err := c.readMessage()
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.LessOrEqual(t, cap(c.msg), firstMessageBuffer,
		"the buffer is sized by what arrived (10 bytes), not by what the header promised (16 MiB)")
}

func TestReadMessageClosesWith1013WhenTheBudgetHasNoRoom(t *testing.T) {
	payload := bytes.Repeat([]byte("x"), 200<<10)
	c, _ := testConn(bytes.NewReader(clientFrame(0x82, payload)), 1<<20)
	c.budget = newBudget(64 << 10)
	_, _, err := c.readMessage()
	assert.Equal(t, errServerBusy, err, "200 KiB does not fit in a 64 KiB budget")
	assert.LessOrEqual(t, c.budget.peak.Load(), int64(64<<10), "the budget is never exceeded")
	c.releaseMessageBuffer()
	assert.Zero(t, c.budget.used.Load(), "what the conn took goes back")
}

func TestReadMessageGivesALargeBufferBackAfterItsMessage(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 300<<10)
	c, _ := testConn(bytes.NewReader(concat(clientFrame(0x82, big), clientFrame(0x81, []byte("small")))), 1<<20)
	c.budget = newBudget(1 << 20)
	_, msg, err := c.readMessage()
	require.NoError(t, err)
	require.Len(t, msg, len(big))
	assert.Positive(t, c.budget.used.Load(), "a 300 KiB message takes from the budget")

	_, msg, err = c.readMessage()
	require.NoError(t, err)
	assert.Equal(t, "small", string(msg))
	assert.LessOrEqual(t, cap(c.msg), keepMessageBuffer, "the 300 KiB buffer is not kept for a 5-byte message (nextHeader gives it back between messages, when c.msg has been reset to empty)")
	assert.Zero(t, c.budget.used.Load(), "and its memory is back in the budget")
}

func TestServerKeepsWithinItsBudgetWhileClientsStall(t *testing.T) {
	cfg := testConfig()
	cfg.maxMessageSize = 1 << 20
	cfg.budget = newBudget(256 << 10)
	cfg.messageTimeout = timeout / 2
	ts := startServer(t, cfg)

	// Each staller announces 1 MiB and sends 100 KiB: a 128 KiB buffer,
	// 124 KiB of it from the budget. Two fit in 256 KiB, the third does not.
	stall := append(clientHeader(0x82, 1<<20), make([]byte, 100<<10)...)
	for i := 1; i <= 2; i++ {
		openWebSocket(t, ts.addr, stall)
		require.Eventually(t, func() bool { return cfg.budget.used.Load() >= int64(i)*(100<<10) }, timeout, time.Millisecond,
			"staller %d holds its 100 KiB", i)
	}
	third := openWebSocket(t, ts.addr, stall)
	assert.Equal(t, closeTryAgainLater, closeCode(t, third), "no room for the third: 1013, try again later")
	assert.LessOrEqual(t, cfg.budget.peak.Load(), int64(256<<10), "the budget is never exceeded")

	// A well-behaved client keeps echoing through it: small messages use
	// the connection's own first buffer, not the budget.
	probe := openWebSocket(t, ts.addr, nil)
	for range 3 {
		_, err := probe.Write(textFrame("still here"))
		require.NoError(t, err)
		assert.Equal(t, message{opText, "still here"}, readFrame(t, probe))
	}
	ts.logs.waitFor(t, "the server's memory for messages is in use; try again later")
}

func TestServerRefusedStallerGets1013(t *testing.T) {
	cfg := testConfig()
	cfg.maxMessageSize = 1 << 20
	cfg.budget = newBudget(64 << 10)
	ts := startServer(t, cfg)
	conn := openWebSocket(t, ts.addr, append(clientHeader(0x82, 1<<20), make([]byte, 100<<10)...))
	assert.Equal(t, closeTryAgainLater, closeCode(t, conn))
	requireServerCloses(t, conn)
	assert.Eventually(t, func() bool { return cfg.budget.used.Load() == 0 }, timeout, 10*time.Millisecond,
		"the closed connection's memory goes back to the budget")
}

func TestServerDropsAMessageThatStallsHalfWay(t *testing.T) {
	tests := []struct {
		name string
		sent []byte
	}{
		{"one byte of a frame header", []byte{0x81}},
		{"a header that announces 100 bytes, and 10 of them", append(clientHeader(0x82, 100), make([]byte, 10)...)},
		{"a first fragment, and no more", clientFrame(0x01, []byte("Hel"))},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.messageTimeout = 100 * time.Millisecond
			ts := startServer(t, cfg)
			conn := openWebSocket(t, ts.addr, tt.sent)
			assert.Equal(t, closePolicyViolation, closeCode(t, conn))
			requireServerCloses(t, conn)
			ts.logs.waitFor(t, "message not complete within the time the server allows")
		})
	}
}

func TestServerPingsAQuietPeerAndDropsItWhenNothingComesBack(t *testing.T) {
	cfg := testConfig()
	cfg.pingAfter = 50 * time.Millisecond
	cfg.pongWait = 50 * time.Millisecond
	ts := startServer(t, cfg)
	conn := openWebSocket(t, ts.addr, nil)
	assert.Equal(t, message{opPing, ""}, readFrame(t, conn), "a keepalive ping after a quiet while")
	requireServerCloses(t, conn)
	ts.logs.waitFor(t, "no answer to a ping within 50ms; dropping")
}

func TestServerKeepsAPeerThatAnswersItsPings(t *testing.T) {
	cfg := testConfig()
	cfg.pingAfter = 50 * time.Millisecond
	cfg.pongWait = 100 * time.Millisecond
	ts := startServer(t, cfg)
	conn := openWebSocket(t, ts.addr, nil)
	for range 3 {
		assert.Equal(t, message{opPing, ""}, readFrame(t, conn))
		_, err := conn.Write(pongFrame(nil))
		require.NoError(t, err)
	}
	_, err := conn.Write(textFrame("hi"))
	require.NoError(t, err)
	for {
		f := readFrame(t, conn) // a ping may come before the echo
		if f.opcode != opPing {
			assert.Equal(t, message{opText, "hi"}, f)
			break
		}
	}
	assert.NotContains(t, ts.logs.String(), "no answer to a ping")
}

func TestServerDropsAClientThatNeverReads(t *testing.T) {
	cfg := testConfig()
	cfg.maxMessageSize = 4 << 20
	cfg.writeTimeout = 100 * time.Millisecond
	ts := startServer(t, cfg)
	conn := openWebSocket(t, ts.addr, nil)
	conn.(*net.TCPConn).SetReadBuffer(4096)

	// Send 4 MiB messages and never read the echoes: the echoes fill the
	// socket buffers, and the server's write cannot finish.
	frame := binaryFrame(make([]byte, 4<<20))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 8 {
			if _, err := conn.Write(frame); err != nil {
				return // the server gave up on us: what this test wants
			}
		}
	}()
	ts.logs.waitFor(t, "not reading: a write took longer than 100ms; dropping")
	conn.Close()
	wg.Wait()
}

func TestServerAnswers503PastItsConnectionCap(t *testing.T) {
	cfg := testConfig()
	cfg.maxConns = 2
	ts := startServer(t, cfg)
	first := openWebSocket(t, ts.addr, nil)
	second := openWebSocket(t, ts.addr, nil)

	resp, body := roundTrip(t, ts.addr, wsRequest)
	assert.Equal(t, 503, resp.StatusCode)
	assert.Equal(t, "5", resp.Header.Get("Retry-After"))
	assert.Contains(t, body, "too many connections")

	for _, conn := range []net.Conn{first, second} {
		_, err := conn.Write(textFrame("still served"))
		require.NoError(t, err)
		assert.Equal(t, message{opText, "still served"}, readFrame(t, conn))
	}
}

func TestShutdownGivesASilentClientTheCloseTimeoutNotTheGracePeriod(t *testing.T) {
	cfg := testConfig()
	cfg.grace = time.Minute // far longer than the test's timeout
	ts := startServer(t, cfg)
	conn := openWebSocket(t, ts.addr, nil)
	stopped := make(chan error, 1)
	go func() { stopped <- ts.stop(t) }()
	assert.Equal(t, closeGoingAway, closeCode(t, conn))
	// The client says nothing more. The server waits closeTimeout (2 s)
	// for its close frame, not the minute of grace.
	requireServerCloses(t, conn)
	assert.NoError(t, <-stopped)
	ts.logs.waitFor(t, "no close frame within 2s of ours; closing")
}

func TestFailWaitsTheWholeCloseTimeoutForTheClientsClose(t *testing.T) {
	ts := startServer(t, testConfig())
	conn := openWebSocket(t, ts.addr, textFrame("\xff"))
	assert.Equal(t, closeInvalidPayload, closeCode(t, conn))
	// A rule broken at a frame boundary: the server reads on for our close
	// frame, for closeTimeout (2 s). A client that answers after 1.5 s is
	// still in time, and its close is read: the handshake ends cleanly.
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(1500*time.Millisecond)))
	_, err := conn.Read(make([]byte, 1))
	require.ErrorIs(t, err, os.ErrDeadlineExceeded, "the server must still be waiting for our close")
	require.NoError(t, conn.SetDeadline(time.Now().Add(timeout)))
	_, err = conn.Write(closeFrame([]byte{0x03, 0xef}))
	require.NoError(t, err)
	requireServerCloses(t, conn)
	ts.logs.waitFor(t, "the client answered our close (or hung up)")
}

func TestFailShutsItsSideWhenTheWaitForACloseMeetsABrokenFrame(t *testing.T) {
	ts := startServer(t, testConfig())
	conn := openWebSocket(t, ts.addr, nil)
	// Text that is not UTF-8 breaks a rule at a frame boundary: the server
	// sends 1007 and reads on for our close frame. What comes instead is an
	// unmasked frame, then bytes that are never read. Closing with them
	// unread would send RST, and a reset can destroy the close frame.
	junk := concat(textFrame("\xff"), []byte{0x81, 0x05}, []byte("Hello"), make([]byte, 256<<10))
	go conn.Write(junk)
	assert.Equal(t, closeInvalidPayload, closeCode(t, conn))
	_, err := conn.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF, "FIN, not a reset (%v)", err)
	assert.False(t, errors.Is(err, syscall.ECONNRESET))
}

func TestAStuckLogDoesNotStopHandshakes(t *testing.T) {
	out := &blockedWriter{release: make(chan struct{})}
	logs := newLogQueue(out, 4)
	cfg := testConfig()
	cfg.log = log.New(logs, "", 0)
	ts := startServer(t, cfg)
	for range 20 {
		conn := openWebSocket(t, ts.addr, textFrame("hi"))
		assert.Equal(t, message{opText, "hi"}, readFrame(t, conn))
		conn.Close()
	}
	close(out.release)
	ts.stop(t)
	logs.Close(timeout)
	assert.Contains(t, out.String(), "log records dropped")
}

func TestAMessageSlowerThanTheBufferHoldStillArrivesWithinItsTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.messageTimeout = timeout
	ts := startServer(t, cfg)
	conn := openWebSocket(t, ts.addr, nil)
	frame := textFrame("slow but within the message timeout")
	_, err := conn.Write(frame[:10])
	require.NoError(t, err)
	// The pause is the point of the test: the socket's read deadline was
	// set for the one-second buffer hold (keepBuffersFor) and fires in the
	// middle of the message. That is no timeout: the message's own, longer
	// one applies (deadline.go).
	time.Sleep(keepBuffersFor + keepBuffersFor/2)
	_, err = conn.Write(frame[10:])
	require.NoError(t, err)
	assert.Equal(t, message{opText, "slow but within the message timeout"}, readFrame(t, conn))
}

func TestAQuietConnectionGivesItsBuffersBack(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	client := dial(t, ln.Addr().String())
	server, err := ln.Accept()
	require.NoError(t, err)
	defer server.Close()
	// The first reader reads through a counter, so the test can see
	// whether later bytes still come through it.
	through := &countingReader{r: server}
	first := bufio.NewReader(through)
	c := newConn(server, first, 1<<20)

	_, err = client.Write(textFrame("hello"))
	require.NoError(t, err)
	_, msg, err := c.readMessage()
	require.NoError(t, err)
	require.Equal(t, "hello", string(msg))
	assert.True(t, c.br == first, "a busy connection keeps its reader")
	before := through.n // readMessage runs on this goroutine: no race

	// Quiet for longer than keepBuffersFor: the pause is what is tested.
	go func() {
		time.Sleep(keepBuffersFor + keepBuffersFor/2)
		client.Write(textFrame("again"))
	}()
	_, msg, err = c.readMessage()
	require.NoError(t, err)
	assert.Equal(t, "again", string(msg), "the byte the idle wait read is not lost")
	assert.Equal(t, before, through.n, "the reader was given back while quiet: the next message came through a reader taken again, not the first one")
	assert.LessOrEqual(t, cap(c.msg), len("again"), "a new message buffer, sized by what arrived")
}
