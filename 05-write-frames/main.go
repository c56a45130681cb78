// Command 05-write-frames is chapter 05 of the tutorial: a WebSocket echo
// server that RFC 6455 conformance suites pass. It writes frames, answers
// pings, and does the closing handshake both ways: when the client closes,
// on a protocol error (with the close code of the broken rule), and at
// shutdown (1001). With -trace it shows every frame in both directions.
// Read docs/05-write-frames.md.
//
//	go run ./05-write-frames -trace
//	then, in a browser console: new WebSocket('ws://localhost:9001/')
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	var cfg config
	flag.StringVar(&cfg.addr, "addr", "localhost:9001", "address to listen on (host:port)")
	flag.DurationVar(&cfg.grace, "grace", 5*time.Second, "on shutdown, how long open connections may take to finish")
	flag.DurationVar(&cfg.handshakeTimeout, "handshake-timeout", 10*time.Second, "how long a client may take to send its whole request")
	flag.IntVar(&cfg.maxHeaderBytes, "max-header-bytes", 8<<10, "largest request head (request line and headers) accepted; larger gets 431")
	protocols := flag.String("protocols", "chat,superchat", "comma-separated subprotocols the server speaks")
	flag.Int64Var(&cfg.maxMessageSize, "max-message-size", 16<<20, "largest message accepted, in bytes; a larger one gets close code 1009")
	flag.BoolVar(&cfg.trace, "trace", false, "log every frame, both ways: its header fields above its annotated bytes")
	flag.Parse()
	cfg.protocols = splitList(*protocols)
	cfg.log = log.New(os.Stderr, "", log.Ltime)

	// Ctrl-C (SIGINT) or SIGTERM cancels ctx; run then shuts down gracefully.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		cfg.log.Fatal(err)
	}
}

// splitList turns "chat, superchat" into ["chat" "superchat"].
func splitList(s string) []string {
	var items []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}
