package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

const (
	dialTimeout      = 5 * time.Second
	handshakeTimeout = 10 * time.Second
)

// errScriptTimeout ends a script that took longer than -timeout.
var errScriptTimeout = errors.New("timeout")

// run connects to cfg.url and runs the script (-send, -expect) or the
// interactive mode, reading lines from stdin. It returns the exit code.
func run(ctx context.Context, cfg config, stdin io.Reader, stdout, stderr io.Writer) int {
	script := len(cfg.send) > 0 || cfg.expect > 0
	out := &printer{data: stdout, events: stderr}
	if script {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, cfg.timeout, errScriptTimeout)
		defer cancel()
	} else {
		out.events, out.terminal = stdout, cfg.terminal
	}
	url, err := urlWithName(cfg.url, cfg.name)
	if err != nil {
		reportFailure(stderr, err)
		return 1
	}
	cfg.url = url
	c, err := connect(ctx, cfg, out)
	if err != nil {
		reportFailure(stderr, err)
		return 1
	}
	out.event("* connected to %s%s", cfg.url, protocolNote(c.protocol, script))
	done := make(chan error, 1)
	got := make(chan struct{}, max(cfg.expect, 0))
	go func() { done <- c.readLoop(got) }()
	if script {
		return runScript(ctx, c, cfg, got, done)
	}
	return runInteractive(ctx, c, stdin, done)
}

func protocolNote(protocol string, script bool) string {
	note := ""
	if protocol != "" {
		note = fmt.Sprintf(" (subprotocol %s)", protocol)
	}
	if !script {
		note += "; /help lists the commands"
	}
	return note
}

// connect dials and does the opening handshake, within dialTimeout and
// handshakeTimeout (or the script's -timeout, if sooner).
func connect(ctx context.Context, cfg config, out *printer) (*conn, error) {
	t, err := parseURL(cfg.url)
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: dialTimeout}
	nc, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(handshakeTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	nc.SetDeadline(deadline)
	br := bufio.NewReader(nc)
	protocol, err := handshake(nc, br, t, cfg.protocols)
	if err != nil {
		nc.Close()
		return nil, err
	}
	nc.SetDeadline(time.Time{})
	c := &conn{nc: nc, br: br, out: out, maxMessage: cfg.maxMessage, protocol: protocol}
	if cfg.trace {
		c.trace = &tracer{w: out}
	}
	return c, nil
}

// reportFailure says why there is no connection; for a refusal, with the
// status line and the body the server sent.
func reportFailure(w io.Writer, err error) {
	fmt.Fprintf(w, "client: %v\n", err)
	var refused *refusedError
	if errors.As(err, &refused) && refused.body != "" {
		fmt.Fprintf(w, "%s\n", refused.body)
	}
}

// runScript sends each -send text, waits for -expect messages, then closes
// with 1000. It exits 0 only if all came and the close was answered.
func runScript(ctx context.Context, c *conn, cfg config, got <-chan struct{}, done <-chan error) int {
	for _, text := range cfg.send {
		if err := c.writeFrame(opText, []byte(text)); err != nil {
			c.out.event("* sending: %v", err)
			c.nc.Close()
			<-done
			return 1
		}
	}
	for received := 0; received < cfg.expect; received++ {
		select {
		case <-got:
		case <-done:
			c.out.event("* the connection ended after %d of %d messages", received, cfg.expect)
			return 1
		case <-ctx.Done():
			c.out.event("* %v: %d of %d messages within %v", context.Cause(ctx), received, cfg.expect, cfg.timeout)
			c.closeAndWait(closeNormal, "", done)
			return 1
		}
	}
	return exitCode(c.closeAndWait(closeNormal, "", done))
}

// exitCode is 0 after a clean closing handshake, 1 otherwise.
func exitCode(err error) int {
	var closed *closeError
	if errors.As(err, &closed) {
		return 0
	}
	return 1
}
