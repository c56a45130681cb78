//go:build linux

package main

// The attacks, and what they share: attack connections that remember what
// the server did to them, and the report of it.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// Bounds of the attack clients.
const (
	dialTimeout      = 5 * time.Second   // connect and handshake of one attack connection
	sendTimeout      = 120 * time.Second // writing, or reading back, one big message
	openWorkers      = 20                // connections opened at the same time
	watchLimit       = 10 * time.Minute  // the longest a watcher reads, whatever happens
	finalRead        = 3 * time.Second   // noread: how long it reads at the end
	maxWatchedFrames = 100_000           // frames a watcher reads before it gives up
)

// attackConn is one hostile client and what the server did to it.
type attackConn struct {
	c       *wsConn   // nil when it never got its 101
	openErr error     // why not: an HTTP status, a timeout, a refused connect
	sendErr error     // the attack's own write failed: the server had given up on it
	quietAt time.Time // when it stopped sending and went silent

	// Written by watch; read only after done is closed.
	done     chan struct{}
	endedAt  time.Time // when the server ended the connection; zero: still open
	endedBy  string    // "close 1009", "closed (FIN)", "reset"
	pings    int       // ping frames from the server, never answered
	received int64     // payload bytes of data frames from the server: echoes
}

// openConn connects and does the handshake. A connection that got its 101
// and sends nothing more is quiet from then on.
func openConn(addr string, o dialOptions) *attackConn {
	c, err := dialWebSocket(addr, o)
	return &attackConn{c: c, openErr: err, quietAt: time.Now(), done: make(chan struct{})}
}

// openConns opens n attack connections, openWorkers at a time.
func openConns(ctx context.Context, addr string, n int, o dialOptions) []*attackConn {
	conns := make([]*attackConn, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(openWorkers, n) {
		wg.Go(func() {
			for i := range next {
				if ctx.Err() != nil {
					conns[i] = &attackConn{openErr: ctx.Err(), done: make(chan struct{})}
					continue
				}
				conns[i] = openConn(addr, o)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return conns
}

// upgraded returns the connections that got their 101.
func upgraded(conns []*attackConn) []*attackConn {
	var up []*attackConn
	for _, ac := range conns {
		if ac.c != nil {
			up = append(up, ac)
		}
	}
	return up
}

// send writes parts, then the connection is quiet. A failed write means
// the server had already ended the connection, or stopped reading.
func (ac *attackConn) send(parts ...[]byte) {
	ac.c.SetWriteDeadline(time.Now().Add(sendTimeout))
	bufs := net.Buffers(parts)
	if _, err := bufs.WriteTo(ac.c); err != nil {
		ac.sendErr = err
		return
	}
	ac.quietAt = time.Now()
}

// startWatching reads whatever the server sends, for at most limit, in a
// goroutine, until the server ends the connection or stopWatching.
func (ac *attackConn) startWatching(limit time.Duration) {
	ac.c.SetReadDeadline(time.Now().Add(limit))
	go ac.watch()
}

// stopWatching ends the watch (the read deadline passes at once) and waits
// for it.
func (ac *attackConn) stopWatching() {
	ac.c.SetReadDeadline(time.Now())
	<-ac.done
}

// watch is the attacker's reader: it answers nothing, not even a ping (a
// ping would make an honest client answer with a pong, section 5.5.2; this
// one is silent), and notes how the server ended the connection, if it did.
func (ac *attackConn) watch() {
	defer close(ac.done)
	for range maxWatchedFrames {
		f, err := readServerFrame(ac.c.br)
		if err == nil {
			err = ac.consume(f)
		}
		if err != nil {
			ac.noteEnd(err)
			return
		}
	}
}

// consume reads past the payload of the frame f: it counts pings and data
// bytes, and a close frame ends it with closeError.
func (ac *attackConn) consume(f serverFrame) error {
	switch f.opcode {
	case opPing:
		ac.pings++
	case opClose:
		payload, err := readControlPayload(ac.c.br, f)
		if err != nil {
			return err
		}
		return &closeError{closeCode(payload)}
	}
	if f.length > 1<<40 {
		return fmt.Errorf("frame of %d bytes", f.length)
	}
	n, err := io.CopyN(io.Discard, ac.c.br, int64(f.length))
	if f.opcode < opClose {
		ac.received += n
	}
	return err
}

// noteEnd records how reading ended: our own deadline means the server
// left the connection open; anything else is the server ending it.
func (ac *attackConn) noteEnd(err error) {
	if isTimeout(err) {
		return
	}
	ac.endedAt = time.Now()
	ac.endedBy = describe(err)
}

// readMessage reads one whole data message from the server (its frames up
// to FIN), payload discarded, and returns its size.
func (ac *attackConn) readMessage() (int64, error) {
	before := ac.received
	for range maxFramesPerMessage {
		f, err := readServerFrame(ac.c.br)
		if err == nil {
			err = ac.consume(f)
		}
		if err != nil {
			return ac.received - before, err
		}
		if f.opcode < opClose && f.fin {
			return ac.received - before, nil
		}
	}
	return ac.received - before, fmt.Errorf("no end of message after %d frames", maxFramesPerMessage)
}

func stopWatchingAll(conns []*attackConn) {
	for _, ac := range upgraded(conns) {
		ac.stopWatching()
	}
}

func closeAll(conns []*attackConn) {
	for _, ac := range upgraded(conns) {
		ac.c.Close()
	}
}

// bigMessage is one masked binary frame, header and payload, built once
// and shared by every connection of an attack. They all use the same
// masking key, which an honest client would not do (section 5.3 wants a
// fresh key per frame) but which the server cannot tell, and it saves a
// 16 MiB buffer per connection on this side.
type bigMessage struct {
	header  []byte
	payload []byte
}

func newBigMessage(size int) bigMessage {
	key := newMaskKey()
	payload := make([]byte, size) // zeros, masked: the key over and over
	maskBytes(key, payload)
	return bigMessage{appendFrameHeader(nil, opBinary, uint64(size), key), payload}
}

// connSummary counts what happened to an attack's connections.
type connSummary struct {
	tried, upgraded int
	notUpgraded     tally // why not: "HTTP 503", "handshake timeout"...
	sendFailed      tally // the attack's writes that failed
	endedBy         tally // "close 1009", "closed (FIN)", "reset"
	endedQuiet      []time.Duration
	endedSending    int // ended before the client was done sending
	open            int
	pings, pinged   int   // ping frames, connections that got at least one
	pingsBeforeEnd  []int // of each connection the server ended
	received        int64
}

func summarize(conns []*attackConn) connSummary {
	sum := connSummary{tried: len(conns), notUpgraded: tally{}, sendFailed: tally{}, endedBy: tally{}}
	for _, ac := range conns {
		if ac.c == nil {
			sum.notUpgraded.add(describe(ac.openErr))
			continue
		}
		sum.upgraded++
		sum.countEnd(ac)
	}
	return sum
}

func (sum *connSummary) countEnd(ac *attackConn) {
	if ac.sendErr != nil {
		sum.sendFailed.add(describe(ac.sendErr))
	}
	sum.pings += ac.pings
	if ac.pings > 0 {
		sum.pinged++
	}
	sum.received += ac.received
	switch {
	case ac.endedAt.IsZero():
		sum.open++
		return
	case ac.sendErr != nil || ac.endedAt.Before(ac.quietAt):
		sum.endedSending++
	default:
		sum.endedQuiet = append(sum.endedQuiet, ac.endedAt.Sub(ac.quietAt))
	}
	sum.endedBy.add(ac.endedBy)
	sum.pingsBeforeEnd = append(sum.pingsBeforeEnd, ac.pings)
}

func (sum connSummary) ended() int { return sum.endedBy.total() }

// report prints the summary. readOnlyAtEnd: the connections were read
// only at the end, so when the server ended them is not known.
func (sum connSummary) report(s *session, readOnlyAtEnd bool) {
	line := fmt.Sprintf("attack connections: %d of %d got their 101", sum.upgraded, sum.tried)
	if sum.upgraded < sum.tried {
		line += "; the others: " + sum.notUpgraded.String()
	}
	s.say("%s", line)
	if sum.sendFailed.total() > 0 {
		s.say("attack writes that failed: %s", sum.sendFailed)
	}
	s.say("ended by the server: %d (%s)%s", sum.ended(), sum.endedBy, sum.timing(readOnlyAtEnd))
	s.say("still open at the end: %d", sum.open)
	s.say("ping frames from the server: %d, on %d connections (the attackers never answer)%s", sum.pings, sum.pinged, sum.pingsNote())
	if sum.received > 0 {
		s.say("data received from the server (echoes): %.1f MiB in all%s", float64(sum.received)/(1<<20), sum.readWhen(readOnlyAtEnd))
	}
}

// pingsNote says how many unanswered pings the ended connections had
// received, when there were pings at all: a server that pings for
// keepalive ends a connection after so many unanswered ones.
func (sum connSummary) pingsNote() string {
	if sum.pings == 0 || len(sum.pingsBeforeEnd) == 0 {
		return ""
	}
	p := slices.Sorted(slices.Values(sum.pingsBeforeEnd))
	return fmt.Sprintf("; the ended connections had received %d to %d pings (median %d)", p[0], p[len(p)-1], p[len(p)/2])
}

func (sum connSummary) readWhen(readOnlyAtEnd bool) string {
	if readOnlyAtEnd {
		return fmt.Sprintf(", in the %s of reading at the end", finalRead)
	}
	return ""
}

// timing says when the connections ended, relative to the moment each
// went quiet.
func (sum connSummary) timing(readOnlyAtEnd bool) string {
	switch {
	case sum.ended() == 0:
		return ""
	case readOnlyAtEnd:
		return fmt.Sprintf("; found ended when read for %s at the end of the hold", finalRead)
	}
	s := ""
	if sum.endedSending > 0 {
		s = fmt.Sprintf("; %d while the client was still sending", sum.endedSending)
	}
	if len(sum.endedQuiet) > 0 {
		d := slices.Sorted(slices.Values(sum.endedQuiet))
		s += fmt.Sprintf("; %d after going quiet: median %.1f s after, first %.1f s, last %.1f s",
			len(d), d[len(d)/2].Seconds(), d[0].Seconds(), d[len(d)-1].Seconds())
	}
	return s
}

// outcome is the summary in a few words, for the final table.
func (sum connSummary) outcome() string {
	if sum.upgraded == 0 {
		return "none upgraded (" + sum.notUpgraded.String() + ")"
	}
	s := fmt.Sprintf("%d/%d ended by server", sum.ended(), sum.upgraded)
	if sum.ended() > 0 {
		s += " (" + sum.endedBy.String() + ")"
	}
	return s + fmt.Sprintf(", %d open", sum.open)
}

// mibString formats a size in bytes as MiB.
func mibString(size int) string {
	return fmt.Sprintf("%g MiB", float64(size)/(1<<20))
}

// attackStall: every client announces a big message and sends all of it
// but the last byte. The server has allocated the whole message (the
// length is announced up front, section 5.2) and waits for the byte that
// never comes.
func attackStall(ctx context.Context, s *session) string {
	n, size, hold := s.count(200), s.opts.size, s.holdFor(20*time.Second)
	msg := newBigMessage(size)
	s.say("%d clients each announce one %s binary message in a single masked frame (%d-byte header), send all of it but the last byte, then go quiet (they read, never write); hold %s",
		n, mibString(size), len(msg.header), hold)
	conns := openConns(ctx, s.addr, n, dialOptions{timeout: dialTimeout})
	start := time.Now()
	var wg sync.WaitGroup
	for _, ac := range upgraded(conns) {
		ac.startWatching(watchLimit)
		wg.Go(func() { ac.send(msg.header, msg.payload[:size-1]) })
	}
	wg.Wait()
	s.say("all sent in %.1f s; holding %s", time.Since(start).Seconds(), hold)
	sleep(ctx, hold)
	stopWatchingAll(conns)
	defer closeAll(conns)
	sum := summarize(conns)
	sum.report(s, false)
	return sum.outcome()
}

// attackNoRead: every client sends a whole big message and never reads the
// echo. With a tiny receive buffer the echo cannot go anywhere: the
// server's write blocks, and the message it holds stays in its memory.
func attackNoRead(ctx context.Context, s *session) string {
	const recvBuffer = 4096
	n, size, hold := s.count(100), s.opts.size, s.holdFor(20*time.Second)
	s.say("%d clients with SO_RCVBUF %d (set before connecting) each send one %s binary message, then never read; hold %s, then read what came",
		n, recvBuffer, mibString(size), hold)
	conns := openConns(ctx, s.addr, n, dialOptions{timeout: dialTimeout, recvBuffer: recvBuffer})
	msg := newBigMessage(size)
	start := time.Now()
	var wg sync.WaitGroup
	for _, ac := range upgraded(conns) {
		wg.Go(func() { ac.send(msg.header, msg.payload) })
	}
	wg.Wait()
	s.say("all sent in %.1f s; holding %s without reading", time.Since(start).Seconds(), hold)
	sleep(ctx, hold)
	rss, _ := s.server.rss.at(time.Now())
	s.say("server RSS at the end of the hold: %.1f MiB", rss)

	// Only now read, for at most finalRead: the echo, then a close frame
	// or the end of the connection, if the server ended it.
	for _, ac := range upgraded(conns) {
		ac.startWatching(finalRead)
	}
	for _, ac := range upgraded(conns) {
		<-ac.done
	}
	defer closeAll(conns)
	sum := summarize(conns)
	sum.report(s, true)
	return sum.outcome()
}

// attackIdleBig: every client exchanges one big message, then sits idle.
// Does the server keep a message-sized buffer per idle connection?
func attackIdleBig(ctx context.Context, s *session) string {
	n, size, hold := s.count(100), s.opts.size, s.holdFor(20*time.Second)
	s.say("%d clients each send one %s binary message, read the whole echo, then sit idle; hold %s",
		n, mibString(size), hold)
	conns := openConns(ctx, s.addr, n, dialOptions{timeout: dialTimeout})
	msg := newBigMessage(size)
	start := time.Now()
	var wg sync.WaitGroup
	for _, ac := range upgraded(conns) {
		wg.Go(func() { ac.exchange(msg) })
	}
	wg.Wait()
	exchanged := time.Now()
	s.say("all exchanged in %.1f s (%d complete echoes)", exchanged.Sub(start).Seconds(), completeEchoes(conns, size))
	for _, ac := range upgraded(conns) {
		if ac.sendErr == nil {
			ac.startWatching(watchLimit)
		}
	}
	s.say("server RSS while idle: %s", rssTimeline(ctx, s, exchanged, hold))
	for _, ac := range upgraded(conns) {
		if ac.sendErr == nil {
			ac.stopWatching()
		}
	}
	defer closeAll(conns)
	sum := summarize(conns)
	sum.report(s, false)
	rss, _ := s.server.rss.at(time.Now())
	return fmt.Sprintf("RSS %.0f MiB after %s idle; %s", rss, hold, sum.outcome())
}

// exchange sends msg and reads its echo; a failure is kept in sendErr.
func (ac *attackConn) exchange(msg bigMessage) {
	ac.send(msg.header, msg.payload)
	if ac.sendErr != nil {
		return
	}
	ac.c.SetReadDeadline(time.Now().Add(sendTimeout))
	if _, err := ac.readMessage(); err != nil {
		ac.sendErr = err
		ac.noteEnd(err)
		return
	}
	ac.quietAt = time.Now()
}

func completeEchoes(conns []*attackConn, size int) int {
	n := 0
	for _, ac := range upgraded(conns) {
		if ac.sendErr == nil && ac.received == int64(size) {
			n++
		}
	}
	return n
}

// rssTimeline waits out the hold and returns the server's RSS at its
// start and at a quarter, half and all of it (5, 10, 20 s of 20 s).
func rssTimeline(ctx context.Context, s *session, from time.Time, hold time.Duration) string {
	var parts []string
	for _, mark := range []time.Duration{0, hold / 4, hold / 2, hold} {
		if !sleep(ctx, time.Until(from.Add(mark))) && ctx.Err() != nil {
			break
		}
		rss, _ := s.server.rss.at(time.Now())
		parts = append(parts, fmt.Sprintf("%.1f MiB at %s", rss, mark))
	}
	return strings.Join(parts, ", ")
}

// headerOnlyPause gives the server time to read a header (and allocate
// the message it announces) before the next connection.
const headerOnlyPause = 20 * time.Millisecond

// attackHeaderOnly: clients send only a frame header announcing a big
// message. A server that allocates the announced length up front spends
// it per header; under an address-space limit that ends the process.
func attackHeaderOnly(ctx context.Context, s *session) string {
	n, size, hold := s.count(200), s.opts.size, s.holdFor(5*time.Second)
	header := appendFrameHeader(nil, opBinary, uint64(size), newMaskKey())
	s.say("up to %d clients, one by one (%s apart), each send only a %d-byte frame header announcing a %s masked binary message (FIN set), nothing else; hold %s if the server survives",
		n, headerOnlyPause, len(header), mibString(size), hold)
	var conns []*attackConn
	for range n {
		if ctx.Err() != nil || !s.server.alive() {
			break
		}
		ac := openConn(s.addr, dialOptions{timeout: dialTimeout})
		conns = append(conns, ac)
		if ac.c == nil {
			continue
		}
		ac.startWatching(watchLimit)
		ac.send(header)
		sleep(ctx, headerOnlyPause)
	}
	outcome := headerOnlyFate(ctx, s, conns, hold)
	stopWatchingAll(conns)
	defer closeAll(conns)
	sum := summarize(conns)
	sum.report(s, false)
	return outcome
}

// headerOnlyFate says whether the server survived the header-only
// connections, and after how many it died.
func headerOnlyFate(ctx context.Context, s *session, conns []*attackConn, hold time.Duration) string {
	sent := 0
	for _, ac := range upgraded(conns) {
		if ac.sendErr == nil {
			sent++
		}
	}
	if s.server.alive() {
		s.say("the server survived all %d connections (%d headers sent); holding %s", len(conns), sent, hold)
		sleep(ctx, hold)
		if s.server.alive() {
			return fmt.Sprintf("survived %d header-only conns", sent)
		}
	}
	<-s.server.exited
	closedBefore := 0
	for _, ac := range upgraded(conns) {
		if !ac.endedAt.IsZero() && ac.endedAt.Before(s.server.exitedAt.Add(-headerOnlyPause)) {
			closedBefore++
		}
	}
	s.say("the server DIED after %d header-only connections had sent their header (%d of them closed by the server before that): %s",
		sent, closedBefore, describeExit(s.server.state))
	reason := describeExit(s.server.state)
	if crash := s.server.crashReason(); crash != "" {
		reason += ", " + crash
	}
	return fmt.Sprintf("died after %d headers (%s)", sent, reason)
}

// attackIdle: connections that complete the handshake and then say
// nothing, more of them than the server has file descriptors. Can a fresh
// client still get in? Does the server ever let the idle ones go?
func attackIdle(ctx context.Context, s *session) string {
	n, hold := s.count(300), s.holdFor(30*time.Second)
	s.say("%d clients complete the handshake, then send nothing; then %d fresh clients try a handshake and one echo; hold %s",
		n, s.opts.lateProbes, hold)
	s.say("server limits: %s", s.server.openFilesLimit())
	conns := openConns(ctx, s.addr, n, dialOptions{timeout: dialTimeout})
	for _, ac := range upgraded(conns) {
		ac.startWatching(watchLimit)
	}
	s.say("idle connections: %d of %d got their 101; server holds %s", len(upgraded(conns)), n, s.server.openFDs())
	fresh := tryFreshClients(ctx, s.addr, s.opts.lateProbes)
	s.say("fresh clients (%d at once): %s", s.opts.lateProbes, fresh)
	s.say("holding %s", hold)
	sleep(ctx, hold)
	stopWatchingAll(conns)
	defer closeAll(conns)
	sum := summarize(conns)
	sum.report(s, false)
	return fmt.Sprintf("%d/%d fresh served; %d/%d idle ended by server", fresh["served"], s.opts.lateProbes, sum.ended(), sum.upgraded)
}

// tryFreshClients runs n honest clients at once, each a handshake and one
// echo, and counts how they fared: "served", or what went wrong.
func tryFreshClients(ctx context.Context, addr string, n int) tally {
	results := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if ctx.Err() != nil {
				results[i] = "not tried"
				return
			}
			results[i] = serveOnce(addr)
		})
	}
	wg.Wait()
	counts := tally{}
	for _, r := range results {
		counts.add(r)
	}
	return counts
}

// serveOnce is one honest client: a handshake, one echo, goodbye.
func serveOnce(addr string) string {
	c, err := dialWebSocket(addr, dialOptions{timeout: dialTimeout})
	if err != nil {
		return describe(err)
	}
	defer c.Close()
	if _, err := c.echo(probeMessage, dialTimeout); err != nil {
		return describe(err)
	}
	return "served"
}

// openFilesLimit is the server's "Max open files" from /proc/PID/limits:
// the Go runtime raises the soft limit to the hard one at start-up, so
// this is what it really has.
func (c *child) openFilesLimit() string {
	limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", c.cmd.Process.Pid))
	if err != nil {
		return err.Error()
	}
	for line := range strings.Lines(string(limits)) {
		if strings.HasPrefix(line, "Max open files") {
			f := strings.Fields(line)
			return fmt.Sprintf("max open files soft %s, hard %s", f[3], f[4])
		}
	}
	return "max open files unknown"
}

// openFDs counts the server's open file descriptors in /proc/PID/fd.
func (c *child) openFDs() string {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", c.cmd.Process.Pid))
	if err != nil {
		return "? file descriptors (" + err.Error() + ")"
	}
	return fmt.Sprintf("%d file descriptors", len(fds))
}

// attackHalfHeader: clients send the first byte of a frame header, then
// nothing. The server waits for the second byte (section 5.2).
func attackHalfHeader(ctx context.Context, s *session) string {
	n, hold := s.count(50), s.holdFor(30*time.Second)
	firstByte := []byte{0x80 | opBinary} // FIN and binary; MASK and length would come next
	s.say("%d clients each send 1 byte of a frame header (0x%02x) after the handshake, then nothing; hold %s", n, firstByte[0], hold)
	conns := openConns(ctx, s.addr, n, dialOptions{timeout: dialTimeout})
	for _, ac := range upgraded(conns) {
		ac.startWatching(watchLimit)
		ac.send(firstByte)
	}
	sleep(ctx, hold)
	stopWatchingAll(conns)
	defer closeAll(conns)
	sum := summarize(conns)
	sum.report(s, false)
	return sum.outcome()
}

// logStallTimeout is how long one handshake may take before it counts as
// hung.
const logStallTimeout = 2 * time.Second

// attackLogStall: the server logs every request to stderr. When stderr is
// a pipe that nobody reads, the pipe fills and the server's log writes
// block. Does that stop its handshakes? And when the pipe's read end goes
// away, does the write fail, or kill the server?
func attackLogStall(ctx context.Context, s *session) string {
	n := s.count(500)
	headers := paddingHeaders()
	s.say("up to %d handshakes, one by one, each with %d bytes of extra request headers, each must get its 101 within %s, then closes",
		n, len(strings.Join(headers, "\r\n")), logStallTimeout)
	served, err := handshakesUntilFailure(ctx, s.addr, n, headers)
	if err == nil {
		s.say("all %d handshakes got their 101", served)
	} else {
		s.say("%d handshakes got their 101; number %d failed: %s", served, served+1, describe(err))
	}
	s.say("bytes the server wrote into its stderr pipe, unread: %s", pipeBacklog(s.server.stderrReader))

	s.server.stderrReader.Close() // now the server's next write to stderr gets EPIPE
	s.server.stderrReader = nil
	sleep(ctx, 200*time.Millisecond)
	after := tally{}
	for range 5 {
		c, err := dialWebSocket(s.addr, dialOptions{timeout: logStallTimeout, extraHeaders: headers})
		if err != nil {
			after.add(describe(err))
			continue
		}
		c.Close()
		after.add("101")
	}
	waitExit(s.server, 2*time.Second)
	s.say("after closing the pipe's read end, 5 more handshakes: %s; server %s", after, s.server.status())
	fate := "alive"
	if !s.server.alive() {
		fate = describeExit(s.server.state)
	}
	if err == nil {
		return fmt.Sprintf("all %d served; after pipe close: %s", served, fate)
	}
	return fmt.Sprintf("hung after %d; after pipe close: %s", served, fate)
}

// handshakesUntilFailure does up to n handshakes one after the other and
// returns how many got their 101 before the first that did not.
func handshakesUntilFailure(ctx context.Context, addr string, n int, headers []string) (int, error) {
	for i := range n {
		if ctx.Err() != nil {
			return i, ctx.Err()
		}
		c, err := dialWebSocket(addr, dialOptions{timeout: logStallTimeout, extraHeaders: headers})
		if err != nil {
			return i, err
		}
		c.Close()
	}
	return n, nil
}

// paddingHeaders are about 1 KiB of extra request headers: a long
// User-Agent and some X-Pad headers, the kind of bulk a browser or a proxy
// adds to a request, and that the server copies into its log.
func paddingHeaders() []string {
	headers := []string{"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) " +
		strings.Repeat("AttackClient/1.0 ", 12)}
	for i := range 6 {
		headers = append(headers, fmt.Sprintf("X-Pad-%d: %s", i+1, strings.Repeat("p", 110)))
	}
	return headers
}

// pipeBacklog asks the kernel how many bytes wait unread in the pipe
// (the FIONREAD ioctl).
func pipeBacklog(r *os.File) string {
	raw, err := r.SyscallConn()
	if err != nil {
		return err.Error()
	}
	var n int32
	var errno syscall.Errno
	raw.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&n)))
	})
	if errno != 0 {
		return errno.Error()
	}
	return fmt.Sprintf("%d", n)
}

// waitExit waits up to d for the server to exit.
func waitExit(c *child, d time.Duration) {
	select {
	case <-c.exited:
	case <-time.After(d):
	}
}

// attackTLS: a client that speaks TLS to a plain ws:// server, as happens
// when wss:// is pointed at it. Its first bytes are a TLS record, not an
// HTTP request line. How long until the server answers, and what with?
func attackTLS(ctx context.Context, s *session) string {
	wait := s.holdFor(20 * time.Second)
	hello := clientHello()
	lf := "no LF byte in it"
	if i := bytes.IndexByte(hello, '\n'); i >= 0 {
		lf = fmt.Sprintf("first LF byte at offset %d", i)
	}
	s.say("one client sends a %d-byte TLS ClientHello record (%s) instead of an HTTP request, then waits up to %s",
		len(hello), lf, wait)
	conn, err := net.DialTimeout("tcp", s.addr, dialTimeout)
	if err != nil {
		s.say("connect failed: %s", describe(err))
		return "connect failed"
	}
	defer conn.Close()
	start := time.Now()
	conn.SetDeadline(start.Add(wait))
	if _, err := conn.Write(hello); err != nil {
		s.say("write failed: %s", describe(err))
		return "write failed"
	}
	r := readUntilEnd(ctx, conn)
	s.say("answer: %s", r.describeAnswer(start))
	s.say("connection: %s", r.describeEnd(start, wait))
	return r.outcome(start)
}

// tlsReply is what came back to the TLS client.
type tlsReply struct {
	answer      []byte    // the first bytes the server sent (up to 4 KiB)
	firstByteAt time.Time // zero: nothing came
	endedAt     time.Time // zero: still open when the wait was over
	endedBy     string
}

// readUntilEnd reads until the server closes the connection or the
// deadline passes.
func readUntilEnd(ctx context.Context, conn net.Conn) tlsReply {
	var r tlsReply
	buf := make([]byte, 4096)
	for range 1000 {
		n, err := conn.Read(buf)
		if n > 0 && r.firstByteAt.IsZero() {
			r.firstByteAt = time.Now()
		}
		if room := 4096 - len(r.answer); room > 0 {
			r.answer = append(r.answer, buf[:min(n, room)]...)
		}
		if err != nil {
			if !isTimeout(err) {
				r.endedAt, r.endedBy = time.Now(), describe(err)
			}
			return r
		}
		if ctx.Err() != nil {
			return r
		}
	}
	return r
}

func (r tlsReply) describeAnswer(start time.Time) string {
	if r.firstByteAt.IsZero() {
		return "none"
	}
	first, _, _ := strings.Cut(string(r.answer), "\n")
	return fmt.Sprintf("after %.3f s, %d bytes, first line %q", r.firstByteAt.Sub(start).Seconds(), len(r.answer), strings.TrimSpace(first))
}

func (r tlsReply) describeEnd(start time.Time, wait time.Duration) string {
	if r.endedAt.IsZero() {
		return fmt.Sprintf("still open after %s", wait)
	}
	return fmt.Sprintf("ended by the server after %.3f s: %s", r.endedAt.Sub(start).Seconds(), r.endedBy)
}

func (r tlsReply) outcome(start time.Time) string {
	answer := "no answer"
	if !r.firstByteAt.IsZero() {
		answer = fmt.Sprintf("HTTP %d", parseStatus(strings.SplitN(string(r.answer), "\n", 2)[0]))
	}
	if r.endedAt.IsZero() {
		return answer + ", still open"
	}
	return fmt.Sprintf("%s, closed after %.1f s", answer, r.endedAt.Sub(start).Seconds())
}

// clientHello writes out by hand the first record a TLS 1.3 client sends
// (RFC 8446 section 4.1.2), much as a browser sends it: record header
// 0x16 (handshake) 0x03 0x01, then a ClientHello offering TLS 1.3 and 1.2.
// The "random" fields are fixed bytes (hashes of their names), so every run
// sends the same record. Note the supported_groups extension: its type,
// 10, is written 0x00 0x0a, and 0x0a is LF. Nearly every real ClientHello
// carries it, so a server that reads a request line by line finds a
// "line" in the first 200 bytes of any TLS client.
func clientHello() []byte {
	body := []byte{0x03, 0x03} // legacy_version: TLS 1.2
	body = append(body, fixedBytes("client random", 32)...)
	body = append(body, withLen8(fixedBytes("session id", 32))...)
	body = append(body, withLen16(uint16s(0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8))...)
	body = append(body, 0x01, 0x00) // compression methods: null only
	body = append(body, withLen16(helloExtensions())...)

	handshake := []byte{0x01} // ClientHello
	handshake = append(handshake, byte(len(body)>>16), byte(len(body)>>8), byte(len(body)))
	handshake = append(handshake, body...)
	record := []byte{0x16, 0x03, 0x01} // content type handshake, legacy record version TLS 1.0
	return append(record, withLen16(handshake)...)
}

// helloExtensions are the ClientHello's extensions: server name,
// groups, point formats, signature algorithms, versions, PSK modes, and an
// X25519 key share.
func helloExtensions() []byte {
	var ext []byte
	serverName := withLen16(append([]byte{0x00}, withLen16([]byte("localhost"))...))
	ext = append(ext, extension(0x0000, serverName)...)
	ext = append(ext, extension(0x000a, withLen16(uint16s(0x001d, 0x0017, 0x0018)))...)
	ext = append(ext, extension(0x000b, []byte{0x01, 0x00})...)
	ext = append(ext, extension(0x000d, withLen16(uint16s(0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601)))...)
	ext = append(ext, extension(0x002b, withLen8(uint16s(0x0304, 0x0303)))...)
	ext = append(ext, extension(0x002d, []byte{0x01, 0x01})...)
	share := append(uint16s(0x001d), withLen16(fixedBytes("x25519 key share", 32))...)
	ext = append(ext, extension(0x0033, withLen16(share))...)
	return ext
}

func extension(typ uint16, data []byte) []byte {
	return append(uint16s(typ), withLen16(data)...)
}

func withLen8(b []byte) []byte { return append([]byte{byte(len(b))}, b...) }

func withLen16(b []byte) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(b))), b...)
}

func uint16s(values ...uint16) []byte {
	var b []byte
	for _, v := range values {
		b = binary.BigEndian.AppendUint16(b, v)
	}
	return b
}

// fixedBytes stands in for random bytes: the first n bytes of the
// SHA-256 of name.
func fixedBytes(name string, n int) []byte {
	sum := sha256.Sum256([]byte(name))
	return sum[:n]
}
