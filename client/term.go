package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// printer writes what the client has to say, one whole line or block at a
// time, from the reading goroutine and the main one alike.
//
// On a terminal the user may be typing a line when a message arrives. The
// terminal is in its usual cooked mode: what is typed sits in the
// terminal's line buffer, and the program sees it only at Enter. The
// printer cannot redraw it, so it does the simplest honest thing: it
// clears the screen line ("\r" and ESC [2K), prints the message, and
// prints the prompt again. The part already typed is still in the line
// buffer, and is sent with what follows it.
type printer struct {
	mu       sync.Mutex
	data     io.Writer // received messages
	events   io.Writer // events and -trace
	terminal bool      // interactive on a terminal: keep a prompt
}

// promptText is shown where the user types a message.
const promptText = "> "

// clearLine takes the cursor to the start of the line and erases it.
const clearLine = "\r\x1b[2K"

func (p *printer) print(w io.Writer, s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.terminal {
		io.WriteString(w, clearLine)
	}
	io.WriteString(w, s)
	if p.terminal {
		io.WriteString(p.data, promptText)
	}
}

// prompt shows the prompt, on a terminal.
func (p *printer) prompt() {
	if p.terminal {
		p.mu.Lock()
		defer p.mu.Unlock()
		io.WriteString(p.data, promptText)
	}
}

// event prints one event line, such as "* ping".
func (p *printer) event(format string, args ...any) {
	p.print(p.events, fmt.Sprintf(format, args...)+"\n")
}

// Write lets -trace write its frames through the printer.
func (p *printer) Write(b []byte) (int, error) {
	p.print(p.events, string(b))
	return len(b), nil
}

// message prints a received message: "< text", or for binary its length
// and first bytes in hex.
func (p *printer) message(opcode byte, msg []byte) {
	p.print(p.data, formatMessage(opcode, msg))
}

// binaryShown is how many bytes of a binary message are printed.
const binaryShown = 32

func formatMessage(opcode byte, msg []byte) string {
	if opcode == opText {
		return "< " + printable(string(msg)) + "\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "< [binary %d bytes]", len(msg))
	if len(msg) > 0 {
		b.WriteString(" " + hexBytes(msg[:min(len(msg), binaryShown)]))
	}
	if len(msg) > binaryShown {
		b.WriteString(" ...")
	}
	return b.String() + "\n"
}

// printable shows text on one line, its control characters written as Go
// escapes (\n, \r, \x1b): what a server sends must not start a line
// that passes for another message or an event of the client's, nor reach
// the terminal as an escape sequence that clears or rewrites the screen.
func printable(text string) string {
	if !strings.ContainsFunc(text, needsEscape) {
		return text
	}
	var b strings.Builder
	for _, r := range text {
		if needsEscape(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// needsEscape reports whether r is a control character (C0, DEL, C1)
// or one of Unicode's line and paragraph separators.
func needsEscape(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}

// isTerminal reports whether f is a terminal (a character device), without
// a package beyond the standard library: good enough to decide whether to
// show a prompt.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
