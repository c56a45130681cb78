package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// timeout bounds every wait in these tests; nothing here should come close.
const timeout = 5 * time.Second

// logLines collects what the server logs, so tests can wait for a line.
type logLines struct {
	mu      sync.Mutex
	lines   []string      // one per log record
	changed chan struct{} // closed and replaced on every new line
}

func newLogLines() *logLines {
	return &logLines{changed: make(chan struct{})}
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	// One Write is one log record, which may span lines (a hex dump).
	l.lines = append(l.lines, strings.TrimSuffix(string(p), "\n"))
	close(l.changed)
	l.changed = make(chan struct{})
	return len(p), nil
}

// waitFor returns the first log record containing substr, waiting for it
// to appear; it fails t (the test or subtest that waits) after timeout,
// showing the last records logged.
func (l *logLines) waitFor(t testing.TB, substr string) string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		l.mu.Lock()
		for _, line := range l.lines {
			if strings.Contains(line, substr) {
				l.mu.Unlock()
				return line
			}
		}
		changed := l.changed
		l.mu.Unlock()
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("no log line containing %q; the last ones:\n%s", substr, l.last(20))
			return ""
		}
	}
}

// has reports whether a record containing substr has been logged, now.
func (l *logLines) has(substr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		if strings.Contains(line, substr) {
			return true
		}
	}
	return false
}

// last returns the last n records, one per line.
func (l *logLines) last(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines[max(0, len(l.lines)-n):], "\n")
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// testServer is the chapter's server running in-process on 127.0.0.1:0.
type testServer struct {
	addr   string
	logs   *logLines
	cancel context.CancelFunc
	done   chan error
}

// startServer starts serve on a fresh loopback port. The test's cleanup
// stops it (if the test did not) and checks that no goroutine is left.
func startServer(t *testing.T, cfg config) *testServer {
	t.Helper()
	requireTheRoomWorks(t)
	before := runtime.NumGoroutine()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	logs := newLogLines()
	if cfg.log == nil {
		cfg.log = log.New(logs, "", 0)
	}
	if cfg.grace == 0 {
		cfg.grace = time.Second
	}
	if cfg.room == nil {
		cfg.room = echoRoom
	}
	if cfg.roomLog == 0 {
		cfg.roomLog = roomLog
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{addr: ln.Addr().String(), logs: logs, cancel: cancel, done: make(chan error, 1)}
	go func() { ts.done <- serve(ctx, ln, cfg) }()
	t.Cleanup(func() {
		ts.stop(t)
		requireGoroutinesBack(t, before)
	})
	return ts
}

// requireTheRoomWorks stops a test at once while the room's exercises
// (add, take and leave in broadcast.go) do not yet pass messages on, wake
// a waiting writer, and let a client go: every server of this chapter
// needs them, and its tests would otherwise sit out their timeouts one by
// one. TestAdd..., TestTake... and TestLeave... say what is wrong.
func requireTheRoomWorks(t *testing.T) {
	t.Helper()
	// The code under test does not change while the tests run: one probe
	// is enough, and a room that hangs costs its timeout once, not once
	// per test.
	roomProbe.once.Do(func() { roomProbe.problem = runRoomProbe() })
	if roomProbe.problem != "" {
		t.Fatal(roomProbe.problem + "; write add, take and leave (broadcast_exercise.go): " +
			"go test -run 'TestAdd|TestTake|TestLeave' says what is wrong")
	}
}

var roomProbe struct {
	once    sync.Once
	problem string
}

// runRoomProbe runs probeTheRoom, turning a panic or a hang into the
// problem it reports.
func runRoomProbe() string {
	result := make(chan string, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				result <- fmt.Sprintf("the room panics: %v", r)
			}
		}()
		result <- probeTheRoom()
	}()
	select {
	case problem := <-result:
		return problem
	case <-time.After(timeout):
		return "the room hangs (does leave hold h.mu while onLeave sends?)"
	}
}

// probeTheRoom runs a client through a small room by hand and says what
// went wrong, or "".
func probeTheRoom() string {
	h := newHub(log.New(io.Discard, "", 0), 4)
	a, b := net.Pipe() // a socket whose bytes go nowhere: the room must not write to it anyway
	defer a.Close()
	defer b.Close()
	go io.Copy(io.Discard, b)
	newClient := func(name string) *client {
		c := &client{name: name, conn: &conn{netConn: a}, gone: make(chan struct{}), ended: make(chan struct{}), wrote: make(chan struct{}), drained: make(chan struct{}, 1)}
		h.clients[c] = struct{}{}
		h.names[nameKey(name)] = c
		return c
	}
	cl, other := newClient("probe"), newClient("other")
	h.onLeave = func(cl *client) { h.sendAll([]byte(cl.name + " left")) }

	_, wake := h.take(cl, make([][]byte, 0, maxBatch))
	h.sendAll([]byte("hello"))
	if wake == nil || !isDone(wake) {
		return "the room does not wake a waiting writer"
	}
	h.send(other, []byte("for the other one"))
	h.sendAll([]byte("again"))
	batch, _ := h.take(cl, make([][]byte, 0, maxBatch))
	if len(batch) != 2 || string(batch[0]) != "hello" || string(batch[1]) != "again" {
		return fmt.Sprintf("the room does not pass messages on: a client that was sent hello and again, with a line for someone else between them, got %q", batch)
	}
	h.leave(cl)
	if !isDone(cl.gone) {
		return "the room does not let a client go"
	}
	return ""
}

// stop cancels the server's context and waits for serve to return.
func (ts *testServer) stop(t *testing.T) error {
	t.Helper()
	ts.cancel()
	select {
	case err, ok := <-ts.done:
		if ok {
			close(ts.done)
		}
		return err
	case <-time.After(timeout):
		t.Fatal("serve did not return after shutdown")
		return nil
	}
}

// requireGoroutinesBack waits until the number of goroutines is back to
// what it was before the server started. Goroutine exit cannot be waited
// on directly, so this polls, with a deadline.
func requireGoroutinesBack(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("%d goroutines still running after shutdown (had %d before):\n%s", n, before, buf)
	}
}

// dial connects to the test server; every read and write on the returned
// connection has a deadline, so a test never hangs.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, timeout)
	require.NoError(t, err)
	require.NoError(t, conn.SetDeadline(time.Now().Add(timeout)))
	t.Cleanup(func() { conn.Close() })
	return conn
}

// readN reads exactly n bytes or returns what it got and the error.
func readN(conn net.Conn, n int) ([]byte, error) {
	buf := make([]byte, n)
	got, err := io.ReadFull(conn, buf)
	return buf[:got], err
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
