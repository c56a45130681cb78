package main

import (
	"bufio"
	"context"
	"io"
	"strconv"
	"strings"
)

const helpText = `commands:
  text            send a text message (a line starting with / : type //)
  /ping [text]    send a ping; the server answers with a pong
  /binary text    send the text's UTF-8 bytes as a binary message
  /close [code [reason]]  start the closing handshake (default 1000)
  /quit           leave at once, without a closing handshake
  /help           this list
`

// runInteractive sends each line of stdin as a text message, or runs it
// as a command, until the connection ends. The end of stdin and Ctrl-C
// are /close 1000.
func runInteractive(ctx context.Context, c *conn, stdin io.Reader, done <-chan error) int {
	lines := make(chan string)
	stop := make(chan struct{})
	defer close(stop)
	go readLines(stdin, lines, stop)
	c.out.prompt()
	for {
		select {
		case err := <-done:
			return exitCode(err)
		case <-ctx.Done():
			return exitCode(c.closeAndWait(closeNormal, "", done))
		case line, ok := <-lines:
			if !ok {
				return exitCode(c.closeAndWait(closeNormal, "", done))
			}
			if finished, code := c.command(line, done); finished {
				return code
			}
			c.out.prompt()
		}
	}
}

// readLines sends stdin's lines on lines until the end of stdin or stop.
func readLines(stdin io.Reader, lines chan<- string, stop <-chan struct{}) {
	defer close(lines)
	sc := bufio.NewScanner(stdin)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		select {
		case lines <- sc.Text():
		case <-stop:
			return
		}
	}
}

// command runs one line typed. It reports whether the session is over,
// and with which exit code.
func (c *conn) command(line string, done <-chan error) (bool, int) {
	if !c.out.terminal {
		c.out.event("> %s", line) // the terminal did not show it: say what was sent
	}
	name, arg, _ := strings.Cut(line, " ")
	var err error
	switch {
	case !strings.HasPrefix(line, "/"), strings.HasPrefix(line, "//"):
		err = c.writeFrame(opText, []byte(strings.TrimPrefix(line, "/")))
	case name == "/ping":
		err = c.ping(arg)
	case name == "/binary":
		err = c.writeFrame(opBinary, []byte(arg))
	case name == "/close":
		return c.userClose(arg, done)
	case name == "/quit":
		c.nc.Close()
		<-done
		return true, 0
	case name == "/help":
		c.out.event("%s", strings.TrimSuffix(helpText, "\n"))
	default:
		c.out.event("* unknown command %s; /help lists them", name)
	}
	if err != nil {
		c.out.event("* %v", err)
	}
	return false, 0
}

// ping sends a ping, whose payload must fit a control frame (section 5.5).
func (c *conn) ping(text string) error {
	if len(text) > maxControlPayloadLen {
		c.out.event("* a ping carries at most %d bytes (section 5.5)", maxControlPayloadLen)
		return nil
	}
	return c.writeFrame(opPing, []byte(text))
}

// userClose runs /close [code [reason]]: only a code an endpoint may send
// (section 7.4), then waits for the server's answer.
func (c *conn) userClose(arg string, done <-chan error) (bool, int) {
	code, reason := closeNormal, ""
	if arg != "" {
		codeText, rest, _ := strings.Cut(arg, " ")
		n, err := strconv.Atoi(codeText)
		if err != nil || !validCloseCode(n) {
			c.out.event("* %q is not a close code one may send: 1000-1003, 1007-1014, 3000-4999 (section 7.4)", codeText)
			return false, 0
		}
		code, reason = n, rest
	}
	return true, exitCode(c.closeAndWait(code, reason, done))
}
