// Package web holds the browser page of the tutorial: a WebSocket test page
// with a URL and a name field, Connect and Disconnect, a log of events and
// a send box. It is one HTML file, index.html, with its CSS and JavaScript
// inline and nothing loaded from elsewhere, so it works offline.
//
// Chapter 06's chat serves it on / (and its WebSocket on /ws) with its own
// HTTP code, as it answers everything else: writePage (06-broadcast/page.go)
// sends Page() as a 200 answer. Handler does the same for a program built
// on net/http. Against chapter 05's echo server, open index.html from
// disk: docs/client.md, "The browser page", says how, and lists the page's
// query parameters.
package web

import (
	"bytes"
	_ "embed"
	"net/http"
	"strconv"
)

//go:embed index.html
var page []byte

// Page returns a copy of the page's bytes.
func Page() []byte { return bytes.Clone(page) }

// Handler serves the page on GET or HEAD of / or /index.html. Other paths
// get 404 and other methods 405. The page is sent with Cache-Control:
// no-cache, so a browser asks again each time and an edited page shows at
// once.
func Handler() http.Handler { return http.HandlerFunc(servePage) }

func servePage(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" && r.URL.Path != "/index.html" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed: the page is only read", http.StatusMethodNotAllowed)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(page)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(page)
}
