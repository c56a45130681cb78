package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHandlerServesThePage(t *testing.T) {
	for _, path := range []string{"/", "/index.html", "/?url=ws://127.0.0.1:9001/ws&autoconnect=1"} {
		t.Run(path, func(t *testing.T) {
			w := httptest.NewRecorder()
			Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
			assert.Equal(t, http.StatusOK, w.Code)
			assert.Equal(t, "text/html; charset=utf-8", w.Header().Get("Content-Type"))
			assert.Equal(t, "no-cache", w.Header().Get("Cache-Control"))
			assert.Equal(t, Page(), w.Body.Bytes())
		})
	}
}

func TestHeadSendsTheHeadersWithoutTheBody(t *testing.T) {
	srv := httptest.NewServer(Handler())
	t.Cleanup(srv.Close)
	resp, err := http.Head(srv.URL + "/")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, int64(len(Page())), resp.ContentLength)
	assert.Empty(t, body)
}

func TestOtherPathsAre404AndOtherMethods405(t *testing.T) {
	tests := []struct {
		name, method, path string
		want               int
	}{
		{"another path is not found", http.MethodGet, "/ws", http.StatusNotFound},
		{"a file beside the page is not found", http.MethodGet, "/web.go", http.StatusNotFound},
		{"the favicon is not found", http.MethodGet, "/favicon.ico", http.StatusNotFound},
		{"a POST to the page is not allowed", http.MethodPost, "/", http.StatusMethodNotAllowed},
		{"a DELETE of the page is not allowed", http.MethodDelete, "/index.html", http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			Handler().ServeHTTP(w, httptest.NewRequest(tt.method, tt.path, nil))
			assert.Equal(t, tt.want, w.Code)
			if tt.want == http.StatusMethodNotAllowed {
				assert.Equal(t, "GET, HEAD", w.Header().Get("Allow"))
			}
		})
	}
}

func TestPageReturnsACopy(t *testing.T) {
	p := Page()
	p[0] = 'X'
	assert.Equal(t, byte('<'), Page()[0])
}

// The page must work offline, in a workshop room without internet: every
// src and href, every url() and @import, stays inside the page (a fragment
// or a data: URL) or on the server that served it (a relative path).
func TestThePageLoadsNothingFromOutside(t *testing.T) {
	refs := regexp.MustCompile(`(?i)\b(?:src|href)\s*=\s*["']?([^"'\s>]*)|url\(\s*["']?([^"')\s]*)|@import\s+["']?([^"';\s]*)`)
	external := regexp.MustCompile(`(?i)^(?:[a-z][a-z0-9+.-]*:|//)`)
	found := refs.FindAllStringSubmatch(string(Page()), -1)
	require.NotEmpty(t, found, "the regexp finds the favicon's href at least")
	for _, m := range found {
		value := m[1] + m[2] + m[3]
		if strings.HasPrefix(strings.ToLower(value), "data:") {
			continue
		}
		assert.False(t, external.MatchString(value), "the page loads %q from outside: %s", value, m[0])
	}
	assert.NotRegexp(t, `(?i)<script[^>]*\bsrc=|<link[^>]*\bstylesheet|<iframe|<img`, string(Page()))
}

// The elements docs/client.md names are in the page, each input with its
// label, and each query parameter the doc lists is read by the script.
func TestThePageHasWhatTheDocsName(t *testing.T) {
	html := string(Page())
	for _, id := range []string{"url", "name", "message"} {
		assert.Contains(t, html, `<label for="`+id+`">`, "input %q has a label", id)
		assert.Contains(t, html, `<input id="`+id+`"`)
	}
	for _, id := range []string{"connect", "disconnect", "send"} {
		assert.Regexp(t, `<button id="`+id+`" type="(?:submit|button)"`, html)
	}
	assert.Contains(t, html, `<ol id="log" role="log"`)
	assert.Contains(t, html, `<meta name="viewport"`)
	assert.Contains(t, html, `ws.close(1000, 'bye')`)

	doc, err := os.ReadFile("../../docs/client.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(doc), "\n## The browser page\n")
	require.True(t, ok, "docs/client.md has a section ## The browser page")
	section, _, _ = strings.Cut(section, "\n## ")
	params := regexp.MustCompile("(?m)^\\| `([a-z]+)=").FindAllStringSubmatch(section, -1)
	require.NotEmpty(t, params, "the section's table lists the query parameters as | `name=...`")
	documented := map[string]bool{}
	for _, p := range params {
		documented[p[1]] = true
		assert.Regexp(t, `params\.get(?:All)?\('`+p[1]+`'\)`, html, "docs/client.md lists ?%s=, the page does not read it", p[1])
	}
	for _, read := range regexp.MustCompile(`params\.get(?:All)?\('([a-z]+)'\)`).FindAllStringSubmatch(html, -1) {
		assert.True(t, documented[read[1]], "the page reads ?%s=, docs/client.md does not list it", read[1])
	}
}
