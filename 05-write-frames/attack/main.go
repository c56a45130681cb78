//go:build linux

// Command attack plays the hostile clients chapter 05's echo server must
// survive, and measures what each attack costs. For every attack it starts
// a fresh server as a child process on a free loopback port, with its
// default flags, then:
//
//   - samples the server's resident memory (VmRSS in /proc/PID/status)
//     every 50 ms;
//   - runs a probe: a well-behaved WebSocket client that echoes a small
//     text message every 100 ms and times each round trip, so the report
//     says what an honest client went through during the attack;
//   - runs the attack and reports what the server did to the attack
//     connections: closed them (when, with which close code), refused
//     them (which HTTP status), or left them open.
//
// Everything stays on 127.0.0.1. Every loop is bounded, every read and
// write has a deadline, and the child is killed at the end or on Ctrl-C.
// Linux only: memory comes from /proc, and two attacks start the server
// under a ulimit through sh.
//
//	go run ./05-write-frames/attack                    # every attack, full size
//	go run ./05-write-frames/attack stall idle         # two of them
//	go run ./05-write-frames/attack -conns 10 -size 1048576 -hold 3s
//	go run ./05-write-frames/attack -server /path/to/a/server/binary
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"
)

// options are the command-line flags. Zero in conns or hold means "each
// attack's own full-size default".
type options struct {
	server     string        // server binary; "" builds ./05-write-frames
	conns      int           // attack connections (or handshakes) per attack
	size       int           // message size of stall, noread, idlebig, headeronly
	hold       time.Duration // how long an attack holds its connections
	nofile     int           // ulimit -n of the server under the idle attack
	vmemKiB    int           // ulimit -v of the server under headeronly, in KiB
	lateProbes int           // fresh handshakes the idle attack tries at the end
}

// attack is one way to hurt the server. limits says how its server is
// started; run attacks it and returns the outcome in a few words, for the
// final table.
type attack struct {
	name   string
	limits limits
	run    func(ctx context.Context, s *session) string
}

// attacks, in the order they run when none is named on the command line.
var attacks = []attack{
	{name: "stall", run: attackStall},
	{name: "noread", run: attackNoRead},
	{name: "idlebig", run: attackIdleBig},
	{name: "headeronly", limits: limits{vmem: true}, run: attackHeaderOnly},
	{name: "idle", limits: limits{nofile: true}, run: attackIdle},
	{name: "halfheader", run: attackHalfHeader},
	{name: "logstall", limits: limits{unreadStderr: true}, run: attackLogStall},
	{name: "tls", run: attackTLS},
}

func main() {
	os.Exit(run())
}

func run() int {
	opts := parseFlags()
	selected, err := selectAttacks(flag.Args())
	if err == nil {
		err = opts.check()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}

	// Ctrl-C cancels ctx: the attack in progress stops, its server is
	// killed, and the table shows what ran.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	serverPath, cleanup, err := serverBinary(opts.server)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer cleanup()

	var rows []tableRow
	for _, a := range selected {
		if ctx.Err() != nil {
			break
		}
		rows = append(rows, runAttack(ctx, opts, serverPath, a))
	}
	if ctx.Err() != nil {
		fmt.Println("\ninterrupted: the attacks that did not run are not in the table")
	}
	printTable(rows)
	return 0
}

func parseFlags() options {
	var o options
	flag.StringVar(&o.server, "server", "", "server binary to attack (default: go build ./05-write-frames into a temporary directory)")
	flag.IntVar(&o.conns, "conns", 0, "attack connections per attack (0: each attack's default: stall 200, noread 100, idlebig 100, headeronly 200, idle 300, halfheader 50, logstall 500 handshakes)")
	flag.IntVar(&o.size, "size", 16<<20, "size in bytes of the message of stall, noread, idlebig and headeronly")
	flag.DurationVar(&o.hold, "hold", 0, "how long each attack holds its connections (0: each attack's default: 20s, headeronly 5s, idle and halfheader 30s, tls 20s)")
	flag.IntVar(&o.nofile, "nofile", 256, "ulimit -n of the server under the idle attack")
	flag.IntVar(&o.vmemKiB, "vmem-kib", 2<<20, "ulimit -v of the server under the headeronly attack, in KiB")
	flag.IntVar(&o.lateProbes, "late-probes", 34, "fresh handshakes the idle attack tries once its connections are open")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: attack [flags] [%s]\n", strings.Join(attackNames(), " "))
		flag.PrintDefaults()
	}
	flag.Parse()
	return o
}

// check refuses flag values the attacks cannot work with.
func (o options) check() error {
	switch {
	case o.conns < 0, o.hold < 0, o.lateProbes < 0:
		return errors.New("-conns, -hold and -late-probes cannot be negative")
	case o.size < 2:
		return errors.New("-size must be at least 2: stall sends all but the last byte")
	case o.nofile < 16 || o.vmemKiB < 1<<16:
		return errors.New("-nofile below 16 or -vmem-kib below 65536 would not let the server start")
	}
	return nil
}

func attackNames() []string {
	var names []string
	for _, a := range attacks {
		names = append(names, a.name)
	}
	return names
}

// selectAttacks returns the attacks named on the command line, in the
// order given, or all of them when none is named.
func selectAttacks(names []string) ([]attack, error) {
	if len(names) == 0 {
		return attacks, nil
	}
	var selected []attack
	for _, name := range names {
		i := indexOfAttack(name)
		if i < 0 {
			return nil, fmt.Errorf("unknown attack %q; the attacks are: %s", name, strings.Join(attackNames(), " "))
		}
		selected = append(selected, attacks[i])
	}
	return selected, nil
}

func indexOfAttack(name string) int {
	for i, a := range attacks {
		if a.name == name {
			return i
		}
	}
	return -1
}

// serverBinary returns the binary to attack: the one given with -server,
// or chapter 05 built into a temporary directory, which cleanup removes.
// Running a built binary (not "go run") makes the child's PID the server's
// own, so /proc/PID/status is the server's memory, not the go tool's.
func serverBinary(path string) (string, func(), error) {
	if path != "" {
		return path, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "attack-server-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	bin := filepath.Join(dir, "ch05")
	build := exec.Command("go", "build", "-o", bin, "./05-write-frames")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("go build ./05-write-frames (run this from the repository root, or pass -server): %w", err)
	}
	return bin, cleanup, nil
}

// session is one attack against one fresh server: what the attack
// functions need.
type session struct {
	opts   options
	addr   string // the server's host:port
	server *child
}

// say prints one line of the attack's report, indented under its title.
func (s *session) say(format string, args ...any) {
	fmt.Printf("  "+format+"\n", args...)
}

// count is the number of attack connections: -conns, or the attack's own
// default.
func (s *session) count(def int) int {
	if s.opts.conns > 0 {
		return s.opts.conns
	}
	return def
}

// holdFor is how long the attack holds: -hold, or the attack's default.
func (s *session) holdFor(def time.Duration) time.Duration {
	if s.opts.hold > 0 {
		return s.opts.hold
	}
	return def
}

// sleep waits d, or less if ctx is cancelled (Ctrl-C); it reports whether
// the whole d went by.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// tableRow is one attack in the final table.
type tableRow struct {
	name     string
	peakRSS  float64 // MiB
	probe    probeStats
	outcome  string
	setupErr error // the server could not even be started
}

// runAttack starts a fresh server, runs the probe and the attack against
// it, prints the attack's report block, and kills the server.
func runAttack(ctx context.Context, opts options, serverPath string, a attack) tableRow {
	fmt.Printf("\n== %s\n", a.name)
	row := tableRow{name: a.name}
	addr, err := freeLoopbackAddr()
	if err == nil {
		var srv *child
		srv, err = startServer(serverPath, addr, a.limits, opts)
		if err == nil {
			defer srv.kill()
			err = srv.waitReady(ctx, addr)
			if err == nil {
				return attackRunningServer(ctx, &session{opts: opts, addr: addr, server: srv}, a)
			}
		}
	}
	fmt.Printf("  could not start the server: %v\n", err)
	row.setupErr = err
	row.outcome = "server did not start"
	return row
}

// The probe runs for probeWarmup before the attack starts, and for at
// least minProbeTime from the attack's start.
const (
	probeWarmup  = 500 * time.Millisecond
	minProbeTime = time.Second
)

// attackRunningServer runs the probe and the attack side by side, then
// reports on the server and the probe.
func attackRunningServer(ctx context.Context, s *session, a attack) tableRow {
	if d := s.server.limits.describe(s.opts); d != "" {
		s.say("server started under %s", d)
	}
	probeCtx, stopProbe := context.WithCancel(ctx)
	probeDone := make(chan probeStats, 1)
	go func() { probeDone <- runProbe(probeCtx, s.addr) }()

	// A few echoes before the attack, on a connection opened before it,
	// and a few after a quick one, so that every attack has a baseline.
	sleep(ctx, probeWarmup)
	start := time.Now()
	outcome := a.run(ctx, s)
	sleep(ctx, minProbeTime-time.Since(start))

	stopProbe()
	stats := <-probeDone
	rss := s.server.rss.summary()
	s.say("server: peak RSS %.1f MiB (sampled every %s; the kernel's high-water mark VmHWM %.1f MiB), RSS at the end %.1f MiB; peak address space VmPeak %.1f MiB",
		rss.peakMiB, rssEvery, rss.hwmMiB, rss.lastMiB, rss.vmPeakMiB)
	s.say("server: %s", s.server.status())
	s.say("probe: %s", stats)
	return tableRow{name: a.name, peakRSS: rss.peakMiB, probe: stats, outcome: outcome}
}

// printTable prints one row per attack that ran.
func printTable(rows []tableRow) {
	if len(rows) == 0 {
		return
	}
	fmt.Println()
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "attack\tpeak RSS MiB\tprobe p50 ms\tprobe p99 ms\tprobe failures\toutcome")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%.1f\t%s\t%s\t%d/%d\t%s\n", r.name, r.peakRSS,
			millis(r.probe.percentile(50)), millis(r.probe.percentile(99)),
			r.probe.failed(), r.probe.attempts, r.outcome)
	}
	tw.Flush()
}

// millis formats a round trip in milliseconds; "-" when there was none.
func millis(d time.Duration) string {
	if d < 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond))
}

// freeLoopbackAddr asks the kernel for a free port on 127.0.0.1 and
// releases it for the server to take.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// limits says how an attack's server is started, besides -addr.
type limits struct {
	nofile       bool // under ulimit -n (options.nofile): few file descriptors
	vmem         bool // under ulimit -v (options.vmemKiB): little address space
	unreadStderr bool // stderr is a pipe that nobody reads
}

// ulimits is the sh commands that set the limits, "" when there are none.
func (l limits) ulimits(o options) string {
	var b strings.Builder
	if l.nofile {
		fmt.Fprintf(&b, "ulimit -n %d; ", o.nofile)
	}
	if l.vmem {
		fmt.Fprintf(&b, "ulimit -v %d; ", o.vmemKiB)
	}
	return b.String()
}

func (l limits) describe(o options) string {
	d := strings.TrimSuffix(l.ulimits(o), "; ")
	if l.unreadStderr {
		d += "its stderr a pipe that nobody reads"
	}
	return d
}

// child is the server under attack, running as a child process.
type child struct {
	cmd      *exec.Cmd
	limits   limits
	started  time.Time
	exited   chan struct{}    // closed once the process has exited
	exitedAt time.Time        // set before exited is closed
	state    *os.ProcessState // likewise
	rss      *rssSampler

	stderr       *stderrTail // what the server logs; nil with limits.unreadStderr
	stderrReader *os.File    // with limits.unreadStderr: the pipe's read end, held open, never read
}

// startServer starts the server binary at path listening on addr, with
// its default flags otherwise, under l.
func startServer(path, addr string, l limits, o options) (*child, error) {
	args := []string{"-addr", addr}
	cmd := exec.Command(path, args...)
	if prefix := l.ulimits(o); prefix != "" {
		// sh sets the limits, then exec replaces sh by the server: same
		// PID (so /proc/PID is the server's), limits inherited. "$0" "$@"
		// pass the path and the flags through without any quoting.
		cmd = exec.Command("sh", append([]string{"-c", prefix + `exec "$0" "$@"`, path}, args...)...)
	}
	// Should this program die without killing the server, the kernel does.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	c := &child{cmd: cmd, limits: l, exited: make(chan struct{})}

	var pipeWriter *os.File
	if l.unreadStderr {
		r, w, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		c.stderrReader, pipeWriter = r, w
		cmd.Stderr = w // an *os.File: the child writes to the pipe itself, no copying goroutine reads it
	} else {
		c.stderr = &stderrTail{}
		cmd.Stderr = c.stderr
	}
	err := cmd.Start()
	if pipeWriter != nil {
		pipeWriter.Close() // the child has its own copy of the write end
	}
	if err != nil {
		if c.stderrReader != nil {
			c.stderrReader.Close()
		}
		return nil, err
	}
	c.started = time.Now()
	go c.wait()
	c.rss = sampleRSS(cmd.Process.Pid, c.exited)
	return c, nil
}

func (c *child) wait() {
	c.cmd.Wait()
	c.state = c.cmd.ProcessState
	c.exitedAt = time.Now()
	close(c.exited)
}

// alive reports whether the server process is still running.
func (c *child) alive() bool {
	select {
	case <-c.exited:
		return false
	default:
		return true
	}
}

// waitReady waits until the server accepts connections, for at most
// readyTimeout.
func (c *child) waitReady(ctx context.Context, addr string) error {
	const readyTimeout = 10 * time.Second
	const retry = 20 * time.Millisecond
	for range int(readyTimeout / retry) {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		if !c.alive() {
			return fmt.Errorf("the server exited: %s%s", describeExit(c.state), c.stderrSummary())
		}
		if !sleep(ctx, retry) {
			return ctx.Err()
		}
	}
	return fmt.Errorf("the server does not accept connections on %s after %s", addr, readyTimeout)
}

// kill ends the server (SIGKILL: its graceful shutdown is not what is
// measured) and waits for it.
func (c *child) kill() {
	if c.alive() {
		c.cmd.Process.Kill()
	}
	select {
	case <-c.exited:
	case <-time.After(5 * time.Second):
	}
	if c.stderrReader != nil {
		c.stderrReader.Close()
	}
}

// status says whether the server is alive, or how and when it died.
func (c *child) status() string {
	if c.alive() {
		return "alive at the end"
	}
	return fmt.Sprintf("DIED %.1f s after it started: %s%s",
		c.exitedAt.Sub(c.started).Seconds(), describeExit(c.state), c.stderrSummary())
}

// stderrSummary is the crash lines and last lines of the server's stderr,
// "" when there are none to show.
func (c *child) stderrSummary() string {
	if c.stderr == nil {
		return ""
	}
	crash, last := c.stderr.lines()
	var b strings.Builder
	for _, l := range crash {
		b.WriteString("\n    stderr (crash): " + l)
	}
	for _, l := range last {
		b.WriteString("\n    stderr (last):  " + l)
	}
	return b.String()
}

// crashReason is the server's "fatal error:" or "panic:" line, "" when it
// wrote none.
func (c *child) crashReason() string {
	if c.stderr == nil {
		return ""
	}
	crash, _ := c.stderr.lines()
	for _, line := range crash {
		if !strings.HasPrefix(line, "runtime:") {
			return line
		}
	}
	return ""
}

// describeExit says how a process ended: its exit status, or the signal
// that killed it (a Go program that writes to a closed pipe on fd 1 or 2
// dies of SIGPIPE).
func describeExit(state *os.ProcessState) string {
	if state == nil {
		return "unknown"
	}
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return fmt.Sprintf("killed by signal %s (%v)", signalName(ws.Signal()), ws.Signal())
	}
	return fmt.Sprintf("exit status %d", state.ExitCode())
}

func signalName(sig syscall.Signal) string {
	names := map[syscall.Signal]string{
		syscall.SIGABRT: "SIGABRT", syscall.SIGBUS: "SIGBUS", syscall.SIGINT: "SIGINT",
		syscall.SIGKILL: "SIGKILL", syscall.SIGPIPE: "SIGPIPE", syscall.SIGSEGV: "SIGSEGV",
		syscall.SIGTERM: "SIGTERM",
	}
	if name, ok := names[sig]; ok {
		return name
	}
	return fmt.Sprintf("%d", int(sig))
}

// stderrTail keeps the part of the server's stderr a report needs: the
// lines that say why it crashed (a Go runtime crash prints "runtime:",
// "fatal error:" or "panic:" lines, then a long goroutine dump) and the
// last few lines. The server logs every request, so keeping it all would
// grow without bound.
type stderrTail struct {
	mu      sync.Mutex
	partial []byte   // a line not yet ended
	crash   []string // the first crashLines crash lines
	last    []string // the last tailLines lines
}

const (
	crashLines = 4
	tailLines  = 3
	longLine   = 4096 // a line longer than this is cut
)

func (t *stderrTail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.partial = append(t.partial, p...)
	for {
		i := bytes.IndexByte(t.partial, '\n')
		if i < 0 {
			break
		}
		t.add(string(t.partial[:i]))
		t.partial = append(t.partial[:0], t.partial[i+1:]...)
	}
	if len(t.partial) > longLine {
		t.add(string(t.partial[:longLine]))
		t.partial = t.partial[:0]
	}
	return len(p), nil
}

func (t *stderrTail) add(line string) {
	isCrash := strings.HasPrefix(line, "fatal error:") || strings.HasPrefix(line, "panic:") || strings.HasPrefix(line, "runtime:")
	if isCrash && len(t.crash) < crashLines {
		t.crash = append(t.crash, line)
	}
	t.last = append(t.last, line)
	if len(t.last) > tailLines {
		t.last = t.last[1:]
	}
}

func (t *stderrTail) lines() (crash, last []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.crash), slices.Clone(t.last)
}

// rssEvery is how often the server's memory is sampled.
const rssEvery = 50 * time.Millisecond

// maxRSSSamples bounds the sampler: an hour's worth.
const maxRSSSamples = int(time.Hour / rssEvery)

type rssSample struct {
	at  time.Time
	kib int
}

// rssSampler reads the server's resident set size (VmRSS: the memory it
// actually occupies, not the address space it reserved) from
// /proc/PID/status every rssEvery, until the process exits.
type rssSampler struct {
	mu      sync.Mutex
	samples []rssSample
	latest  memoryStatus // the last reading, for VmHWM and VmPeak
}

func sampleRSS(pid int, exited <-chan struct{}) *rssSampler {
	r := &rssSampler{}
	go r.loop(pid, exited)
	return r
}

func (r *rssSampler) loop(pid int, exited <-chan struct{}) {
	tick := time.NewTicker(rssEvery)
	defer tick.Stop()
	for range maxRSSSamples {
		m, err := readMemory(pid)
		if err != nil {
			return // gone (a zombie has no VmRSS line)
		}
		r.mu.Lock()
		r.samples = append(r.samples, rssSample{time.Now(), m.rssKiB})
		r.latest = m
		r.mu.Unlock()
		select {
		case <-exited:
			return
		case <-tick.C:
		}
	}
}

// memoryStatus is one reading of /proc/PID/status, in KiB.
type memoryStatus struct {
	rssKiB    int // VmRSS: resident now
	hwmKiB    int // VmHWM: the kernel's own record of the peak RSS
	vmPeakKiB int // VmPeak: the largest address space so far, what ulimit -v limits
}

func readMemory(pid int) (memoryStatus, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memoryStatus{}, err
	}
	m := memoryStatus{rssKiB: -1}
	for line := range strings.Lines(string(status)) {
		name, value, _ := strings.Cut(line, ":")
		fields := strings.Fields(value) // "12345 kB"
		if len(fields) == 0 {
			continue
		}
		switch name {
		case "VmRSS":
			m.rssKiB, _ = strconv.Atoi(fields[0])
		case "VmHWM":
			m.hwmKiB, _ = strconv.Atoi(fields[0])
		case "VmPeak":
			m.vmPeakKiB, _ = strconv.Atoi(fields[0])
		}
	}
	if m.rssKiB < 0 {
		return memoryStatus{}, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
	}
	return m, nil
}

// rssSummary is the sampled memory, in MiB.
type rssSummary struct {
	peakMiB, lastMiB, hwmMiB, vmPeakMiB float64
}

func (r *rssSampler) summary() rssSummary {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s rssSummary
	for _, sample := range r.samples {
		s.peakMiB = max(s.peakMiB, mib(sample.kib))
	}
	if n := len(r.samples); n > 0 {
		s.lastMiB = mib(r.samples[n-1].kib)
	}
	s.hwmMiB = mib(r.latest.hwmKiB)
	s.vmPeakMiB = mib(r.latest.vmPeakKiB)
	return s
}

// at returns the RSS in MiB of the last sample taken at or before t, and
// false if there is none.
func (r *rssSampler) at(t time.Time) (float64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.samples) - 1; i >= 0; i-- {
		if !r.samples[i].at.After(t) {
			return mib(r.samples[i].kib), true
		}
	}
	return 0, false
}

func mib(kib int) float64 { return float64(kib) / 1024 }
