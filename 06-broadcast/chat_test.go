package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chatConfig is the tests' server running the chat room.
func chatConfig() config {
	cfg := testConfig()
	cfg.room, cfg.allowOrigins = chat, nil
	cfg.maxMessageSize = 4 << 10
	return cfg
}

// chatter is a test client in the chat room: a goroutine reads its frames
// with the tests' own decoder, answers pings, and hands on every text
// line; a close frame from the server is answered and its code kept.
type chatter struct {
	t      *testing.T
	name   string
	conn   net.Conn
	wmu    sync.Mutex
	lines  chan string
	closed chan int // the server's close code, once
}

// joinChat connects to the room as name (no name for ""), without an
// Origin, as a program does, and returns once the handshake is done.
func joinChat(t *testing.T, addr, name string) *chatter {
	t.Helper()
	return joinChatOn(t, dial(t, addr), addr, name)
}

// joinAnnAndBob puts ann, then bob, in the room, and reads their welcomes
// and ann's "* bob joined".
func joinAnnAndBob(t *testing.T, addr string) (ann, bob *chatter) {
	t.Helper()
	ann = joinChat(t, addr, "ann")
	ann.next()
	bob = joinChat(t, addr, "bob")
	bob.next()
	ann.expect("* bob joined")
	return ann, bob
}

// joinChatFrom is joinChat from another loopback address, such as
// 127.0.0.2: Linux routes all of 127.0.0.0/8 to loopback; elsewhere the
// test is skipped.
func joinChatFrom(t *testing.T, local, addr, name string) *chatter {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: timeout}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Skipf("cannot connect from %s (Linux routes all of 127.0.0.0/8 to loopback; this system does not): %v", local, err)
	}
	t.Cleanup(func() { conn.Close() })
	return joinChatOn(t, conn, addr, name)
}

// joinChatOn is joinChat on a connection already made.
func joinChatOn(t *testing.T, conn net.Conn, addr, name string) *chatter {
	t.Helper()
	conn.SetDeadline(time.Time{}) // each read and write below sets its own
	target := wsPath
	if name != "" {
		target += "?name=" + name
	}
	conn.SetWriteDeadline(time.Now().Add(timeout))
	_, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", target, addr)
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	conn.SetReadDeadline(time.Now().Add(timeout))
	status, err := br.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "HTTP/1.1 101 Switching Protocols\r\n", status)
	for line := ""; line != "\r\n"; {
		line, err = br.ReadString('\n')
		require.NoError(t, err)
	}
	c := &chatter{t: t, name: name, conn: conn, lines: make(chan string, 100000), closed: make(chan int, 1)}
	go c.read(br)
	return c
}

func (c *chatter) read(br *bufio.Reader) {
	defer close(c.lines)
	for {
		c.conn.SetReadDeadline(time.Now().Add(3 * timeout))
		f, err := readServerFrame(br, 1<<20)
		if err != nil {
			return
		}
		switch f.opcode {
		case opText:
			c.lines <- f.payload
		case opPing:
			c.write(clientFrame(0x8A, []byte(f.payload)))
		case opClose:
			code := 1005
			if len(f.payload) >= 2 {
				code = int(binary.BigEndian.Uint16([]byte(f.payload)))
			}
			c.closed <- code
			c.write(clientFrame(0x88, []byte(f.payload[:min(2, len(f.payload))])))
			return
		}
	}
}

func (c *chatter) write(frame []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.conn.SetWriteDeadline(time.Now().Add(timeout))
	_, err := c.conn.Write(frame)
	return err
}

// say sends a text message.
func (c *chatter) say(text string) {
	c.t.Helper()
	require.NoError(c.t, c.write(clientFrame(0x81, []byte(text))))
}

// next returns the next line from the room.
func (c *chatter) next() string {
	c.t.Helper()
	select {
	case line, ok := <-c.lines:
		if !ok {
			c.t.Fatalf("%s: the connection ended while a line was expected", c.name)
		}
		return line
	case <-time.After(timeout):
		c.t.Fatalf("%s: no line from the room within %s", c.name, timeout)
	}
	return ""
}

// expect checks that the next lines are want, in order.
func (c *chatter) expect(want ...string) {
	c.t.Helper()
	for _, w := range want {
		require.Equal(c.t, w, c.next(), "%s's next line", c.name)
	}
}

// closeCode waits for the server's close frame and returns its code.
func (c *chatter) closeCode() int {
	c.t.Helper()
	for {
		select {
		case code := <-c.closed:
			return code
		case _, ok := <-c.lines:
			if ok {
				continue // lines sent before the close: not what this waits for
			}
			select {
			case code := <-c.closed:
				return code
			default:
				c.t.Fatalf("%s: the connection ended without a close frame", c.name)
			}
		case <-time.After(timeout):
			c.t.Fatalf("%s: no close frame within %s", c.name, timeout)
		}
	}
}

// leave does the closing handshake from the client's side.
func (c *chatter) leave() {
	c.t.Helper()
	require.NoError(c.t, c.write(clientFrame(0x88, []byte{0x03, 0xe8})))
	assert.Equal(c.t, closeNormal, c.closeCode())
}

func TestChatWelcomesAnnouncesAndRelays(t *testing.T) {
	ts := startServer(t, chatConfig())
	ann := joinChat(t, ts.addr, "ann")
	ann.expect("* welcome, ann! No one else is here yet.")
	bob := joinChat(t, ts.addr, "bob")
	bob.expect("* welcome, bob! Here with you: ann.")
	ann.expect("* bob joined")

	bob.say("hi ann")
	bob.expect("bob: hi ann") // the sender sees its line too: it went through
	ann.expect("bob: hi ann")
	ann.say("你好, bob")
	ann.expect("ann: 你好, bob")
	bob.expect("ann: 你好, bob")

	bob.leave()
	ann.expect("* bob left")
	ts.logs.waitFor(t, "bob left")
}

// TestChatWelcomeNamesTenAndCountsTheRest: with 11 others in the room, the
// welcome names 10 of them, sorted, and counts the one left, so that a
// room of a thousand makes a welcome no longer than a room of eleven.
func TestChatWelcomeNamesTenAndCountsTheRest(t *testing.T) {
	ts := startServer(t, chatConfig())
	var room []string
	for i := range 11 {
		name := fmt.Sprintf("m%02d", i)
		require.True(t, strings.HasPrefix(joinChat(t, ts.addr, name).next(), "* welcome, "+name+"!"))
		room = append(room, name)
	}
	welcome := joinChat(t, ts.addr, "zed").next()
	const prefix, suffix = "* welcome, zed! Here with you (11): ", " and 1 more."
	require.True(t, strings.HasPrefix(welcome, prefix) && strings.HasSuffix(welcome, suffix), "the welcome: %q", welcome)
	names := strings.Split(strings.TrimSuffix(strings.TrimPrefix(welcome, prefix), suffix), ", ")
	assert.Len(t, names, 10, "the welcome: %q", welcome)
	assert.True(t, slices.IsSorted(names), "the welcome: %q", welcome)
	assert.Subset(t, room, names, "the welcome names only those in the room")
}

// TestChatLinesAreOneLine: a message cannot start a second line that
// passes for the room's or someone else's, nor send a terminal an escape
// sequence.
func TestChatLinesAreOneLine(t *testing.T) {
	ts := startServer(t, chatConfig())
	ann, bob := joinAnnAndBob(t, ts.addr)
	ann.say("hi\n* bob left\r\x1b[2Kbob: forged")
	bob.expect("ann: hi * bob left  [2Kbob: forged")
}

func TestAppendLine(t *testing.T) {
	tests := []struct {
		msg, want string
	}{
		{"hello, κόσμε 你好 👩‍👩‍👧", "hello, κόσμε 你好 👩‍👩‍👧"}, // the joiner inside the emoji stays
		{"a\nb\r\nc", "a b  c"},
		{"tab\there\x00\x7f", "tab here  "},
		{"\x1b[2J", " [2J"},
		{"a\u2028b\u2029c\u0085d", "a b c d"},        // line and paragraph separators, NEL (C1)
		{"\u202eevil\u202c \u2067x\u2069", "evil x"}, // bidirectional overrides and isolates
		{"", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, "ann: "+tt.want, string(appendLine([]byte("ann: "), []byte(tt.msg))), "the message %q", tt.msg)
	}
}

func TestChatNamesAreCleanAndUnique(t *testing.T) {
	ts := startServer(t, chatConfig())
	first := joinChat(t, ts.addr, "ann")
	first.expect("* welcome, ann! No one else is here yet.")
	tests := []struct {
		asked, welcome string
	}{
		{asked: "ann", welcome: "* welcome, ann-2!"},
		{asked: "ANN", welcome: "* welcome, ANN-3!"},
		{asked: "", welcome: "* welcome, guest-1!"},
		{asked: "%0A%0Dbob%3A%20hi", welcome: "* welcome, bob hi!"}, // newline, CR, "bob: hi": no forged lines
		{asked: "*+admin", welcome: "* welcome, admin!"},
		{asked: "%E6%9D%8E%E9%9B%B7", welcome: "* welcome, 李雷!"},
		{asked: "%FF%FEzed", welcome: "* welcome, zed!"}, // not UTF-8
		{asked: strings.Repeat("x", 100), welcome: "* welcome, " + strings.Repeat("x", maxNameLen) + "!"},
	}
	for _, tt := range tests {
		c := joinChat(t, ts.addr, tt.asked)
		assert.True(t, strings.HasPrefix(c.next(), tt.welcome), "asked for %q: want a welcome starting %q", tt.asked, tt.welcome)
	}
}

func TestCleanName(t *testing.T) {
	tests := []struct{ asked, want string }{
		{"ann", "ann"},
		{"  ann   lee  ", "ann lee"},
		{"ann\nbob: hi", "ann bob hi"},
		{"* ann joined", "ann joined"},
		{"ann\u200b", "ann"}, // a zero-width space would make a second "ann"
		{"Łucja_1.2-3", "Łucja_1.2-3"},
		{"\xff", ""},
		{strings.Repeat("é", 30), strings.Repeat("é", maxNameLen)},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, cleanName(tt.asked), "cleanName(%q)", tt.asked)
	}
}

func TestChatRefusesBinaryWith1003(t *testing.T) {
	ts := startServer(t, chatConfig())
	ann := joinChat(t, ts.addr, "ann")
	ann.expect("* welcome, ann! No one else is here yet.")
	require.NoError(t, ann.write(clientFrame(0x82, []byte{1, 2, 3})))
	assert.Equal(t, closeUnsupportedData, ann.closeCode())
	ts.logs.waitFor(t, "the chat takes text messages, not binary")
}

// TestChatEveryoneHearsTheSameOrder: three clients talk at once; every
// client hears every line, and all hear them in the same order, because
// one lock orders every broadcast.
func TestChatEveryoneHearsTheSameOrder(t *testing.T) {
	ts := startServer(t, chatConfig())
	const n, each = 3, 50
	var cs []*chatter
	for i := range n {
		c := joinChat(t, ts.addr, fmt.Sprintf("c%d", i))
		c.next() // welcome
		for _, earlier := range cs {
			require.Equal(t, fmt.Sprintf("* c%d joined", i), earlier.next())
		}
		cs = append(cs, c)
	}
	for _, c := range cs {
		go func() {
			for j := range each {
				if c.write(clientFrame(0x81, fmt.Appendf(nil, "%d", j))) != nil {
					return
				}
			}
		}()
	}
	var heard [][]string
	t.Cleanup(func() { t.Log(ts.logs.String()) })
	for _, c := range cs {
		var lines []string
		for range n * each {
			lines = append(lines, c.next())
		}
		heard = append(heard, lines)
	}
	for i := 1; i < n; i++ {
		assert.Equal(t, heard[0], heard[i], "c%d heard the lines in another order than c0", i)
	}
	for i := range n {
		assert.Equal(t, each, strings.Count(strings.Join(heard[0], "\n")+"\n", fmt.Sprintf("c%d: ", i)), "lines from c%d", i)
	}
}

// TestSlowConsumerIsDroppedAndTheOthersCarryOn: one client stops reading.
// Once what the kernel buffers for it is full, its queue fills; it is then
// evicted with 1008 while the others receive every line, and the room
// holds nothing more for it.
func TestSlowConsumerIsDroppedAndTheOthersCarryOn(t *testing.T) {
	cfg := chatConfig()
	cfg.roomLog = 64
	cfg.writeTimeout = 5 * time.Second
	ts := startServer(t, cfg)

	stalled := joinStalled(t, ts.addr)
	ts.logs.waitFor(t, "stalled joined")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the server's log:\n%s", ts.logs.last(20))
		}
	})
	ann, bob := joinAnnAndBob(t, ts.addr)

	line := strings.Repeat("x", 1000)
	sent, annSawItLeave := 0, false
	say := func(count int) {
		for range count {
			bob.say(line)
			sent++
			// Everyone hears every line; the news that stalled left comes
			// in between, once.
			got := ann.next()
			if got == "* stalled left" {
				annSawItLeave = true
				got = ann.next()
			}
			require.Equal(t, "bob: "+line, got, "ann's next line")
			if got = bob.next(); got == "* stalled left" {
				got = bob.next()
			}
			require.Equal(t, "bob: "+line, got, "bob's next line")
		}
	}
	evicted := false
	for !evicted && sent < 20000 { // 20 MB: far more than any socket buffers
		say(100)
		evicted = ts.logs.has("stalled is 64 messages behind the room; dropping it (close code 1008)")
	}
	require.True(t, evicted, "after %d lines of 1 KB, the client that does not read is still in the room", sent)
	if !annSawItLeave {
		ann.expect("* stalled left")
	}
	t.Logf("evicted after %d lines of 1 KB", sent)
	// When it reads at last (within the write timeout), it finds what was
	// written before it was evicted, then close 1008.
	assert.Equal(t, closePolicyViolation, stalled.closeCode())
	ts.logs.waitFor(t, "stalled left")

	// The room goes on, and keeps nothing for the evicted client.
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	say(4000) // 4 MB more
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	assert.Less(t, grew, int64(1<<20), "the heap grew by %d bytes while 4 MB went to the room", grew)
}

// joinStalled joins the room as "stalled" with a smallish receive buffer, and
// starts reading only when closeCode is called.
func joinStalled(t *testing.T, addr string) *stalledClient {
	t.Helper()
	d := net.Dialer{Timeout: timeout}
	conn, err := d.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	require.NoError(t, conn.(*net.TCPConn).SetReadBuffer(256<<10)) // small, but not below a segment: that would make reading it slow
	conn.SetDeadline(time.Now().Add(time.Minute))
	_, err = fmt.Fprintf(conn, "GET %s?name=stalled HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", wsPath, addr)
	require.NoError(t, err)
	return &stalledClient{t: t, conn: conn}
}

type stalledClient struct {
	t    *testing.T
	conn net.Conn
}

// closeCode reads everything that was queued for it, up to the close
// frame, and returns the close code.
func (s *stalledClient) closeCode() int {
	s.t.Helper()
	br := bufio.NewReader(s.conn)
	for line := "x"; line != "\r\n"; {
		var err error
		line, err = br.ReadString('\n')
		require.NoError(s.t, err)
	}
	s.conn.SetReadDeadline(time.Now().Add(timeout))
	for {
		f, err := readServerFrame(br, 1<<20)
		require.NoError(s.t, err, "reading up to the close frame")
		if f.opcode == opClose {
			require.GreaterOrEqual(s.t, len(f.payload), 2)
			return int(binary.BigEndian.Uint16([]byte(f.payload)))
		}
	}
}

// TestGoroutinesComeBackAfterClientsLeave: 100 clients join and leave;
// the server is back to the goroutines it had before: one reader and one
// writer per client, counted by what they run, so that goroutines of
// earlier tests still winding down do not count. Then 100 join again and
// the server shuts down: startServer's cleanup checks that nothing is left
// running at all.
func TestGoroutinesComeBackAfterClientsLeave(t *testing.T) {
	ts := startServer(t, chatConfig())
	probe := joinChat(t, ts.addr, "probe")
	probe.next()
	require.Equal(t, roomGoroutines{readers: 1, writers: 1}, countRoomGoroutines(), "the probe's")
	for round := range 2 {
		var cs []*chatter
		for i := range 100 {
			cs = append(cs, joinChat(t, ts.addr, fmt.Sprintf("r%dc%d", round, i)))
		}
		for range 100 {
			probe.next() // "* ... joined"
		}
		assert.Equal(t, roomGoroutines{readers: 101, writers: 101}, countRoomGoroutines(), "a reader and a writer per client")
		if round == 1 {
			return // the cleanup stops the server with them in
		}
		for _, c := range cs {
			c.leave()
		}
		for range 100 {
			probe.next() // "* ... left"
		}
		deadline := time.Now().Add(timeout)
		for countRoomGoroutines() != (roomGoroutines{readers: 1, writers: 1}) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond) // a goroutine's end cannot be waited on
		}
		require.Equal(t, roomGoroutines{readers: 1, writers: 1}, countRoomGoroutines(), "after 100 left, the probe's only")
	}
}

type roomGoroutines struct{ readers, writers int }

// countRoomGoroutines counts the goroutines of room members: connection
// goroutines in member, and writers in writeLoop.
func countRoomGoroutines() roomGoroutines {
	buf := make([]byte, 4<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var n roomGoroutines
	for _, g := range strings.Split(string(buf), "\n\n") {
		switch {
		case strings.Contains(g, ".(*hub).writeLoop("):
			n.writers++
		case strings.Contains(g, ".(*server).member("):
			n.readers++
		}
	}
	return n
}

// TestVanishedPeerLeavesWithinTheKeepaliveDeadline: a client that stops
// answering without a FIN (a laptop lid closed) is pinged, then dropped,
// and the room hears it leave.
func TestVanishedPeerLeavesWithinTheKeepaliveDeadline(t *testing.T) {
	cfg := chatConfig()
	cfg.pingAfter, cfg.pongWait = 200*time.Millisecond, 200*time.Millisecond
	ts := startServer(t, cfg)
	ann := joinChat(t, ts.addr, "ann")
	ann.next()
	joinStalled(t, ts.addr) // it never reads, never answers a ping, never closes
	ann.expect("* stalled joined")
	start := time.Now()
	ann.expect("* stalled left") // ann answers the pings, so she stays
	ts.logs.waitFor(t, "no answer to a ping within 200ms; dropping")
	t.Logf("the vanished client left %s after it went quiet (ping after 200ms, pong wait 200ms)", time.Since(start).Round(10*time.Millisecond))
}

// TestChatSurvivesBadClients: each bad client gets its close code, and the
// room goes on for everyone else.
func TestChatSurvivesBadClients(t *testing.T) {
	ts := startServer(t, chatConfig())
	ann, bob := joinAnnAndBob(t, ts.addr)
	tests := []struct {
		name string
		send []byte
		code int
	}{
		{"a message over the 4 KiB limit, announced in a 16-bit length, gets 1009", clientHeader(0x81, 5000), closeMessageTooBig},
		{"an unmasked frame gets 1002", []byte{0x81, 0x02, 'h', 'i'}, closeProtocolError},
		{"text that is not UTF-8 gets 1007", clientFrame(0x81, []byte{0xff, 0xfe}), closeInvalidPayload},
		{"binary gets 1003", clientFrame(0x82, []byte{0}), closeUnsupportedData},
		{"a 126-byte ping gets 1002", clientFrame(0x89, make([]byte, 126)), closeProtocolError},
	}
	rows := tableRows(t)
	for i, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			bad := joinChat(t, ts.addr, fmt.Sprintf("bad%d", i))
			bad.next()
			ann.expect(fmt.Sprintf("* bad%d joined", i))
			bob.expect(fmt.Sprintf("* bad%d joined", i))
			require.NoError(t, bad.write(tt.send))
			assert.Equal(t, tt.code, bad.closeCode())
			ann.expect(fmt.Sprintf("* bad%d left", i))
			bob.expect(fmt.Sprintf("* bad%d left", i))
			bob.say(fmt.Sprintf("still here %d", i))
			ann.expect(fmt.Sprintf("bob: still here %d", i))
			bob.expect(fmt.Sprintf("bob: still here %d", i))
		})
	}
}

// TestChatSurvivesAPingFlood: a client sends pings as fast as it can and
// reads nothing; the others are not held up, and the flooder is dropped
// once its pongs cannot be written.
func TestChatSurvivesAPingFlood(t *testing.T) {
	cfg := chatConfig()
	cfg.writeTimeout = 500 * time.Millisecond
	ts := startServer(t, cfg)
	ann := joinChat(t, ts.addr, "ann")
	ann.next()
	flood := joinStalled(t, ts.addr)
	ann.expect("* stalled joined")
	ping := clientFrame(0x89, make([]byte, 125))
	done := make(chan struct{})
	go func() {
		defer close(done)
		burst := bytes125x(ping, 100)
		for range 2000 { // up to 27 MB of pings
			flood.conn.SetWriteDeadline(time.Now().Add(timeout))
			if _, err := flood.conn.Write(burst); err != nil {
				return
			}
		}
	}()
	for i := range 20 {
		ann.say(fmt.Sprint(i))
		ann.expect(fmt.Sprintf("ann: %d", i))
	}
	ann.expect("* stalled left")
	<-done
}

func bytes125x(frame []byte, n int) []byte {
	out := make([]byte, 0, len(frame)*n)
	for range n {
		out = append(out, frame...)
	}
	return out
}

// TestChatPacesAFloodSoNoOneElseIsEvicted: one client sends 1 KB lines as
// fast as it can and reads its own echo; another reads slowly (a phone, a
// busy tab). Without a pace the flood would run the room's log past the
// slow reader and evict it; with one (-rate), the flooder waits, its
// lines come at the pace, and the slow reader stays.
func TestChatPacesAFloodSoNoOneElseIsEvicted(t *testing.T) {
	cfg := chatConfig()
	cfg.roomLog = 64
	cfg.rate = 50
	cfg.writeTimeout = 5 * time.Second
	ts := startServer(t, cfg)

	slow := joinSlowReader(t, ts.addr, "slow", time.Millisecond)
	ts.logs.waitFor(t, "slow joined")
	flood := joinChat(t, ts.addr, "flood")
	flood.next() // welcome
	line := strings.Repeat("x", 1000)
	const floodFor = 1500 * time.Millisecond
	start := time.Now()
	sent := 0
	for time.Since(start) < floodFor {
		if flood.write(clientFrame(0x81, []byte(line))) != nil {
			break
		}
		sent++
	}
	// What came back within the flood: the burst, then 50 a second.
	heard := 0
	for draining := true; draining; {
		select {
		case <-flood.lines:
			heard++
		default:
			draining = false
		}
	}
	allowed := clientBurst + int(float64(cfg.rate)*time.Since(start).Seconds()) + 5
	assert.LessOrEqual(t, heard, allowed, "the flooder wrote %d lines in %s; the room let more through than its pace", sent, floodFor)
	assert.Greater(t, sent, allowed, "the flood did not outrun the pace: it tests nothing")

	assert.False(t, ts.logs.has("slow is 64 messages behind the room"), "the slow reader was evicted by the flood")
	// The flooder's backlog still waits in TCP, to come at the pace; the
	// others talk meanwhile. (Shutdown ends the flooder.)
	bob := joinChat(t, ts.addr, "bob")
	bob.next()
	bob.say("still here")
	assert.Eventually(t, func() bool { return slow.saw("bob: still here") }, timeout, 10*time.Millisecond, "the slow reader is still in the room and hears bob")
}

// TestChatPacesAnAddressAsAWhole: the connections of one address share
// -rate-per-ip, so opening more connections does not multiply an
// address's pace (an attack run: 100 connections from one address, each
// at -rate, took the whole room's pace and left others seconds late).
// Nothing is dropped: the rest comes at the pace.
func TestChatPacesAnAddressAsAWhole(t *testing.T) {
	cfg := chatConfig()
	cfg.rate, cfg.roomRate = 0, 0 // only the address's pace
	cfg.ratePerIP = 40
	ts := startServer(t, cfg)
	ear := joinChat(t, ts.addr, "ear")
	ear.next()
	floods := joinFlooders(t, ts.addr, ear, 4)
	const each = 50 // 200 in all, twice the address's burst
	start := time.Now()
	for _, f := range floods {
		for range each {
			require.NoError(t, f.write(clientFrame(0x81, []byte("x"))))
		}
	}
	// What the room passed on in half a second: the burst, then 40 a second.
	heard := 0
	for window := time.After(time.Until(start.Add(500 * time.Millisecond))); window != nil; {
		select {
		case <-ear.lines:
			heard++
		case <-window:
			window = nil
		}
	}
	allowed := addressBurst + int(float64(cfg.ratePerIP)*time.Since(start).Seconds()) + 5
	assert.LessOrEqual(t, heard, allowed, "four connections of one address sent %d lines; the room passed on more than the address's pace", 4*each)
	for heard < 4*each {
		assert.Equal(t, "f", ear.next()[:1], "a flood line")
		heard++
	}
}

// TestChatSharesTheRoomsPaceOutByAddress: when the room is at its pace,
// its turns go round the addresses, not the connections, so a client
// alone on its address gets its line through after a turn or two, however
// many connections another address floods from (an attack run: 1,000
// connections from ten addresses left two clients 15 s late).
func TestChatSharesTheRoomsPaceOutByAddress(t *testing.T) {
	cfg := chatConfig()
	cfg.rate, cfg.ratePerIP = 0, 0 // only the room's pace
	cfg.roomRate = 20              // a turn every 50 ms: a slow scheduler does not let many lines by
	cfg.roomLog = 64               // a burst of 16 at once
	ts := startServer(t, cfg)
	ear := joinChat(t, ts.addr, "ear")
	ear.next()
	other := joinChatFrom(t, "127.0.0.2", ts.addr, "other")
	other.next()
	ear.expect("* other joined")
	floods := joinFlooders(t, ts.addr, ear, 20)
	for _, f := range floods {
		for range 3 { // 60 lines from 20 connections of one address
			require.NoError(t, f.write(clientFrame(0x81, []byte("flood"))))
		}
	}
	for range 20 { // the room's burst is spent: now every line waits its turn
		assert.Equal(t, "f", ear.next()[:1])
	}
	for drained := false; !drained; {
		select {
		case <-ear.lines:
		default:
			drained = true
		}
	}
	other.say("me too")
	ahead := 0
	for line := ear.next(); line != "other: me too"; line = ear.next() {
		ahead++
	}
	assert.LessOrEqual(t, ahead, 4, "flood lines the room passed on before the line of a client alone on its address")
}

// joinFlooders puts n clients, f0, f1, ..., in the room from this
// test's address, each announced to ear.
func joinFlooders(t *testing.T, addr string, ear *chatter, n int) []*chatter {
	t.Helper()
	var floods []*chatter
	for i := range n {
		f := joinChat(t, addr, fmt.Sprintf("f%d", i))
		f.next()
		ear.expect(fmt.Sprintf("* f%d joined", i))
		floods = append(floods, f)
	}
	return floods
}

// slowReader reads the room's frames one at a time, pausing after each,
// through a small receive buffer: a client that keeps up, slowly.
type slowReader struct {
	mu    sync.Mutex
	lines []string
}

func (r *slowReader) saw(line string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.lines {
		if l == line {
			return true
		}
	}
	return false
}

func joinSlowReader(t *testing.T, addr, name string, pause time.Duration) *slowReader {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, timeout)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	require.NoError(t, conn.(*net.TCPConn).SetReadBuffer(64<<10))
	conn.SetDeadline(time.Now().Add(time.Minute))
	_, err = fmt.Fprintf(conn, "GET %s?name=%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", wsPath, name, addr)
	require.NoError(t, err)
	r := &slowReader{}
	go func() {
		br := bufio.NewReader(conn)
		for line := "x"; line != "\r\n"; {
			if line, err = br.ReadString('\n'); err != nil {
				return
			}
		}
		for {
			f, err := readServerFrame(br, 1<<20)
			if err != nil || f.opcode == opClose {
				return
			}
			r.mu.Lock()
			r.lines = append(r.lines, f.payload)
			r.mu.Unlock()
			time.Sleep(pause)
		}
	}()
	return r
}
