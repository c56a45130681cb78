package main

import (
	"bufio"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The client against the real echo server of chapter 05, built and started
// as a learner would: the echoes come back, and the server's log says the
// closing handshake was done.
func TestAgainstTheChapter05EchoServer(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH: cannot build 05-write-frames")
	}
	bin := filepath.Join(t.TempDir(), "ws05")
	build := exec.Command(goTool, "build", "-o", bin, "./05-write-frames")
	build.Dir = ".."
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build ./05-write-frames: %s", out)

	server := exec.Command(bin, "-addr", "127.0.0.1:0")
	stderr, err := server.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, server.Start())
	log := &serverLog{lines: make(chan string, 1000)}
	go log.collect(bufio.NewScanner(stderr))
	t.Cleanup(func() {
		server.Process.Kill()
		server.Wait()
	})

	addr := log.waitFor(t, "listening on ")
	addr = strings.Fields(strings.SplitN(addr, "listening on ", 2)[1])[0]
	cfg := config{send: []string{"hello", "κόσμε"}, expect: 2}
	r := waitClient(t, startClient(context.Background(), cfg, "ws://"+addr+"/", nil))
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "< hello\n< κόσμε\n", r.stdout)
	assert.Contains(t, r.stderr, "* close 1000 (clean)")
	log.waitFor(t, "closing handshake done (client sent 1000)")
}

// serverLog hands the server's log lines to the test as they come.
type serverLog struct {
	lines chan string
	seen  []string
}

func (l *serverLog) collect(sc *bufio.Scanner) {
	for sc.Scan() {
		select {
		case l.lines <- sc.Text():
		default: // the test stopped reading: drop, never block the pipe
		}
	}
	close(l.lines)
}

// waitFor returns the first line that contains want.
func (l *serverLog) waitFor(t *testing.T, want string) string {
	t.Helper()
	timeout := time.After(testTimeout)
	for {
		select {
		case line, ok := <-l.lines:
			require.True(t, ok, "the server's log ended without %q:\n%s", want, strings.Join(l.seen, "\n"))
			l.seen = append(l.seen, line)
			if strings.Contains(line, want) {
				return line
			}
		case <-timeout:
			require.FailNow(t, "not in the server's log within the timeout", "%q:\n%s", want, strings.Join(l.seen, "\n"))
		}
	}
}
