//go:build exercise

package main

import "errors"

// websocketGUID is the fixed string of RFC 6455 section 1.3.
const websocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// errExercise is what the stubs return until you write them.
var errExercise = errors.New("not written yet (exercise 03)")

// acceptKey computes the Sec-WebSocket-Accept value for a client's key.
//
// Exercise (docs/03-handshake.md, sections "The magic string and the
// accept value" and "Your turn"; RFC 6455 sections 1.3 and 4.2.2): append
// websocketGUID to the key, take the SHA-1 of that text (crypto/sha1), and
// base64-encode the 20-byte sum (encoding/base64.StdEncoding).
//
// Hint: hash the key as the string it is; do not base64-decode it first.
// The RFC's example: "dGhlIHNhbXBsZSBub25jZQ==" gives
// "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=". Test: TestAcceptKey.
func acceptKey(key string) string {
	return ""
}

// checkHandshake validates the WebSocket fields of an upgrade request and
// returns what the 101 answer must say, or the refusal to send instead.
//
// Exercise (docs/03-handshake.md, sections "What a server must check" and
// "Your turn"; RFC 6455 sections 4.2.1 items 5 and 6, 4.4): two
// Sec-WebSocket-Version headers: 400. A version other than "13" (or none):
// 426 with the headers Upgrade: websocket, Connection: Upgrade and
// Sec-WebSocket-Version: 13. Sec-WebSocket-Key missing or repeated: 400; not
// base64 of exactly 16 bytes: 400. Otherwise return the accept value and the
// subprotocol chosen by selectSubprotocol.
//
// Hint: req.header.values gives every line of a field; refusal builds the
// error with its headers (a plain error has no status, and the server
// would close without an answer). Write acceptKey and selectSubprotocol
// first: this calls both. Tests: TestCheckHandshake*.
func checkHandshake(req *request, protocols []string) (handshake, error) {
	return handshake{}, errExercise
}

// selectSubprotocol returns the first protocol the client offered that the
// server supports, or "" when there is none.
//
// Exercise (docs/03-handshake.md, sections "Subprotocols" and "Your turn";
// RFC 6455 section 4.2.2 /subprotocol/): walk the client's list in its
// order (its order of preference) and compare names exactly.
// Test: TestSelectSubprotocol.
func selectSubprotocol(offered, supported []string) string {
	return ""
}
