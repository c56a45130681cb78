package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAcceptKey(t *testing.T) {
	tests := []struct {
		name string
		key  string
		want string
	}{
		{"the example of RFC 6455 section 1.3", "dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="},
		{"a second pair used by many test suites", "x3JJHMbDL1EzLkh9GBhXDw==", "HSmrc0sMlYUkAGmm5OPpG2HaGWk="},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, acceptKey(tt.key))
		})
	}
}

// upgradeRequest is the RFC's client handshake with some lines replaced:
// each pair is old line, new line ("" deletes the line).
func upgradeRequest(t *testing.T, replacements ...string) *request {
	t.Helper()
	raw := rfcRequest
	for i := 0; i+1 < len(replacements); i += 2 {
		old, repl := replacements[i]+"\r\n", replacements[i+1]
		if repl != "" {
			repl += "\r\n"
		}
		require.Contains(t, raw, old)
		raw = strings.Replace(raw, old, repl, 1)
	}
	return parse(t, raw)
}

func TestCheckHandshake(t *testing.T) {
	const key, version = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"
	const protocol = "Sec-WebSocket-Protocol: chat, superchat"
	tests := []struct {
		name      string
		req       *request
		supported []string
		want      handshake
		status    int
	}{
		{name: "the RFC's request is accepted with the RFC's answer",
			req: upgradeRequest(t), supported: []string{"chat"}, want: handshake{accept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", protocol: "chat"}},
		{name: "the key as the last header works (Pithikos/python-websocket-server's regex needs a CRLF after it)",
			req: upgradeRequest(t, key, "", version, version+"\r\n"+key), supported: nil, want: handshake{accept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="}},
		{name: "header names in odd case work",
			req: upgradeRequest(t, key, "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==", version, "SEC-WEBSOCKET-VERSION: 13"), supported: nil, want: handshake{accept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="}},
		// The accept value was computed outside Go: printf '%s' 'AQIDBAUGBwgJCgsMDQ4PEC==258EAFA5-E914-47DA-95CA-C5AB0DC85B11' | sha1sum | xxd -r -p | base64
		{name: "the RFC's printed key with erratum 3150 still decodes to 16 bytes",
			req: upgradeRequest(t, key, "Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEC=="), supported: nil, want: handshake{accept: "OfS0wDaT5NoxF2gqm7Zj2YtetzM="}},
		{name: "no subprotocol offered means none chosen",
			req: upgradeRequest(t, protocol, ""), supported: []string{"chat"}, want: handshake{accept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="}},
		{name: "no supported subprotocol offered means none chosen",
			req: upgradeRequest(t), supported: []string{"mqtt"}, want: handshake{accept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="}},
		{name: "the second offer, after a comma and a space, is found (the tokens are trimmed)",
			req: upgradeRequest(t), supported: []string{"superchat"}, want: handshake{accept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", protocol: "superchat"}},
		{name: "offers on two Sec-WebSocket-Protocol lines are one list",
			req: upgradeRequest(t, protocol, "Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: superchat"), supported: []string{"superchat"}, want: handshake{accept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", protocol: "superchat"}},
		{name: "the client's preference wins",
			req: upgradeRequest(t), supported: []string{"superchat", "chat"}, want: handshake{accept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", protocol: "chat"}},
		{name: "a missing key gets 400 (isnowfy/python-websocket closes without an answer)",
			req: upgradeRequest(t, key, ""), supported: nil, want: handshake{}, status: 400},
		{name: "two keys get 400",
			req: upgradeRequest(t, key, key+"\r\n"+key), supported: nil, want: handshake{}, status: 400},
		{name: "a key of 10 bytes gets 400",
			req: upgradeRequest(t, key, "Sec-WebSocket-Key: dGhlIHNhbXBsZQ=="), supported: nil, want: handshake{}, status: 400},
		{name: "a key of 17 bytes gets 400",
			req: upgradeRequest(t, key, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZSE="), supported: nil, want: handshake{}, status: 400},
		{name: "a key that is not base64 gets 400",
			req: upgradeRequest(t, key, "Sec-WebSocket-Key: the sample nonce"), supported: nil, want: handshake{}, status: 400},
		{name: "an empty key gets 400",
			req: upgradeRequest(t, key, "Sec-WebSocket-Key:"), supported: nil, want: handshake{}, status: 400},
		{name: "version 8 gets 426",
			req: upgradeRequest(t, version, "Sec-WebSocket-Version: 8"), supported: nil, want: handshake{}, status: 426},
		{name: "a missing version gets 426",
			req: upgradeRequest(t, version, ""), supported: nil, want: handshake{}, status: 426},
		{name: "version 013 is not 13: 426",
			req: upgradeRequest(t, version, "Sec-WebSocket-Version: 013"), supported: nil, want: handshake{}, status: 426},
		{name: "two version headers get 400",
			req: upgradeRequest(t, version, version+"\r\n"+version), supported: nil, want: handshake{}, status: 400},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			hs, err := checkHandshake(tt.req, tt.supported)
			if tt.status != 0 {
				assert.Equal(t, tt.status, statusOf(err), "error: %v", err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, hs)
		})
	}
}

func TestCheckHandshakeRefusesVersionsWithTheVersionItSpeaks(t *testing.T) {
	_, err := checkHandshake(upgradeRequest(t, "Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8"), nil)
	var herr *httpError
	require.ErrorAs(t, err, &herr)
	assert.Equal(t, 426, herr.status)
	assert.Equal(t, "13", herr.header.get("Sec-WebSocket-Version"))
	assert.Equal(t, "websocket", herr.header.get("Upgrade"), "RFC 7231 section 6.5.15: 426 names the protocol")
	assert.Equal(t, "Upgrade", herr.header.get("Connection"), "RFC 7230 section 6.7: Upgrade comes with Connection: Upgrade")
}

func TestSelectSubprotocol(t *testing.T) {
	tests := []struct {
		name      string
		offered   []string
		supported []string
		want      string
	}{
		{name: "the first offered that is supported", offered: []string{"chat", "superchat"}, supported: []string{"superchat", "chat"}, want: "chat"},
		{name: "skips offers the server does not speak", offered: []string{"mqtt", "superchat"}, supported: []string{"chat", "superchat"}, want: "superchat"},
		{name: "none in common is none", offered: []string{"mqtt"}, supported: []string{"chat"}, want: ""},
		{name: "nothing offered is none", offered: nil, supported: []string{"chat"}, want: ""},
		{name: "nothing supported is none", offered: []string{"chat"}, supported: nil, want: ""},
		{name: "names are compared exactly", offered: []string{"Chat"}, supported: []string{"chat"}, want: ""},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, selectSubprotocol(tt.offered, tt.supported))
		})
	}
}
