package main

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// checkOrigin stops cross-site WebSocket hijacking (RFC 6455 section 10.2).
// A browser sends the page's origin with every WebSocket request, and the
// user's cookies for this server too, whichever site the page came from:
// without this check, any site the user visits could join the chat as
// them. So a request with an Origin must come from a page of this server
// (same scheme, same host and port as Host), or from an origin the server
// was told to allow (-allow-origin; "*" allows every one). A request
// without Origin comes from a program, not a browser page, and has no
// cookies of the user's to abuse: it is accepted.
//
// Origins are compared whole and exactly, ignoring case only: a test for
// "contains example.com" or "ends with example.com" lets
// attacker-example.com in.
func checkOrigin(req *request, allowed []string, secure bool) error {
	origins := req.header.values("Origin")
	switch {
	case len(origins) == 0:
		return nil
	case len(origins) > 1:
		return refusal(403, "more than one Origin header")
	}
	origin := strings.TrimSpace(origins[0])
	for _, a := range allowed {
		if a == "*" || strings.EqualFold(a, origin) {
			return nil
		}
	}
	scheme := "http"
	if secure {
		scheme = "https"
	}
	u, err := url.Parse(origin)
	// An origin is scheme://host[:port] and nothing more (RFC 6454
	// section 6.2): no path, query, fragment or user.
	if err == nil && u.Scheme == scheme && u.Host != "" && u.Path == "" && u.User == nil &&
		u.RawQuery == "" && !u.ForceQuery && u.Fragment == "" && u.Opaque == "" &&
		strings.EqualFold(withPort(u.Host, scheme), withPort(req.header.get("Host"), scheme)) {
		return nil
	}
	return refusal(403, fmt.Sprintf("a page from %s may not use this chat; only pages of this server may (or start it with -allow-origin %s)", origin, origin))
}

// withPort adds the scheme's default port to a host that has none, so that
// "localhost" and "localhost:80" compare equal for http.
func withPort(host, scheme string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	if scheme == "https" {
		return net.JoinHostPort(strings.Trim(host, "[]"), "443")
	}
	return net.JoinHostPort(strings.Trim(host, "[]"), "80")
}
