// Command 01-tcp-server is chapter 01 of the tutorial: a TCP echo server.
//
// Every WebSocket connection starts life as a plain TCP connection, so the
// first step is a server that accepts TCP connections, gives each one its
// own goroutine, and echoes whatever it receives. Read docs/01-tcp-server.md.
//
//	go run ./01-tcp-server
//	nc localhost 9001
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
	flag.Parse()
	cfg.log = log.New(os.Stderr, "", log.Ltime)

	// Ctrl-C (SIGINT) or SIGTERM cancels ctx; run then shuts down gracefully.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		cfg.log.Fatal(err)
	}
}
