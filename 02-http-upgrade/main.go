// Command 02-http-upgrade is chapter 02 of the tutorial: it reads the HTTP
// request a WebSocket client opens with, and decides whether it is an
// upgrade request. It does not know the handshake yet (chapter 03), so it
// logs what the client sent and answers 501. Read docs/02-http-upgrade.md.
//
//	go run ./02-http-upgrade
//	then, in a browser console: new WebSocket('ws://localhost:9001/')
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	var cfg config
	flag.StringVar(&cfg.addr, "addr", "localhost:9001", "address to listen on (host:port)")
	flag.DurationVar(&cfg.grace, "grace", 5*time.Second, "on shutdown, how long open connections may take to finish")
	flag.DurationVar(&cfg.handshakeTimeout, "handshake-timeout", 10*time.Second, "how long a client may take to send its whole request")
	flag.IntVar(&cfg.maxHeaderBytes, "max-header-bytes", 8<<10, "largest request head (request line and headers) accepted; larger gets 431")
	flag.BoolVar(&cfg.trace, "trace", false, "log every request header, not only the request line")
	flag.IntVar(&cfg.maxConns, "max-conns", 10000, "connections open at once; past it a new one gets 503 (0: no limit)")
	flag.Parse()
	logs := newLogQueue(os.Stderr, 1024)
	cfg.log = log.New(logs, "", log.Ltime)

	// Go ends a program that writes to a closed stdout or stderr pipe with
	// SIGPIPE (the reader of `go run ... | less` quit). A server must not
	// die because its log reader went away: with SIGPIPE ignored, such a
	// write only fails (EPIPE), and the log queue drops it.
	signal.Ignore(syscall.SIGPIPE)

	// Ctrl-C (SIGINT) or SIGTERM cancels ctx; run then shuts down
	// gracefully. The signals are back to their default action before
	// that starts, so a second Ctrl-C ends the program at once.
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-signals
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		cancel()
	}()
	err := run(ctx, cfg)
	if err != nil {
		cfg.log.Print(err)
	}
	logs.Close(time.Second)
	if err != nil {
		os.Exit(1)
	}
}
