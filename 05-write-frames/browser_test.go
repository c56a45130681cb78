//go:build unix

package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBrowserEchoAndCleanClose is the chapter's promise, checked with a
// real browser: Chromium sends a text, a binary and a 100 KB text message,
// each comes back equal and of the same type, then the page closes with
// 1000 and the browser reports a clean close.
func TestBrowserEchoAndCleanClose(t *testing.T) {
	chromium := findChromium(t)
	cfg := testConfig()
	cfg.trace = true
	ts := startServer(t, cfg)

	page, reports := reportingPage(t, fmt.Sprintf(`
		const ws = new WebSocket('ws://%s/');
		ws.binaryType = 'arraybuffer';
		const sent = ['hello, κόσμε', new Uint8Array([0, 1, 2, 255]), 'x'.repeat(100000)];
		const got = [];
		ws.onopen = () => sent.forEach((m) => ws.send(m));
		ws.onmessage = (e) => {
			got.push(e.data);
			if (got.length < sent.length) return;
			const same = got[0] === sent[0] &&
				got[1] instanceof ArrayBuffer && new Uint8Array(got[1]).join() === sent[1].join() &&
				got[2] === sent[2];
			report('echo ' + (same ? 'equal' : 'DIFFERENT: ' + got.map((g) => String(g).slice(0, 20)).join('|')));
			ws.close(1000, 'done');
		};
		ws.onerror = () => report('error');
		ws.onclose = (e) => report('close code=' + e.code + ' wasClean=' + e.wasClean);
	`, ts.addr))
	runBrowser(t, chromium, page, ts.logs)

	for _, want := range []string{"echo equal", "close code=1000 wasClean=true"} {
		select {
		case got := <-reports:
			require.Equal(t, want, got)
		case <-time.After(30 * time.Second):
			t.Fatalf("the browser did not report %q in 30s", want)
		}
	}
	ts.logs.waitFor(t, `closing handshake done (client sent 1000 "done")`)
	// Browsers mask every frame with a fresh key (section 5.3).
	assert.Contains(t, ts.logs.waitFor(t, "client frame: FIN=1 RSV=000 opcode=0x2 (binary) MASK=1 length=4"), "masking key")
}

// findChromium returns Chromium's path. Without one the test is skipped,
// unless WS_REQUIRE_BROWSER is set (CI sets it): then it fails.
func findChromium(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"}
	for _, name := range candidates {
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

// reportingPage serves an HTML page that runs script; the script's
// report(text) calls arrive on the returned channel, in the order made.
func reportingPage(t *testing.T, script string) (string, <-chan string) {
	t.Helper()
	reports := make(chan string, 16)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><meta charset="utf-8"><title>test</title><script>
// One POST at a time, so the reports arrive in the order they were made.
let reporting = Promise.resolve();
const report = (text) => {
	reporting = reporting.then(() => fetch('/report', {method: 'POST', body: text})).catch(() => {});
};
%s
</script>`, script)
	})
	mux.HandleFunc("POST /report", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
		select {
		case reports <- string(body):
		default:
		}
	})
	mux.HandleFunc("GET /favicon.ico", http.NotFound)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/", reports
}

// runBrowser starts headless Chromium on url; the test's cleanup stops it
// and everything it started. If the test failed, the cleanup prints what
// the server logged meanwhile: a refused handshake or a broken frame shows
// there. Chromium's own output, mostly the D-Bus complaints of a machine
// without a desktop, is shown only when the server logged nothing at all,
// and then without those.
func runBrowser(t *testing.T, chromium, url string, serverLog *logLines) {
	t.Helper()
	cmd := exec.Command(chromium,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), url)
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
		if logged := serverLog.String(); logged != "" {
			t.Logf("the server's log during the test:\n%s", clip(logged, 10, 30))
			return
		}
		var said []string
		for _, line := range strings.Split(output.String(), "\n") {
			if !strings.Contains(line, "dbus") {
				said = append(said, line)
			}
		}
		t.Logf("the server logged nothing: did the browser reach it? Chromium's output, D-Bus complaints left out:\n%s",
			clip(strings.Join(said, "\n"), 0, 20))
	})
}

// clip keeps the first head and the last tail lines of s, and says how
// many it left out between them (two or more: one is shown instead).
func clip(s string, head, tail int) string {
	lines := strings.Split(s, "\n")
	if len(lines) <= head+tail+1 {
		return s
	}
	left := fmt.Sprintf("[... %d lines left out ...]", len(lines)-head-tail)
	return strings.Join(append(append(lines[:head:head], left), lines[len(lines)-tail:]...), "\n")
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
