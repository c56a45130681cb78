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
	flag.Parse()
	cfg.log = log.New(os.Stderr, "", log.Ltime)

	// Ctrl-C (SIGINT) or SIGTERM cancels ctx; run then shuts down gracefully.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		cfg.log.Fatal(err)
	}
}
