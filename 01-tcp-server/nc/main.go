// Command nc is a tiny netcat, the client half of the tutorial: it connects
// to a server, sends bytes, and prints what comes back, so that every
// "Run it" section works with Go alone.
//
//	go run ./01-tcp-server &
//	go run ./01-tcp-server/nc -send 'hello\n'
//
// Without -send it copies what you type, a line at a time, and prints the
// replies as they arrive. -send takes Go string escapes, so a WebSocket
// frame can be typed byte by byte: -send '\x81\x85\x37\xfa\x21\x3d...'.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const dialTimeout = 5 * time.Second

// config is what the flags say; tests fill it by hand.
type config struct {
	addr  string        // host:port to connect to
	sends [][]byte      // -send strings, decoded; empty: copy stdin instead
	gap   time.Duration // pause between two sends
	crlf  bool          // stdin lines end in \r\n on the wire
	hex   bool          // print replies as a hex dump
	wait  time.Duration // how long to wait for more after the last send
}

func main() {
	cfg, err := parseArgs(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		os.Exit(2) // the problem and the usage are printed already
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err = run(ctx, cfg, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "nc:", err)
		os.Exit(1)
	}
}

// parseArgs reads the flags and the optional host:port.
func parseArgs(args []string, stderr io.Writer) (config, error) {
	cfg := config{addr: "localhost:9001"}
	fs := flag.NewFlagSet("nc", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.addr, "addr", cfg.addr, "the server's `host:port`, as the chapters' -addr (or give it after the flags)")
	fs.Var((*sendList)(&cfg.sends), "send", "send these `bytes` instead of reading stdin; Go escapes work (\\r \\n \\x81 \\u00e9);\nrepeat the flag for more writes")
	fs.DurationVar(&cfg.gap, "gap", 0, "pause between two -send writes")
	fs.BoolVar(&cfg.crlf, "crlf", false, "end each stdin line in \\r\\n, as HTTP wants")
	fs.BoolVar(&cfg.hex, "x", false, "print what comes back as a hex dump")
	fs.DurationVar(&cfg.wait, "wait", 2*time.Second, "after the last send, wait this long for more (or until the server closes)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./01-tcp-server/nc [flags] [host:port]   (default localhost:9001, or -addr)")
		fmt.Fprintln(stderr, "Connects, sends stdin (or the -send strings), prints the replies.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	switch fs.NArg() {
	case 0:
	case 1:
		cfg.addr = fs.Arg(0)
	default:
		fmt.Fprintf(stderr, "nc: one host:port at most, got %q\n", fs.Args())
		fs.Usage()
		return cfg, errors.New("too many arguments")
	}
	return cfg, nil
}

// sendList collects the -send flags, each decoded into the bytes to send.
type sendList [][]byte

func (l *sendList) String() string { return "" }

func (l *sendList) Set(s string) error {
	b, err := decodeEscapes(s)
	if err != nil {
		return err
	}
	*l = append(*l, b)
	return nil
}

// decodeEscapes turns `GET /\r\n` or `\x81\x85` into the bytes they stand
// for, with the rules of a Go string literal ("\x81" is one byte, 0x81;
// "\u00e9" is é in UTF-8). strconv.Unquote does the work once the text is
// wrapped in quotes; quotes and newlines in it are escaped first so they
// stay themselves.
func decodeEscapes(s string) ([]byte, error) {
	var quoted strings.Builder
	quoted.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s) && s[i+1] == '\'':
			quoted.WriteByte('\'') // \' is not a Go string escape; take it as '
			i++
		case c == '\\' && i+1 < len(s):
			quoted.WriteString(s[i : i+2]) // an escape: keep it for Unquote
			i++
		case c == '\\':
			return nil, errors.New(`a lone \ at the end: write \\ for a backslash`)
		case c == '"':
			quoted.WriteString(`\"`)
		case c == '\n':
			quoted.WriteString(`\n`)
		default:
			quoted.WriteByte(c)
		}
	}
	quoted.WriteByte('"')
	text, err := strconv.Unquote(quoted.String())
	if err != nil {
		return nil, fmt.Errorf("%q has an escape Go does not know (\\r \\n \\t \\x81 \\u00e9 \\\\ \\\" are fine)", s)
	}
	return []byte(text), nil
}

// run connects, starts printing replies, sends, then waits for the end:
// the server closing, cfg.wait without anything new, or ctx cancelled.
// It does not half-close the connection after sending: the servers of
// this tutorial take end-of-file as goodbye and would hang up too soon.
func run(ctx context.Context, cfg config, stdin io.Reader, stdout, stderr io.Writer) error {
	dialer := net.Dialer{Timeout: dialTimeout}
	conn, err := dialer.DialContext(ctx, "tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("cannot connect to %s (is a server running there?): %w", cfg.addr, err)
	}
	defer conn.Close()
	fmt.Fprintf(stderr, "nc: connected to %s\n", conn.RemoteAddr())

	out := stdout
	if cfg.hex {
		out = &hexDump{w: stdout}
	}
	r := readReplies(conn, out)
	if len(cfg.sends) > 0 {
		sendStrings(ctx, conn, cfg.sends, cfg.gap, r, stderr)
	} else {
		sendStdin(ctx, conn, stdin, cfg.crlf, r, stderr)
	}
	awaitEnd(ctx, r, cfg.wait, stderr)
	conn.Close() // wakes the reading goroutine if it still waits
	<-r.done     // and lets it print its last bytes before we return
	return nil
}

// replies is the reading half: a goroutine that copies what the server
// sends to out as it arrives, one Write per read.
type replies struct {
	arrived chan struct{} // a signal after a read that brought bytes
	done    chan struct{} // closed when reading has ended; err says why
	err     error         // io.EOF: the server closed the connection
}

func readReplies(conn net.Conn, out io.Writer) *replies {
	r := &replies{arrived: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		buf := make([]byte, 32*1024)
		for {
			n, err := conn.Read(buf)
			if n > 0 {
				out.Write(buf[:n]) // a failed print is no reason to stop reading
				select {
				case r.arrived <- struct{}{}:
				default: // a signal is waiting already; one is enough
				}
			}
			if err != nil {
				r.err = err
				return
			}
		}
	}()
	return r
}

// sendStrings writes each -send string with its own Write, gap apart. It
// stops early if the server closes the connection in between.
func sendStrings(ctx context.Context, conn net.Conn, sends [][]byte, gap time.Duration, r *replies, stderr io.Writer) {
	for i, b := range sends {
		if i > 0 && gap > 0 {
			select {
			case <-time.After(gap):
			case <-r.done:
				return
			case <-ctx.Done():
				return
			}
		}
		if _, err := conn.Write(b); err != nil {
			fmt.Fprintf(stderr, "nc: write: %v\n", err)
			return
		}
	}
}

// sendStdin copies stdin to the connection a line at a time, until stdin
// ends or the server closes the connection.
func sendStdin(ctx context.Context, conn net.Conn, stdin io.Reader, crlf bool, r *replies, stderr io.Writer) {
	lines := make(chan []byte)
	stop := make(chan struct{})
	defer close(stop)
	go readLines(stdin, crlf, lines, stop)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				return // end of stdin (Ctrl-D in a terminal)
			}
			if _, err := conn.Write(line); err != nil {
				fmt.Fprintf(stderr, "nc: write: %v\n", err)
				return
			}
		case <-r.done:
			return
		case <-ctx.Done():
			return
		}
	}
}

// readLines sends each line of stdin on lines, with its \n turned into
// \r\n if crlf is set; a last line without \n goes as it is. A read from
// a terminal cannot be interrupted: if the server hangs up first, this
// goroutine waits for the program to exit.
func readLines(stdin io.Reader, crlf bool, lines chan<- []byte, stop <-chan struct{}) {
	defer close(lines)
	in := bufio.NewReader(stdin)
	for {
		line, err := in.ReadBytes('\n')
		if crlf && len(line) > 0 && line[len(line)-1] == '\n' {
			line = append([]byte(strings.TrimRight(string(line), "\r\n")), '\r', '\n')
		}
		if len(line) > 0 {
			select {
			case lines <- line:
			case <-stop:
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// awaitEnd lets replies keep coming until the server closes the
// connection or wait passes without anything new, and says which.
func awaitEnd(ctx context.Context, r *replies, wait time.Duration, stderr io.Writer) {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case <-r.arrived:
			timer.Reset(wait)
		case <-r.done:
			fmt.Fprintln(stderr, "nc:", closeReason(r.err))
			return
		case <-timer.C:
			fmt.Fprintf(stderr, "nc: nothing more after %v\n", wait)
			return
		case <-ctx.Done():
			fmt.Fprintln(stderr, "nc: interrupted")
			return
		}
	}
}

// closeReason says how reading ended.
func closeReason(err error) string {
	switch {
	case errors.Is(err, io.EOF):
		return "closed by the server"
	case errors.Is(err, syscall.ECONNRESET):
		return "closed by the server with a reset (RST), which can drop replies not yet read"
	default:
		return fmt.Sprintf("read: %v", err)
	}
}

// hexDump prints what is written to it the way `hexdump -C` and Go's
// hex.Dump do: an offset, 16 bytes in hex, the same bytes as ASCII. Each
// Write starts a new line, so the dump shows where one read ended, and
// the offsets carry on from one Write to the next.
type hexDump struct {
	w      io.Writer
	offset int
}

func (d *hexDump) Write(p []byte) (int, error) {
	var out strings.Builder
	for start := 0; start < len(p); start += 16 {
		line := p[start:min(start+16, len(p))]
		fmt.Fprintf(&out, "%08x  ", d.offset+start)
		for i := range 16 {
			if i < len(line) {
				fmt.Fprintf(&out, "%02x ", line[i])
			} else {
				out.WriteString("   ")
			}
			if i == 7 {
				out.WriteByte(' ')
			}
		}
		out.WriteString(" |")
		for _, c := range line {
			if c < 0x20 || c > 0x7e {
				c = '.' // not printable ASCII
			}
			out.WriteByte(c)
		}
		out.WriteString("|\n")
	}
	d.offset += len(p)
	_, err := io.WriteString(d.w, out.String())
	return len(p), err
}
