package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCheckOrigin(t *testing.T) {
	tests := []struct {
		name    string
		host    string
		origins []string // the request's Origin headers
		allowed []string // -allow-origin
		secure  bool     // served over TLS
		status  int      // 0: accepted
	}{
		{name: "no Origin (a program, not a page) is accepted", host: "localhost:9001"},
		{name: "the server's own page is accepted", host: "localhost:9001", origins: []string{"http://localhost:9001"}},
		{name: "host names are compared ignoring case", host: "LocalHost:9001", origins: []string{"http://localhost:9001"}},
		{name: "a default port written out is the same origin", host: "example.com:80", origins: []string{"http://example.com"}},
		{name: "over TLS, the page's origin is https", host: "localhost:9001", origins: []string{"https://localhost:9001"}, secure: true},
		{name: "another site's page gets 403", host: "localhost:9001", origins: []string{"http://evil.example"}, status: 403},
		{name: "another port is another origin", host: "localhost:9001", origins: []string{"http://localhost:8000"}, status: 403},
		{name: "http against a TLS server is another origin", host: "localhost:9001", origins: []string{"http://localhost:9001"}, secure: true, status: 403},
		{name: "a page from a file (Origin: null) gets 403", host: "localhost:9001", origins: []string{"null"}, status: 403},
		{name: "a longer host that starts with ours gets 403", host: "localhost:9001", origins: []string{"http://localhost:9001.evil.example"}, status: 403},
		{name: "a host that ends with ours gets 403", host: "example.com", origins: []string{"http://attackerexample.com"}, status: 403},
		{name: "an origin with a path is not an origin", host: "localhost:9001", origins: []string{"http://localhost:9001/"}, status: 403},
		{name: "an origin with a query is not an origin", host: "localhost:9001", origins: []string{"http://localhost:9001?x=1"}, status: 403},
		{name: "an origin with a fragment is not an origin", host: "localhost:9001", origins: []string{"http://localhost:9001#x"}, status: 403},
		{name: "an origin with no host is not the server's, even with an empty Host", host: "", origins: []string{"http://"}, status: 403},
		{name: "two Origin headers get 403", host: "localhost:9001", origins: []string{"http://localhost:9001", "http://evil.example"}, status: 403},
		{name: "an origin listed in -allow-origin is accepted", host: "localhost:9001", origins: []string{"http://localhost:8000"}, allowed: []string{"http://localhost:8000"}},
		{name: "-allow-origin compares whole origins, not prefixes", host: "localhost:9001", origins: []string{"http://localhost:80000"}, allowed: []string{"http://localhost:8000"}, status: 403},
		{name: "-allow-origin * accepts any page", host: "localhost:9001", origins: []string{"http://evil.example"}, allowed: []string{"*"}},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			req := &request{method: "GET", target: wsPath, header: header{{"Host", tt.host}}}
			for _, o := range tt.origins {
				req.header = append(req.header, headerField{"Origin", o})
			}
			err := checkOrigin(req, tt.allowed, tt.secure)
			if tt.status == 0 {
				assert.NoError(t, err)
				return
			}
			var herr *httpError
			if assert.ErrorAs(t, err, &herr) {
				assert.Equal(t, tt.status, herr.status)
			}
		})
	}
}
