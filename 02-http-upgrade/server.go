package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log"
	"net"
	"os"
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
	maxConns         int           // connections open at once; past it, 503 (0: no limit)
	trace            bool          // log every request header
}

// run listens on cfg.addr and serves until ctx is cancelled.
func run(ctx context.Context, cfg config) error {
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	cfg.log.Printf("listening on %s (Ctrl-C to stop)", ln.Addr())
	return serve(ctx, ln, cfg)
}

// server keeps track of the open connections so that shutdown can wait for
// them, and close them when they take too long.
type server struct {
	cfg    config
	wg     sync.WaitGroup // one per connection goroutine
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	open   int // connections that count against cfg.maxConns
	served int
}

// serve accepts connections on ln until ctx is cancelled, then shuts down
// gracefully: stop accepting, give open connections cfg.grace to finish,
// close the rest, and return once every connection goroutine has ended.
func serve(ctx context.Context, ln net.Listener, cfg config) error {
	s := &server{cfg: cfg, conns: make(map[net.Conn]struct{})}

	// Accept blocks; closing the listener is what wakes it up.
	stopWatching := context.AfterFunc(ctx, func() { ln.Close() })
	defer stopWatching()

	var acceptErr error
	backoff := 5 * time.Millisecond
	for {
		conn, err := ln.Accept()
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
		if !s.add(conn) {
			go s.turnAway(conn)
			continue
		}
		go s.handle(conn)
	}
	ln.Close()
	s.shutdown()
	return acceptErr
}

// add registers conn before its goroutine starts, so shutdown cannot miss
// it, and reports whether there was room for it (cfg.maxConns). One past
// the cap is registered too, for the moment turnAway needs.
func (s *server) add(conn net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.wg.Add(1)
	full := s.cfg.maxConns > 0 && s.open >= s.cfg.maxConns
	s.conns[conn] = struct{}{}
	if !full {
		s.open++
		s.served++
	}
	return !full
}

// turnAway answers a connection past the cap with 503 and closes it, at
// once, without reading its request: the server's slots, memory and file
// descriptors stay with the clients it already has. Retry-After tells a
// polite client when to come back (RFC 7231 section 7.1.3).
func (s *server) turnAway(conn net.Conn) {
	defer s.wg.Done()
	defer s.remove(conn, false)
	defer conn.Close()
	s.cfg.log.Printf("%s: turned away: %d connections open, the most this server takes (-max-conns)", conn.RemoteAddr(), s.cfg.maxConns)
	conn.SetWriteDeadline(time.Now().Add(time.Second))
	if writeError(conn, refusal(503, "too many connections; try again later", "Retry-After", "5")) == nil {
		lingerClose(conn)
	}
}

// remove forgets conn; counted says whether it held one of the open slots.
func (s *server) remove(conn net.Conn, counted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, conn)
	if counted {
		s.open--
	}
}

// handle runs in its own goroutine, one per connection. Go's runtime parks
// the goroutine while it waits for bytes (the netpoller), so a blocking
// Read here costs no thread: this is what the articles' select() loop was for.
func (s *server) handle(conn net.Conn) {
	defer s.wg.Done()
	defer s.remove(conn, true)
	defer conn.Close()
	peer := conn.RemoteAddr()

	// A client that connects and then says nothing must not hold a
	// goroutine and a socket forever.
	conn.SetReadDeadline(time.Now().Add(s.cfg.handshakeTimeout))
	br := bufio.NewReaderSize(conn, 4096)
	// What cannot be the start of a request (a TLS handshake, binary junk)
	// is refused on its first bytes, not after the whole timeout.
	if err := checkFirstBytes(br); err != nil {
		s.refuse(conn, err)
		return
	}
	req, err := readRequest(br, s.cfg.maxHeaderBytes)
	if err != nil {
		s.refuse(conn, err)
		return
	}
	s.logRequest(peer, req)
	if err := checkUpgrade(req); err != nil {
		s.refuse(conn, err)
		return
	}
	s.refuse(conn, refusal(501, "this is a valid WebSocket upgrade request, "+
		"but this server does not speak WebSocket yet: the handshake is chapter 03"))
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
func (s *server) refuse(conn net.Conn, err error) {
	peer := conn.RemoteAddr()
	var herr *httpError
	switch {
	case errors.As(err, &herr):
		s.cfg.log.Printf("%s < %s", peer, herr)
		conn.SetWriteDeadline(time.Now().Add(time.Second))
		if err := writeError(conn, herr); err != nil {
			s.cfg.log.Printf("%s: writing the response: %v", peer, err)
			return
		}
		lingerClose(conn)
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
func lingerClose(conn net.Conn) {
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.CloseWrite()
	}
	conn.SetReadDeadline(time.Now().Add(time.Second))
	io.Copy(io.Discard, io.LimitReader(conn, 1<<20))
}

// shutdown waits up to cfg.grace for the open connections to finish, then
// closes whatever is still open and waits for those goroutines too.
func (s *server) shutdown() {
	s.mu.Lock()
	open := len(s.conns)
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
		for conn := range s.conns {
			conn.Close()
		}
		s.mu.Unlock()
		<-done
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.log.Printf("stopped: served %d connection(s)", s.served)
}
