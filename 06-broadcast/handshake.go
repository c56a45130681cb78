package main

import (
	"crypto/sha1"
	"encoding/base64"
	"slices"
)

// websocketGUID is the fixed string of RFC 6455 section 1.3 that the server
// appends to the client's key. Only a server that read the handshake and
// knows WebSocket can produce the right answer; it is not a secret.
const websocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// acceptKey computes the Sec-WebSocket-Accept value for a client's
// Sec-WebSocket-Key: base64(SHA-1(key + GUID)), RFC 6455 section 4.2.2
// step 5.4. The key is hashed as the text it arrived as; it is not
// base64-decoded first.
func acceptKey(key string) string {
	sum := sha1.Sum([]byte(key + websocketGUID))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// checkHandshake validates the WebSocket fields of an upgrade request (one
// that checkUpgrade accepted) and returns what the 101 answer must say, or
// the refusal to send instead (RFC 6455 section 4.2.1 items 5 and 6).
func checkHandshake(req *request, protocols []string) (handshake, error) {
	// Section 4.4: a server that does not speak the client's version
	// answers 426 and lists the versions it does speak.
	switch versions := req.header.values("Sec-WebSocket-Version"); {
	case len(versions) > 1:
		return handshake{}, refusal(400, "more than one Sec-WebSocket-Version header")
	case len(versions) == 0 || versions[0] != "13":
		return handshake{}, refusal(426, "this server speaks WebSocket version 13 (RFC 6455)",
			"Upgrade", "websocket", "Connection", "Upgrade", "Sec-WebSocket-Version", "13")
	}

	keys := req.header.values("Sec-WebSocket-Key")
	switch {
	case len(keys) == 0:
		return handshake{}, refusal(400, "missing Sec-WebSocket-Key header")
	case len(keys) > 1:
		return handshake{}, refusal(400, "more than one Sec-WebSocket-Key header")
	}
	// The key is a random 16-byte value, base64-encoded (section 4.1).
	if nonce, err := base64.StdEncoding.DecodeString(keys[0]); err != nil || len(nonce) != 16 {
		return handshake{}, refusal(400, "Sec-WebSocket-Key must be base64 of 16 bytes")
	}

	return handshake{
		accept:   acceptKey(keys[0]),
		protocol: selectSubprotocol(req.header.tokens("Sec-WebSocket-Protocol"), protocols),
	}, nil
}

// selectSubprotocol returns the first protocol the client offered that the
// server supports, or "" when there is none (RFC 6455 section 4.2.2
// /subprotocol/). The client lists its protocols in order of preference.
// Subprotocol names are compared exactly.
func selectSubprotocol(offered, supported []string) string {
	for _, p := range offered {
		if slices.Contains(supported, p) {
			return p
		}
	}
	return ""
}
