package main

import (
	"bytes"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServerEchoesWhatTheClientSends(t *testing.T) {
	ts := startServer(t, config{})
	conn := dial(t, ts.addr)

	_, err := conn.Write([]byte("hello, websocket"))
	require.NoError(t, err)
	got, err := readN(conn, len("hello, websocket"))
	require.NoError(t, err)
	assertSameBytes(t, "hello, websocket", string(got))

	// A second write on the same connection comes back too.
	_, err = conn.Write([]byte{0x81, 0x85, 0x00, 0xff})
	require.NoError(t, err)
	got, err = readN(conn, 4)
	require.NoError(t, err)
	assertSameBytes(t, []byte{0x81, 0x85, 0x00, 0xff}, got)
}

func TestServerGivesEachOfAHundredConcurrentClientsItsOwnBytes(t *testing.T) {
	ts := startServer(t, config{})
	const clients = 100
	type result struct {
		id   int
		sent []byte
		got  []byte
		err  error
	}
	results := make(chan result, clients)
	for id := range clients {
		conn := dial(t, ts.addr)
		go func() {
			// 64 KiB per client, a pattern no other client sends.
			msg := bytes.Repeat([]byte(fmt.Sprintf("client %03d|", id)), 64*1024/11)
			r := result{id: id, sent: msg}
			errs := make(chan error, 1)
			go func() {
				_, err := conn.Write(msg)
				errs <- err
			}()
			r.got, r.err = readN(conn, len(msg))
			if werr := <-errs; r.err == nil {
				r.err = werr
			}
			results <- r
		}()
	}
	// A mistake in echo usually hits every client alike: say how many
	// failed and show the first, not a hundred copies of one failure.
	failed, first := 0, result{}
	for range clients {
		r := <-results
		if r.err != nil || !bytes.Equal(r.sent, r.got) {
			if failed == 0 {
				first = r
			}
			failed++
		}
	}
	if failed > 0 {
		which := fmt.Sprintf("%d of %d clients failed; the first, client %d", failed, clients, first.id)
		if assert.NoError(t, first.err, which) {
			assertSameBytes(t, first.sent, first.got, which+", did not get its own bytes back")
		}
	}
}

func TestServerServesOthersWhileAClientStaysSilent(t *testing.T) {
	ts := startServer(t, config{})
	// The silent client connects and sends nothing. A server that reads
	// each connection in turn (the select() loop of the article on
	// isnowfy/python-websocket blocks in recv()) would wait for it forever.
	silent := dial(t, ts.addr)
	_, err := silent.Write(nil)
	require.NoError(t, err)
	ts.logs.waitFor(t, fmt.Sprintf("%s connected", silent.LocalAddr()))

	other := dial(t, ts.addr)
	_, err = other.Write([]byte("anyone there?"))
	require.NoError(t, err)
	got, err := readN(other, len("anyone there?"))
	require.NoError(t, err, "the second client is served while the first says nothing")
	assertSameBytes(t, "anyone there?", string(got))
}

func TestServerKeepsServingWhenAClientDisconnectsMidWrite(t *testing.T) {
	ts := startServer(t, config{})
	steady := dial(t, ts.addr)

	// The rude client sends a lot without reading its echo, then resets the
	// connection (SO_LINGER 0 makes Close send RST instead of FIN).
	rude := dial(t, ts.addr)
	_, err := rude.Write(bytes.Repeat([]byte("x"), 256*1024))
	require.NoError(t, err)
	require.NoError(t, rude.(*net.TCPConn).SetLinger(0))
	require.NoError(t, rude.Close())
	ts.logs.waitFor(t, fmt.Sprintf("%s closed after echoing", rude.LocalAddr()))

	for _, conn := range []net.Conn{steady, dial(t, ts.addr)} {
		_, err = conn.Write([]byte("still here?"))
		require.NoError(t, err)
		got, err := readN(conn, len("still here?"))
		require.NoError(t, err)
		assertSameBytes(t, "still here?", string(got))
	}
}

func TestServerShutdownLetsOpenConnectionsFinish(t *testing.T) {
	ts := startServer(t, config{grace: timeout})
	conn := dial(t, ts.addr)
	_, err := conn.Write([]byte("before"))
	require.NoError(t, err)
	_, err = readN(conn, len("before"))
	require.NoError(t, err)

	ts.cancel()
	ts.logs.waitFor(t, "shutting down: 1 connection(s) open")

	// New connections are refused once the listener is closed...
	if late, err := net.DialTimeout("tcp", ts.addr, timeout); err == nil {
		late.Close()
		t.Error("the server still accepts connections after shutdown began")
	}
	// ...but the open one is still served during the grace period.
	_, err = conn.Write([]byte("during"))
	require.NoError(t, err)
	got, err := readN(conn, len("during"))
	require.NoError(t, err)
	assertSameBytes(t, "during", string(got))

	require.NoError(t, conn.Close())
	assert.NoError(t, ts.stop(t))
	assert.Contains(t, ts.logs.waitFor(t, "stopped:"), "served 1 connection(s)")
	assert.NotContains(t, ts.logs.String(), "grace period over", "the connection finished on its own")
}

func TestServerShutdownClosesConnectionsAfterTheGracePeriod(t *testing.T) {
	ts := startServer(t, config{grace: 50 * time.Millisecond})
	idle := []net.Conn{dial(t, ts.addr), dial(t, ts.addr)}
	// Make sure the server has accepted both before shutting down.
	for _, conn := range idle {
		ts.logs.waitFor(t, fmt.Sprintf("%s connected", conn.LocalAddr()))
	}

	assert.NoError(t, ts.stop(t))
	assert.Contains(t, ts.logs.waitFor(t, "grace period over"), "closing 2 connection(s)")
	assert.Contains(t, ts.logs.waitFor(t, "stopped:"), "served 2 connection(s)")
	for _, conn := range idle {
		_, err := conn.Read(make([]byte, 1))
		assert.Error(t, err, "the server closed the idle connection")
	}
}
