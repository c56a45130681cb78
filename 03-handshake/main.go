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
	flag.BoolVar(&cfg.trace, "trace", false, "log every request header, and dump every byte received after the handshake (not only the first 64 of each read)")
	flag.IntVar(&cfg.maxConns, "max-conns", 10000, "connections open at once; past it a new one gets 503 (0: no limit)")
	flag.Parse()
	cfg.protocols = splitList(*protocols)
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
