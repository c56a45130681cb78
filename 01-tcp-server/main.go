// Command 01-tcp-server is chapter 01 of the tutorial: a TCP echo server.
//
// Every WebSocket connection starts life as a plain TCP connection, so the
// first step is a server that accepts TCP connections, gives each one its
// own goroutine, and echoes whatever it receives. Read docs/01-tcp-server.md.
//
// Run it, then connect from a second terminal with the tutorial's netcat
// (nc/ in this folder; the system's nc localhost 9001 works too, if you
// have it):
//
//	go run ./01-tcp-server
//	go run ./01-tcp-server/nc
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
