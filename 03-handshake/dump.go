package main

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// dump shows bytes the way a learner wants to see them after the
// handshake: offset, hex and ASCII (encoding/hex's classic layout), then the
// first two bytes in bits, because that is where a WebSocket frame keeps its
// flags, opcode and length. Chapter 04 decodes them.
func dump(p []byte) string {
	var b strings.Builder
	b.WriteString(hex.Dump(p))
	switch {
	case len(p) >= 2:
		fmt.Fprintf(&b, "first two bytes in bits: %08b %08b (chapter 04 decodes them)\n", p[0], p[1])
	case len(p) == 1:
		fmt.Fprintf(&b, "first byte in bits: %08b\n", p[0])
	}
	return b.String()
}
