//go:build exercise

package main

import "errors"

// errExercise is what the stubs return until you write them.
var errExercise = errors.New("not written yet (client exercise)")

// acceptKey is the Sec-WebSocket-Accept a server must answer key with.
//
// Exercise (docs/client.md, "Your turn"; RFC 6455 sections 1.3 and
// 4.2.2): append websocketGUID to the key, take the SHA-1 of that text,
// and base64-encode the 20-byte sum.
//
// Hint: crypto/sha1 and encoding/base64.StdEncoding; hash the key as the
// string it is, and encode the sum's bytes, not its hex digits. The RFC's
// example: "dGhlIHNhbXBsZSBub25jZQ==" gives "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".
// Tests: TestAcceptKey...
func acceptKey(key string) string {
	return ""
}

// checkAccept checks the Sec-WebSocket-Accept of a 101 against our key.
//
// Exercise (docs/client.md, "Your turn"; RFC 6455 section 4.1, the
// client's checks of the response): got is the header's value, "" when
// the 101 has none. Return nil only when got is exactly acceptKey(key);
// otherwise an error that says what came and what was expected.
//
// Hint: a missing header is a failure too, and base64 is case-sensitive,
// so compare with ==, not strings.EqualFold. Tests: TestCheckAccept...
func checkAccept(got, key string) error {
	return errExercise
}
