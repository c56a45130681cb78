// Command client is the tutorial's terminal WebSocket client: the client
// side of RFC 6455, written from scratch like the chapters' servers. It
// connects to a ws:// URL, sends each line typed as a text message and
// prints what comes back; with -send and -expect it runs a script instead,
// for tests and workshops. Read docs/client.md.
//
//	go run ./05-write-frames
//	go run ./client ws://localhost:9001/
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// config is what the flags set.
type config struct {
	url        string
	send       []string      // -send, in order: script mode
	expect     int           // -expect: data messages to wait for
	timeout    time.Duration // -timeout: the whole script's time
	trace      bool
	protocols  string // offered in Sec-WebSocket-Protocol, if not empty
	name       string // -name: added to the URL's query as name=, if not empty
	maxMessage int64
	terminal   bool // stdin and stdout are a terminal: show a prompt
}

// sendList is the repeatable -send flag.
type sendList []string

func (s *sendList) String() string     { return strings.Join(*s, ", ") }
func (s *sendList) Set(v string) error { *s = append(*s, v); return nil }

const defaultURL = "ws://localhost:9001/ws"

func main() {
	var cfg config
	flag.Var((*sendList)(&cfg.send), "send", "send this text message (repeatable, in order), then close: script mode")
	flag.IntVar(&cfg.expect, "expect", 0, "script mode: wait for this many data messages before closing; fewer within -timeout exits 1")
	flag.DurationVar(&cfg.timeout, "timeout", 5*time.Second, "script mode: the time the whole script may take")
	flag.BoolVar(&cfg.trace, "trace", false, "show every frame both ways: its header fields above its annotated bytes")
	flag.StringVar(&cfg.protocols, "protocol", "", "subprotocols to offer, comma-separated (Sec-WebSocket-Protocol)")
	flag.StringVar(&cfg.name, "name", "", "join with this name: adds name=NAME to the URL's query, for chapter 06's chat")
	flag.Int64Var(&cfg.maxMessage, "max-message", 16<<20, "largest message accepted, in bytes; a larger one gets close code 1009")
	flag.Usage = usage
	flag.Parse()
	cfg.url = defaultURL
	if flag.NArg() > 0 {
		cfg.url = flag.Arg(0)
	}
	cfg.terminal = isTerminal(os.Stdin) && isTerminal(os.Stdout)

	// Ctrl-C (SIGINT) or SIGTERM cancels ctx, which closes the connection
	// with 1000 (/close). The signals are back to their default action
	// then, so a second Ctrl-C ends the program at once.
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-signals
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		cancel()
	}()
	os.Exit(run(ctx, cfg, os.Stdin, os.Stdout, os.Stderr))
}

func usage() {
	out := flag.CommandLine.Output()
	fmt.Fprintf(out, "usage: go run ./client [flags] [ws://host:port/path]   (default %s)\n\n", defaultURL)
	fmt.Fprint(out, "Only ws:// URLs: wss:// (TLS) is not supported.\n"+
		"Without -send or -expect it is interactive: each line typed is sent as a\n"+
		"text message; /help lists the commands.\n\n")
	flag.PrintDefaults()
}
