package main

import (
	"bufio"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMain lets a test run this chapter's main in a process of its own:
// the test binary, started again with WS_RUN_MAIN=1, is the server. What
// only a whole process shows (signals, a closed stderr) is tested that way.
func TestMain(m *testing.M) {
	if os.Getenv("WS_RUN_MAIN") == "1" {
		os.Args = append([]string{"server"}, strings.Fields(os.Getenv("WS_MAIN_ARGS"))...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// serverProcess is main running in a child process.
type serverProcess struct {
	cmd    *exec.Cmd
	addr   string
	stderr io.ReadCloser // the read end of the child's stderr pipe
	lines  chan string   // what the child logs, line by line
	exited chan struct{} // closed when the child has exited; then err is its end
	err    error
}

// startProcess starts main with args and waits for its "listening on" line.
func startProcess(t *testing.T, args string) *serverProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "WS_RUN_MAIN=1", "WS_MAIN_ARGS=-addr 127.0.0.1:0 "+args)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &serverProcess{cmd: cmd, stderr: stderr, lines: make(chan string, 100), exited: make(chan struct{})}
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.exited
	})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			select {
			case p.lines <- sc.Text():
			default: // nobody is waiting for this line
			}
		}
		p.err = cmd.Wait()
		close(p.exited)
	}()
	listening := regexp.MustCompile(`listening on (\S+)`)
	line := p.waitFor(t, "listening on")
	p.addr = listening.FindStringSubmatch(line)[1]
	return p
}

// waitFor returns the first line the child logs that contains substr.
func (p *serverProcess) waitFor(t *testing.T, substr string) string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case line := <-p.lines:
			if strings.Contains(line, substr) {
				return line
			}
		case <-deadline:
			t.Fatalf("the server logged no line containing %q", substr)
			return ""
		}
	}
}

// answers sends the server a request line and reports whether anything at
// all comes back: an echo, or an HTTP answer from chapter 02 on.
func answers(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return false
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil {
		return false
	}
	n, _ := conn.Read(make([]byte, 1))
	return n == 1
}

func TestMainSurvivesItsLogReaderGoingAway(t *testing.T) {
	p := startProcess(t, "")
	// The reader of stderr goes away: every log write from now on fails
	// with EPIPE. Without signal.Ignore(SIGPIPE) the first one kills the
	// process.
	p.stderr.Close()
	for i := range 3 {
		if !answers(p.addr) {
			t.Fatalf("connection %d of 3 got no answer: the server must still serve after its log reader left", i+1)
		}
	}
	select {
	case <-p.exited:
		t.Fatalf("the server died: %v", p.err)
	default:
	}
}

func TestMainEndsAtOnceOnASecondInterrupt(t *testing.T) {
	p := startProcess(t, "-grace 1m -max-conns 1")
	// A connection that keeps the server's graceful shutdown waiting: half
	// a request. A second connection's 503 shows the first one was taken.
	conn, err := net.DialTimeout("tcp", p.addr, timeout)
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "G")
	require.NoError(t, err)
	second, err := net.DialTimeout("tcp", p.addr, timeout)
	require.NoError(t, err)
	defer second.Close()
	second.SetDeadline(time.Now().Add(timeout))
	status, err := bufio.NewReader(second).ReadString('\n')
	require.NoError(t, err)
	require.Contains(t, status, "503")

	require.NoError(t, p.cmd.Process.Signal(os.Interrupt))
	p.waitFor(t, "shutting down")
	require.NoError(t, p.cmd.Process.Signal(os.Interrupt))
	select {
	case <-p.exited:
		var exit *exec.ExitError
		require.ErrorAs(t, p.err, &exit, "killed by the signal, not a clean exit after the grace period")
		status, ok := exit.Sys().(syscall.WaitStatus)
		require.True(t, ok)
		assert.Equal(t, syscall.SIGINT, status.Signal())
	case <-time.After(timeout):
		t.Fatal("a second Ctrl-C did not end the program; it still waits for its one-minute grace period")
	}
}
