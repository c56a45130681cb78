package main

import (
	"context"
	"errors"
	"log"
	"net"
	"sync"
	"time"
)

// config is everything the server needs to know; main fills it from flags,
// tests fill it by hand.
type config struct {
	addr  string        // where run listens
	grace time.Duration // how long open connections may finish after shutdown starts
	log   *log.Logger
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
		s.add(conn)
		go s.handle(conn)
	}
	ln.Close()
	s.shutdown()
	return acceptErr
}

// add registers conn before its goroutine starts, so shutdown cannot miss it.
func (s *server) add(conn net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conns[conn] = struct{}{}
	s.served++
	s.wg.Add(1)
}

func (s *server) remove(conn net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, conn)
}

// handle runs in its own goroutine, one per connection. Go's runtime parks
// the goroutine while it waits for bytes (the netpoller), so a blocking
// Read here costs no thread: this is what the articles' select() loop was for.
func (s *server) handle(conn net.Conn) {
	defer s.wg.Done()
	defer s.remove(conn)
	defer conn.Close()

	peer := conn.RemoteAddr()
	s.cfg.log.Printf("%s connected", peer)
	n, err := echo(conn)
	if err != nil {
		s.cfg.log.Printf("%s closed after echoing %d bytes: %v", peer, n, err)
		return
	}
	s.cfg.log.Printf("%s closed after echoing %d bytes", peer, n)
}

// shutdown waits up to cfg.grace for the open connections to finish, then
// closes whatever is still open and waits for those goroutines too.
func (s *server) shutdown() {
	s.mu.Lock()
	open := len(s.conns)
	s.mu.Unlock()
	s.cfg.log.Printf("shutting down: %d connection(s) open, waiting up to %s", open, s.cfg.grace)

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
