//go:build !exercise

package main

import (
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
)

// acceptKey is the Sec-WebSocket-Accept a server must answer key with:
// base64 of the SHA-1 of the key and the GUID (sections 1.3 and 4.2.2).
func acceptKey(key string) string {
	sum := sha1.Sum([]byte(key + websocketGUID))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// checkAccept checks the Sec-WebSocket-Accept of a 101 (got, "" when the
// header is missing) against our key (section 4.1): only a server that
// read our handshake can answer with it. The value is compared exactly:
// base64 is case-sensitive.
func checkAccept(got, key string) error {
	want := acceptKey(key)
	switch {
	case got == "":
		return errors.New("the 101 has no Sec-WebSocket-Accept (section 4.1)")
	case got != want:
		return fmt.Errorf("wrong Sec-WebSocket-Accept %q: for our key %s it must be %s (section 4.2.2)", got, key, want)
	}
	return nil
}
