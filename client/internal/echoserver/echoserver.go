// Package echoserver builds and starts chapter 05's echo server for the
// clients' tests, which talk to it as a learner would: a real server
// process on a free loopback port, its log readable line by line.
package echoserver

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Start builds ./05-write-frames, runs it on 127.0.0.1:0 and returns the
// address it listens on, and its log. The server is killed when the test
// ends. Without the go tool the test is skipped.
func Start(t *testing.T, timeout time.Duration) (string, *Log) {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH: cannot build 05-write-frames")
	}
	bin := filepath.Join(t.TempDir(), "ws05")
	build := exec.Command(goTool, "build", "-o", bin, "./05-write-frames")
	build.Dir = moduleRoot(t)
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build ./05-write-frames: %s", out)

	server := exec.Command(bin, "-addr", "127.0.0.1:0")
	stderr, err := server.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, server.Start())
	log := &Log{lines: make(chan string, 1000), timeout: timeout}
	go log.collect(bufio.NewScanner(stderr))
	t.Cleanup(func() {
		server.Process.Kill()
		server.Wait()
	})
	line := log.WaitFor(t, "listening on ")
	return strings.Fields(strings.SplitN(line, "listening on ", 2)[1])[0], log
}

// moduleRoot is the folder of go.mod, above the test's working directory.
func moduleRoot(t *testing.T) string {
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "no go.mod above the test")
		dir = parent
	}
}

// Log hands the server's log lines to the test as they come.
type Log struct {
	lines   chan string
	seen    []string
	timeout time.Duration
}

func (l *Log) collect(sc *bufio.Scanner) {
	for sc.Scan() {
		select {
		case l.lines <- sc.Text():
		default: // the test stopped reading: drop, never block the pipe
		}
	}
	close(l.lines)
}

// WaitFor returns the first line that contains want, failing the test if
// none comes within the timeout given to Start.
func (l *Log) WaitFor(t *testing.T, want string) string {
	t.Helper()
	timeout := time.After(l.timeout)
	for {
		select {
		case line, ok := <-l.lines:
			require.True(t, ok, "the server's log ended without %q:\n%s", want, strings.Join(l.seen, "\n"))
			l.seen = append(l.seen, line)
			if strings.Contains(line, want) {
				return line
			}
		case <-timeout:
			require.FailNow(t, "not in the server's log in time", "%q:\n%s", want, strings.Join(l.seen, "\n"))
		}
	}
}

// String returns the lines logged so far, without waiting for more.
func (l *Log) String() string {
	for {
		select {
		case line, ok := <-l.lines:
			if !ok {
				return strings.Join(l.seen, "\n")
			}
			l.seen = append(l.seen, line)
		default:
			return strings.Join(l.seen, "\n")
		}
	}
}
