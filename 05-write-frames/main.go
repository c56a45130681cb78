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
	flag.BoolVar(&cfg.trace, "trace", false, "log every request header, and every frame both ways: its header fields above its annotated bytes")
	flag.IntVar(&cfg.maxConns, "max-conns", 10000, "connections open at once; past it a new one gets 503 (0: no limit)")
	memory := flag.Int64("message-memory", 256, "MiB of message buffers for all connections together; a message that needs more gets close code 1013 (0: no limit)")
	flag.DurationVar(&cfg.messageTimeout, "message-timeout", time.Minute, "how long a message may take to arrive once it has started (0: forever)")
	flag.DurationVar(&cfg.writeTimeout, "write-timeout", 10*time.Second, "how long a frame may take to write; a client that does not read is dropped (0: forever)")
	flag.DurationVar(&cfg.pingAfter, "ping-after", 30*time.Second, "keepalive: ping a connection quiet for this long (0: never)")
	flag.DurationVar(&cfg.pongWait, "pong-wait", 15*time.Second, "keepalive: drop a connection that sends nothing this long after a ping (0: never)")
	flag.Parse()
	cfg.protocols = splitList(*protocols)
	if *memory > 0 {
		cfg.budget = newBudget(*memory << 20)
	}
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
