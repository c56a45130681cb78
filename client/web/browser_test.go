//go:build unix

package web

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"wsfromscratch/client/internal/echoserver"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const browserTimeout = 30 * time.Second

// TestPageEchoesAndClosesCleanlyInChromium opens the page in headless
// Chromium against chapter 05's echo server, built and started as a learner
// would, and drives it through its query parameters: connect with a name,
// send hello, disconnect after the echo. What the page's log shows comes
// back over its report parameter.
func TestPageEchoesAndClosesCleanlyInChromium(t *testing.T) {
	chromium := findChromium(t)
	addr, serverLog := echoserver.Start(t, browserTimeout)
	reports := reportServer(t)
	pageServer := httptest.NewServer(Handler())
	t.Cleanup(pageServer.Close)

	query := url.Values{
		"url":         {"ws://" + addr + "/ws"},
		"name":        {"ann"},
		"autoconnect": {"1"},
		"send":        {"hello"},
		"closeafter":  {"1"},
		"report":      {reports.url},
	}
	runBrowser(t, chromium, pageServer.URL+"/?"+query.Encode(), serverLog)

	reports.waitFor(t, "connecting ws://"+addr+"/ws?name=ann")
	reports.waitFor(t, "open")
	reports.waitFor(t, "sent hello")
	reports.waitFor(t, "message hello")
	closed := reports.waitFor(t, "close ")
	assert.Regexp(t, `^close 1000 ".*" wasClean=true$`, closed)
	serverLog.WaitFor(t, `closing handshake done (client sent 1000 "bye")`)
}

// reports collects the lines the page POSTs to its report URL.
type reports struct {
	url   string
	lines chan string
	seen  []string
}

func reportServer(t *testing.T) *reports {
	r := &reports{lines: make(chan string, 100)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(req.Body, 4096))
		select {
		case r.lines <- string(body):
		default:
		}
	}))
	t.Cleanup(srv.Close)
	r.url = srv.URL + "/report"
	return r
}

// waitFor returns the next reported line that starts with want; the lines
// before it are skipped.
func (r *reports) waitFor(t *testing.T, want string) string {
	t.Helper()
	timeout := time.After(browserTimeout)
	for {
		select {
		case line := <-r.lines:
			r.seen = append(r.seen, line)
			if strings.HasPrefix(line, want) {
				return line
			}
		case <-timeout:
			require.FailNow(t, "the page did not log this in time", "want a line starting %q; the page's log so far:\n%s",
				want, strings.Join(r.seen, "\n"))
		}
	}
}

// findChromium returns Chromium's path. Without one the test is skipped,
// unless WS_REQUIRE_BROWSER is set (CI sets it): then it fails.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	msg := "no Chromium found (looked for $CHROMIUM, chromium, chromium-browser, google-chrome); " +
		"install it (Debian: apt-get install chromium) to run the browser test"
	if os.Getenv("WS_REQUIRE_BROWSER") != "" {
		t.Fatal(msg + "; WS_REQUIRE_BROWSER is set, so this test is required")
	}
	t.Skip("skipping: " + msg)
	return ""
}

// runBrowser starts headless Chromium on url, with a fresh profile; the
// test's cleanup stops it and everything it started. If the test failed,
// the cleanup prints the server's log, or Chromium's output (without the
// D-Bus complaints of a machine without a desktop) if the server logged
// nothing past its start.
func runBrowser(t *testing.T, chromium, url string, server *echoserver.Log) {
	t.Helper()
	args := []string{"--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--user-data-dir=" + t.TempDir(), url}
	if os.Geteuid() == 0 {
		args = append([]string{"--no-sandbox"}, args...) // Chromium refuses to run as root with its sandbox
	}
	cmd := exec.Command(chromium, args...)
	var output syncBuffer
	cmd.Stdout, cmd.Stderr = &output, &output
	// Its own process group, so that cleanup stops the renderer and the
	// other helper processes too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		if !t.Failed() {
			return
		}
		if logged := server.String(); strings.Count(logged, "\n") > 0 {
			t.Logf("the server's log during the test:\n%s", lastLines(logged, 30))
			return
		}
		var said []string
		for _, line := range strings.Split(output.String(), "\n") {
			if !strings.Contains(line, "dbus") {
				said = append(said, line)
			}
		}
		t.Logf("the server logged nothing: did the page reach it? Chromium's output, D-Bus complaints left out:\n%s",
			lastLines(strings.Join(said, "\n"), 20))
	})
}

// lastLines keeps the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) <= n {
		return s
	}
	return fmt.Sprintf("[... %d lines left out ...]\n", len(lines)-n) + strings.Join(lines[len(lines)-n:], "\n")
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 {
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.TrimSpace(b.buf.String())
}
