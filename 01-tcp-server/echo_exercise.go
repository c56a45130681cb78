//go:build exercise

package main

import (
	"errors"
	"io"
)

// echo writes back everything it reads from rw until the peer closes its
// side, and returns how many bytes it echoed.
//
// Exercise (docs/01-tcp-server.md, section "Your turn"; the idea is in "TCP
// is a byte stream: one Read is not one message"): read into a buffer in a
// loop and write each chunk back. Return (total, nil) when Read reports
// io.EOF: that is the client closing, not a failure. Return any other error.
//
// Hint: a Read may return n > 0 together with an error; write those n bytes
// before you look at the error. Check with:
//
//	go test -tags exercise -run '^TestEcho' ./01-tcp-server
func echo(rw io.ReadWriter) (int64, error) {
	return 0, errors.New("echo: not written yet (exercise 01)")
}
