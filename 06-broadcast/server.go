package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"
)

// config is everything the server needs to know; main fills it from flags,
// tests fill it by hand.
type config struct {
	addr  string        // where run listens
	grace time.Duration // how long open connections may finish after shutdown starts
	log   *log.Logger

	handshakeTimeout time.Duration // the whole request must arrive within this
	maxHeaderBytes   int           // request line and headers, CRLFs included
	protocols        []string      // subprotocols the server speaks, in no particular order
	maxMessageSize   int64         // largest message accepted; larger gets 1009
	trace            bool          // log every request header, and every frame with its bytes

	// What the server owes its other clients (docs/05-write-frames.md,
	// "What a server owes its other clients"). Zero turns a limit off.
	maxConns       int           // connections open at once; past it, 503
	budget         *budget       // memory for message buffers, all connections together
	messageTimeout time.Duration // a message must arrive whole within this once started
	writeTimeout   time.Duration // a frame must be written within this
	pingAfter      time.Duration // keepalive: ping a connection quiet for this long
	pongWait       time.Duration // and drop it if nothing comes within this after the ping

	// The room (docs/06-broadcast.md).
	room         func(*hub)  // sets the room's hooks: chat in main, chapter 05's echo in the tests
	roomLog      int         // frames the room keeps: a client that falls this far behind is dropped (1008)
	allowOrigins []string    // page origins allowed besides the server's own; "*": all
	tls          *tls.Config // serve https:// and wss:// when set (-tls-cert, -tls-key)
	rate         int         // messages a second one client may send (a burst of clientBurst at once); 0: no limit
	roomRate     int         // lines a second into the room's log (a burst of a quarter log); 0: no limit
	joinsPerIP   int         // WebSocket connections a second one address may open (a burst of joinBurst); 0: no limit
	connsPerIP   int         // connections open at once from one address (addrKey); past it, 429; 0: no limit
	ratePerIP    int         // messages a second one address may send, all its connections together (a burst of addressBurst); 0: no limit
}

// run listens on cfg.addr and serves until ctx is cancelled.
func run(ctx context.Context, cfg config) error {
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	scheme := "http"
	if cfg.tls != nil {
		scheme = "https"
	}
	cfg.log.Printf("listening on %s (Ctrl-C to stop)", ln.Addr())
	cfg.log.Printf("open %s://%s/ in a browser", scheme, displayAddr(cfg.addr, ln.Addr()))
	return serve(ctx, ln, cfg)
}

// displayAddr is the address to show a person: the one asked for
// (localhost:9001), with the port the system chose if it was 0.
func displayAddr(asked string, got net.Addr) string {
	host, port, err := net.SplitHostPort(asked)
	if err != nil || host == "" {
		return got.String()
	}
	if port == "0" {
		_, port, _ = net.SplitHostPort(got.String())
	}
	return net.JoinHostPort(host, port)
}

// server keeps track of the open connections so that shutdown can wait for
// them, and close them when they take too long.
type server struct {
	cfg     config
	wg      sync.WaitGroup // one per connection goroutine
	mu      sync.Mutex
	conns   map[net.Conn]*conn // the WebSocket conn once upgraded, nil before
	open    int                // connections that count against cfg.maxConns
	perIP   map[string]int     // the same, by address (addrKey), against cfg.connsPerIP
	served  int
	closing bool        // shutdown has begun: new WebSocket conns get 1001 at once
	hub     *hub        // the room every WebSocket connection joins
	joins   *addrPacers // how fast each address may join
	lines   *addrPacers // how fast each address may send, all its connections together
	turns   *addrTurns  // one message of each address at a time waits for the room's pace
}

// serve accepts connections on ln until ctx is cancelled, then shuts down
// gracefully: stop accepting, give open connections cfg.grace to finish,
// close the rest, and return once every connection goroutine has ended.
func serve(ctx context.Context, ln net.Listener, cfg config) error {
	s := &server{cfg: cfg, conns: make(map[net.Conn]*conn), perIP: make(map[string]int), hub: newHub(cfg.log, cfg.roomLog)}
	s.hub.pace = newPacer(cfg.roomRate, len(s.hub.ring)/4)
	s.joins = newAddrPacers(cfg.joinsPerIP, joinBurst)
	s.lines = newAddrPacers(cfg.ratePerIP, addressBurst)
	s.turns = newAddrTurns()
	cfg.room(s.hub)
	if cfg.tls != nil {
		// TLS from here on: every connection's reads and writes are
		// decrypted and encrypted, and everything else is as without it.
		ln = tls.NewListener(ln, cfg.tls)
	}

	// Accept blocks; closing the listener is what wakes it up.
	stopWatching := context.AfterFunc(ctx, func() { ln.Close() })
	defer stopWatching()

	var acceptErr error
	backoff := 5 * time.Millisecond
	for {
		netConn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				break // shutdown: the listener was closed on purpose
			}
			if errors.Is(err, net.ErrClosed) {
				acceptErr = err
				break
			}
			// Out of file descriptors and the like: wait, then try again,
			// instead of spinning or giving up on every client.
			cfg.log.Printf("accept: %v; retrying in %s", err, backoff)
			time.Sleep(backoff)
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		if refused, why := s.add(netConn); refused != nil {
			go s.turnAway(netConn, refused, why)
			continue
		}
		go s.handle(netConn)
	}
	ln.Close()
	s.shutdown()
	return acceptErr
}

// add registers netConn before its goroutine starts, so shutdown cannot miss
// it. If there is no room for it, it returns the answer it gets, and why
// for the log: 503 past cfg.maxConns in all, 429 past cfg.connsPerIP from
// its address, so that one machine cannot take every slot. One past a cap
// is registered too, for the moment turnAway needs, but takes no slot.
func (s *server) add(netConn net.Conn) (refused *httpError, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.wg.Add(1)
	s.conns[netConn] = nil
	key := addrKey(netConn.RemoteAddr())
	switch {
	case s.cfg.maxConns > 0 && s.open >= s.cfg.maxConns:
		return refusal(503, "too many connections; try again later", "Retry-After", "5"),
			fmt.Sprintf("%d connections open, the most this server takes (-max-conns)", s.open)
	case s.cfg.connsPerIP > 0 && s.perIP[key] >= s.cfg.connsPerIP:
		return refusal(429, "too many connections from your address; try again later", "Retry-After", "5"),
			fmt.Sprintf("%d connections open from %s, the most one address may have (-conns-per-ip)", s.perIP[key], key)
	}
	s.open++
	s.perIP[key]++
	s.served++
	return nil, ""
}

// turnAway answers a connection past a cap with refused and closes it, at
// once, without reading its request: the server's slots, memory and file
// descriptors stay with the clients it already has. Retry-After tells a
// polite client when to come back (RFC 7231 section 7.1.3).
func (s *server) turnAway(netConn net.Conn, refused *httpError, why string) {
	defer s.wg.Done()
	defer s.remove(netConn, false)
	defer netConn.Close()
	s.cfg.log.Printf("%s: turned away with %d: %s", netConn.RemoteAddr(), refused.status, why)
	netConn.SetWriteDeadline(time.Now().Add(time.Second))
	if writeError(netConn, refused) == nil {
		lingerClose(netConn)
	}
}

// remove forgets netConn; counted says whether it held one of the open slots.
func (s *server) remove(netConn net.Conn, counted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, netConn)
	if counted {
		s.open--
		key := addrKey(netConn.RemoteAddr())
		if s.perIP[key]--; s.perIP[key] <= 0 {
			delete(s.perIP, key)
		}
	}
}

// addrKey is what the server counts a client's connections and joins by:
// its IP address, or for IPv6 the /64 network around it. A host picks its
// own 64-bit interface identifier within its network's /64 (RFC 4291
// section 2.5.1, RFC 8981), so a client could take a new IPv6 address for
// every connection. The price: machines on one IPv6 network share a cap,
// as machines behind one IPv4 NAT do.
func addrKey(addr net.Addr) string {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return addr.String() // not an IP address (net.Pipe in tests)
	}
	ip := ap.Addr().Unmap()
	if ip.Is6() {
		network, _ := ip.Prefix(64)
		return network.String()
	}
	return ip.String()
}

// handle runs in its own goroutine, one per connection. Go's runtime parks
// the goroutine while it waits for bytes (the netpoller), so a blocking
// Read here costs no thread: this is what the articles' select() loop was for.
func (s *server) handle(netConn net.Conn) {
	defer s.wg.Done()
	defer s.remove(netConn, true)
	defer netConn.Close()
	peer := netConn.RemoteAddr()

	// A client that connects and then says nothing must not hold a
	// goroutine and a socket forever.
	netConn.SetReadDeadline(time.Now().Add(s.cfg.handshakeTimeout))
	br := bufio.NewReaderSize(netConn, 4096)
	// What cannot be the start of a request (a TLS handshake, binary junk)
	// is refused on its first bytes, not after the whole timeout.
	if err := checkFirstBytes(br); err != nil {
		s.refuse(netConn, err)
		return
	}
	req, err := readRequest(br, s.cfg.maxHeaderBytes)
	if err != nil {
		s.refuse(netConn, err)
		return
	}
	s.logRequest(peer, req)
	path, query, err := route(req.target)
	if err != nil {
		s.refuse(netConn, err)
		return
	}
	switch path {
	case "/", "/index.html":
		s.page(netConn, req)
		return
	case wsPath:
	default:
		s.refuse(netConn, refusal(404, "no such page: the chat is on / and its WebSocket on "+wsPath))
		return
	}
	if err := checkUpgrade(req); err != nil {
		s.refuse(netConn, err)
		return
	}
	hs, err := checkHandshake(req, s.cfg.protocols)
	if err != nil {
		s.refuse(netConn, err)
		return
	}
	if err := checkOrigin(req, s.cfg.allowOrigins, s.cfg.tls != nil); err != nil {
		s.refuse(netConn, err)
		return
	}
	if !s.joins.try(addrKey(peer), time.Now()) {
		s.refuse(netConn, refusal(429, "too many new connections from your address; try again in a moment", "Retry-After", "1"))
		return
	}
	netConn.SetWriteDeadline(time.Now().Add(s.cfg.handshakeTimeout))
	if err := writeHandshake(netConn, hs); err != nil {
		s.cfg.log.Printf("%s: writing the 101 response: %v", peer, err)
		return
	}
	s.cfg.log.Printf("%s < 101 Switching Protocols, Sec-WebSocket-Accept: %s", peer, hs.accept)
	if hs.protocol != "" {
		s.cfg.log.Printf("%s < Sec-WebSocket-Protocol: %s", peer, hs.protocol)
	}

	// The connection is open. A WebSocket connection may be quiet for
	// hours, so the handshake's deadline goes.
	netConn.SetDeadline(time.Time{})
	s.member(netConn, br, cleanName(query.Get("name")))
}

// member is the WebSocket part of the server: the connection joins the
// room, and its goroutine reads its messages and gives each to the room,
// until the closing handshake or an error; then it leaves. Its writer
// goroutine (hub.writeLoop) sends it what the room says.
func (s *server) member(netConn net.Conn, br *bufio.Reader, name string) {
	peer := netConn.RemoteAddr()
	c := newConn(netConn, br, s.cfg.maxMessageSize)
	c.budget = s.cfg.budget
	c.messageTimeout, c.writeTimeout = s.cfg.messageTimeout, s.cfg.writeTimeout
	c.pingAfter, c.pongWait = s.cfg.pingAfter, s.cfg.pongWait
	if s.cfg.trace {
		c.trace = &tracer{w: logWriter{s.cfg.log, peer.String() + " "}}
	}
	defer c.releaseMessageBuffer() // its share of the budget goes back
	s.upgraded(netConn, c)
	cl := s.hub.join(c, name)
	cl.pace = newPacer(s.cfg.rate, clientBurst)
	s.cfg.log.Printf("%s: %s joined", peer, cl.name)
	// A close frame from the client is answered after everything the room
	// sent it before: leave first (the writer writes what is queued), then
	// answer.
	c.onControl = func(h frameHeader, payload []byte) error {
		if h.opcode == opClose {
			s.hub.leave(cl)
			cl.end()
			<-cl.wrote
		}
		return c.handleControl(h, payload)
	}
	err := s.relay(c, cl, addrKey(peer))
	var perr *protocolError
	if errors.As(err, &perr) {
		// Failing the connection: what the room sent it before the error
		// goes out first, then our close frame.
		s.hub.leave(cl)
		cl.end()
		<-cl.wrote
		s.end(c, err)
	} else {
		s.end(c, err)
		s.hub.leave(cl)
		cl.end()
	}
	netConn.Close() // wakes the writer if it is blocked in a write
	<-cl.wrote
	s.cfg.log.Printf("%s: %s left", peer, cl.name)
}

// relay reads cl's messages and gives each to the room, until the closing
// handshake or an error, which it returns; addr is cl's address (addrKey).
func (s *server) relay(c *conn, cl *client, addr string) error {
	for {
		opcode, msg, err := c.readMessage()
		if err == nil {
			// Its turn (pace.go), and its address's: until then this
			// connection is not read, and TCP holds the sender back.
			// The room's pace is kept where lines go into the log (send,
			// broadcast), one message of each address at a time.
			cl.pace.wait(cl.gone)
			s.lines.wait(addr, cl.gone)
			unlock := s.turns.lock(addr, cl.gone) // nil once cl is gone: received says why
			err = s.hub.received(cl, opcode, msg)
			if unlock != nil {
				unlock()
			}
		}
		if err != nil {
			return err
		}
		s.hub.keepUp(cl)
	}
}

// end finishes a connection after readMessage returned err.
func (s *server) end(c *conn, err error) {
	peer := c.netConn.RemoteAddr()
	var closed *closeError
	var perr *protocolError
	switch {
	case errors.As(err, &closed):
		// Both close frames have been sent: the server closes TCP first, so
		// the TIME_WAIT state stays on its side (section 7.1.1).
		s.cfg.log.Printf("%s: closing handshake done (client sent %d%s)", peer, closed.code, quoted(closed.reason))
	case errors.As(err, &perr):
		kind := "protocol error: "
		if perr == errServerBusy || perr == errMessageTimeout || perr == errTooSlow || perr == errBinaryMessage {
			kind = "" // a limit or a rule of this server, not of the protocol
		}
		s.cfg.log.Printf("%s: %s%v; closing", peer, kind, perr)
		if c.fail(perr) {
			s.cfg.log.Printf("%s: the client answered our close (or hung up)", peer)
		} else {
			s.cfg.log.Printf("%s: no close frame from the client after ours; shut our side, discarded the rest", peer)
		}
	case errors.Is(err, errNoPong):
		s.cfg.log.Printf("%s: no answer to a ping within %s; dropping", peer, s.cfg.pongWait)
	case errors.Is(err, os.ErrDeadlineExceeded):
		s.cfg.log.Printf("%s: no close frame within %s of ours; closing", peer, closeTimeout)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		s.cfg.log.Printf("%s: connection dropped without a closing handshake", peer)
	case errors.Is(err, net.ErrClosed):
		s.cfg.log.Printf("%s: connection closed by the server", peer)
	case isWriteError(err):
		s.cfg.log.Printf("%s: answering the client's close: %v", peer, err)
	default:
		s.cfg.log.Printf("%s: reading: %v", peer, err)
	}
}

// isWriteError reports whether err comes from a write (answering a ping or
// a close while reading), not from the read itself.
func isWriteError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "write"
}

func quoted(reason string) string {
	if reason == "" {
		return ""
	}
	return fmt.Sprintf(" %q", reason)
}

// upgraded records the WebSocket conn of netConn, so that shutdown can send
// it a close frame. One that arrives after shutdown began gets it at once.
func (s *server) upgraded(netConn net.Conn, c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conns[netConn] = c
	if s.closing {
		go c.writeClose(closeGoingAway, "server shutting down")
	}
}

// logWriter sends each write to the log as one record, with a prefix.
type logWriter struct {
	log    *log.Logger
	prefix string
}

func (w logWriter) Write(p []byte) (int, error) {
	w.log.Print(w.prefix + strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// logRequest shows the request line; with -trace, every header as it
// arrived, so you can see what a browser really sends. Not by default: a
// client chooses its headers, up to -max-header-bytes of them, and each
// would cost the log several times its size.
func (s *server) logRequest(peer net.Addr, req *request) {
	s.cfg.log.Printf("%s > %s %s %s", peer, req.method, req.target, req.proto)
	if !s.cfg.trace {
		return
	}
	for _, f := range req.header {
		s.cfg.log.Printf("%s > %s: %s", peer, f.name, f.value)
	}
}

// refuse ends a connection whose request failed: an httpError is answered
// with its status, anything else (timeout, EOF) is only logged.
func (s *server) refuse(netConn net.Conn, err error) {
	peer := netConn.RemoteAddr()
	var herr *httpError
	switch {
	case errors.As(err, &herr):
		s.cfg.log.Printf("%s < %s", peer, herr)
		netConn.SetWriteDeadline(time.Now().Add(time.Second))
		if err := writeError(netConn, herr); err != nil {
			s.cfg.log.Printf("%s: writing the response: %v", peer, err)
			return
		}
		lingerClose(netConn)
	case errors.Is(err, os.ErrDeadlineExceeded):
		s.cfg.log.Printf("%s: no complete request within %s; closing", peer, s.cfg.handshakeTimeout)
	case errors.Is(err, io.EOF):
		s.cfg.log.Printf("%s: closed without sending a request", peer)
	case errors.Is(err, io.ErrUnexpectedEOF):
		s.cfg.log.Printf("%s: closed in the middle of its request", peer)
	default:
		s.cfg.log.Printf("%s: closing without an answer: %v", peer, err)
	}
}

// lingerClose makes sure what was just written (an HTTP refusal, a close
// frame) reaches the client before the connection closes. Closing a socket
// that still has unread bytes from the client (a header flood, the rest of
// a broken frame) makes the kernel send RST, and the client may lose our
// last words. So: send FIN, read and discard for a bounded time; the
// caller then closes.
func lingerClose(netConn net.Conn) {
	// *net.TCPConn sends FIN; *tls.Conn sends TLS's close_notify.
	if half, ok := netConn.(interface{ CloseWrite() error }); ok {
		half.CloseWrite()
	}
	netConn.SetReadDeadline(time.Now().Add(time.Second))
	io.Copy(io.Discard, io.LimitReader(netConn, 1<<20))
}

// shutdown sends close code 1001 to every WebSocket client, waits up to
// cfg.grace for the open connections to finish, then closes whatever is
// still open and waits for those goroutines too.
func (s *server) shutdown() {
	s.hub.shutdown()
	s.mu.Lock()
	s.closing = true
	open := len(s.conns)
	// Tell every WebSocket client: close code 1001, going away. Each
	// conn's reader goroutine then waits for the client's close frame.
	for _, c := range s.conns {
		if c != nil {
			go c.writeClose(closeGoingAway, "server shutting down")
		}
	}
	s.mu.Unlock()
	s.cfg.log.Printf("shutting down: %d connection(s) open, waiting up to %s (Ctrl-C again to quit now)", open, s.cfg.grace)

	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	timer := time.NewTimer(s.cfg.grace)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		s.mu.Lock()
		s.cfg.log.Printf("grace period over: closing %d connection(s)", len(s.conns))
		for netConn := range s.conns {
			netConn.Close()
		}
		s.mu.Unlock()
		<-done
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.log.Printf("stopped: served %d connection(s)", s.served)
}

// page answers a request for the page: the page itself, or the refusal
// checkPage gives.
func (s *server) page(netConn net.Conn, req *request) {
	if err := checkPage(req); err != nil {
		s.refuse(netConn, err)
		return
	}
	peer := netConn.RemoteAddr()
	netConn.SetWriteDeadline(time.Now().Add(s.cfg.handshakeTimeout))
	if err := writePage(netConn, req.method == "HEAD"); err != nil {
		s.cfg.log.Printf("%s: writing the page: %v", peer, err)
		return
	}
	s.cfg.log.Printf("%s < 200 OK (the page)", peer)
	lingerClose(netConn)
}
