package main

import (
	"bufio"
	"bytes"
	"testing"
)

// FuzzReadFrame feeds arbitrary bytes to the client's frame decoder: it
// must not panic, and never hand back (or allocate) more than the limit
// for data, or 125 bytes for control frames, whatever length is announced.
func FuzzReadFrame(f *testing.F) {
	for _, seed := range []string{
		"81 05 48 65 6c 6c 6f",
		"01 03 48 65 6c 89 05 48 65 6c 6c 6f 80 02 6c 6f",
		"81 85 37 fa 21 3d 7f 9f 4d 51 58",
		"82 7e 01 00",
		"82 7f 00 00 00 00 00 01 00 00",
		"82 7f ff ff ff ff ff ff ff ff",
		"88 02 03 e8",
		"89 7e 00 7e",
		"81 fe 00",
	} {
		f.Add(fromHex(f, seed))
	}
	const limit = 1024
	f.Fuzz(func(t *testing.T, data []byte) {
		br := bufio.NewReader(bytes.NewReader(data))
		for {
			h, payload, err := readFrame(br, nil, limit)
			if err != nil {
				return
			}
			if cap(payload) > limit || (isControl(h.opcode) && len(payload) > maxControlPayloadLen) {
				t.Fatalf("a %d-byte payload (capacity %d) for opcode %#x, past the limit", len(payload), cap(payload), h.opcode)
			}
			if uint64(len(payload)) != h.length {
				t.Fatalf("payload of %d bytes for an announced %d", len(payload), h.length)
			}
		}
	})
}
