//go:build !exercise

package main

import (
	"errors"
	"io"
)

// echo writes back everything it reads from rw until the peer closes its
// side (io.EOF), and returns how many bytes it echoed.
//
// TCP is a byte stream, not a sequence of messages: one Read returns
// whatever has arrived so far, which may be part of what the client wrote
// or several of its writes glued together. An echo server does not care,
// it sends back each chunk as it comes. Write on a TCP connection returns
// only once every byte is handed to the kernel (or on error), so no loop
// around Write is needed (Python's send, by contrast, may send part).
func echo(rw io.ReadWriter) (int64, error) {
	buf := make([]byte, 32*1024)
	var total int64
	for {
		n, err := rw.Read(buf)
		if n > 0 {
			// Write first: a Read may return data and an error together.
			if _, werr := rw.Write(buf[:n]); werr != nil {
				return total, werr
			}
			total += int64(n)
		}
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}
