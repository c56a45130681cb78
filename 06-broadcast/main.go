// Command 06-broadcast is chapter 06 of the tutorial: a chat room that
// browsers and the terminal client join. The page is on /, the WebSocket
// on /ws; every message goes to everyone in the room, and a client that
// falls behind is dropped without slowing the others. It carries chapter
// 05's server forward: the closing handshake, keepalive, deadlines and
// limits. Read docs/06-broadcast.md.
//
//	go run ./06-broadcast
//	then open http://localhost:9001/ in two browser tabs, or
//	go run ./client -name ann
package main

import (
	"context"
	"crypto/tls"
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
	flag.Int64Var(&cfg.maxMessageSize, "max-message-size", 4<<10, "largest message accepted, in bytes; a larger one gets close code 1009")
	flag.BoolVar(&cfg.trace, "trace", false, "log every request header, and every frame both ways: its header fields above its annotated bytes")
	flag.IntVar(&cfg.maxConns, "max-conns", 1000, "connections open at once; past it a new one gets 503 (0: no limit)")
	memory := flag.Int64("message-memory", 256, "MiB of message buffers for all connections together; a message that needs more gets close code 1013 (0: no limit)")
	flag.DurationVar(&cfg.messageTimeout, "message-timeout", time.Minute, "how long a message may take to arrive once it has started (0: forever)")
	flag.DurationVar(&cfg.writeTimeout, "write-timeout", 10*time.Second, "how long a frame may take to write; a client that does not read is dropped (0: forever)")
	flag.DurationVar(&cfg.pingAfter, "ping-after", 30*time.Second, "keepalive: ping a connection quiet for this long (0: never)")
	flag.DurationVar(&cfg.pongWait, "pong-wait", 15*time.Second, "keepalive: drop a connection that sends nothing this long after a ping (0: never)")
	flag.IntVar(&cfg.roomLog, "room-log", roomLog, "messages the room keeps for its clients: one that falls this far behind is dropped with close code 1008")
	origins := flag.String("allow-origin", "", "comma-separated page origins allowed besides the server's own, such as http://localhost:8000 (*: any)")
	certFile := flag.String("tls-cert", "", "certificate file (PEM): serve https:// and wss:// (with -tls-key)")
	keyFile := flag.String("tls-key", "", "private key file (PEM) of -tls-cert")
	flag.IntVar(&cfg.rate, "rate", 10, "messages a second one client may send, after a burst of 20; faster ones wait (0: no limit)")
	flag.IntVar(&cfg.ratePerIP, "rate-per-ip", 50, "messages a second all connections from one address may send together, after a burst of 100; faster ones wait (0: no limit)")
	flag.IntVar(&cfg.roomRate, "room-rate", 500, "lines a second into the room (messages, welcomes, joined and left alike); more wait their turn (0: no limit)")
	flag.IntVar(&cfg.connsPerIP, "conns-per-ip", 100, "connections open at once from one address (an IPv6 /64); past it a new one gets 429 (0: no limit)")
	flag.IntVar(&cfg.joinsPerIP, "joins-per-ip", 5, "WebSocket connections a second one address may open, after a burst of 20; more get 429 (0: no limit)")
	flag.Parse()
	cfg.room = chat
	cfg.allowOrigins = splitList(*origins)
	cfg.protocols = splitList(*protocols)
	if *memory > 0 {
		cfg.budget = newBudget(*memory << 20)
	}
	logs := newLogQueue(os.Stderr, 1024)
	cfg.log = log.New(logs, "", log.Ltime)
	if *certFile != "" || *keyFile != "" {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			cfg.log.Printf("-tls-cert and -tls-key: %v", err)
			logs.Close(time.Second)
			os.Exit(2)
		}
		cfg.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}

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
