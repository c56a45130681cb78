// Command 03-handshake is chapter 03 of the tutorial: it completes the
// WebSocket opening handshake of RFC 6455 section 4. After the 101 it cannot
// decode frames yet (chapter 04), so it prints what the client sends as a
// hex dump. Read docs/03-handshake.md.
//
//	go run ./03-handshake
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
