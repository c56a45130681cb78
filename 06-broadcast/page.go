package main

import (
	"fmt"
	"io"
	"net/url"
	"strings"

	"wsfromscratch/client/web"
)

// wsPath is where the chat's WebSocket endpoint is; the page is on "/".
const wsPath = "/ws"

// route splits a request's target into its path and its query (RFC 7230
// section 5.3: origin form "/ws?name=ann", or absolute form, which a
// proxy sends). A target that is neither gets 400.
func route(target string) (path string, query url.Values, err error) {
	u, err := url.ParseRequestURI(target)
	if err != nil || (u.Path == "" && u.Host == "") {
		return "", nil, refusal(400, "the request target must be a path such as /ws")
	}
	if u.Path == "" {
		u.Path = "/"
	}
	query, err = url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", nil, refusal(400, "the query of the request target is malformed")
	}
	return u.Path, query, nil
}

// checkPage decides whether req is for the page (nil) or gets a refusal:
// the page is read with GET or HEAD, and asking to upgrade it is asking
// the wrong path.
func checkPage(req *request) error {
	if req.header.hasToken("Upgrade", "websocket") {
		return refusal(404, "the WebSocket endpoint is "+wsPath+", not this path")
	}
	if req.method != "GET" && req.method != "HEAD" {
		return refusal(405, "the page is only read: GET or HEAD", "Allow", "GET, HEAD")
	}
	return nil
}

// writePage sends the browser page (client/web), whole, with its length;
// the connection then closes, as after every answer of this server other
// than 101. The page is not cached, so an edited page shows at once.
func writePage(w io.Writer, head bool) error {
	page := web.Page()
	var b strings.Builder
	b.WriteString("HTTP/1.1 200 OK\r\n")
	b.WriteString("Content-Type: text/html; charset=utf-8\r\n")
	b.WriteString("Cache-Control: no-cache\r\n")
	b.WriteString("X-Content-Type-Options: nosniff\r\n")
	b.WriteString("Connection: close\r\n")
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(page))
	if !head {
		b.Write(page)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
