// Command 04-read-frames is chapter 04 of the tutorial: after the opening
// handshake it reads WebSocket frames (RFC 6455 section 5): it decodes and
// checks every header, unmasks, assembles fragmented messages, validates
// UTF-8 and logs each message. It cannot answer yet (chapter 05); with
// -trace it shows every frame's header and bytes. Read docs/04-read-frames.md.
//
//	go run ./04-read-frames -trace
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
	flag.BoolVar(&cfg.trace, "trace", false, "log every request header, and every frame: its header fields above its annotated bytes")
	flag.IntVar(&cfg.maxConns, "max-conns", 10000, "connections open at once; past it a new one gets 503 (0: no limit)")
	memory := flag.Int64("message-memory", 256, "MiB of message buffers for all connections together; a message that needs more ends its connection (0: no limit)")
	flag.Parse()
	if *memory > 0 {
		cfg.budget = newBudget(*memory << 20)
	}
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
