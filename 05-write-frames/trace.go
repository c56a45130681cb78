package main

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// opcodeNames names the opcodes of section 5.2 for -trace and the log.
var opcodeNames = map[byte]string{
	opContinuation: "continuation",
	opText:         "text",
	opBinary:       "binary",
	opClose:        "close",
	opPing:         "ping",
	opPong:         "pong",
}

func opcodeName(op byte) string {
	if name, ok := opcodeNames[op]; ok {
		return name
	}
	return "reserved"
}

// traceShown is how many payload bytes -trace shows.
const traceShown = 16

// formatFrame shows a frame for -trace: its header fields on one line,
// then its bytes as they were on the wire, each group annotated. payload
// is the payload as received (still masked); err is the rule the header
// broke, if any. The header bytes are rebuilt from h in the length form
// the peer used (h.size tells which), so they are the bytes on the wire.
func formatFrame(h frameHeader, payload []byte, err error) string {
	var b strings.Builder
	fmt.Fprintf(&b, "frame: FIN=%d RSV=%03b opcode=%#x (%s) MASK=%d length=%d\n",
		bit(h.fin), h.rsv>>4, h.opcode, opcodeName(h.opcode), bit(h.masked), h.length)

	extended := h.size - 2
	if h.masked {
		extended -= 4
	}
	length7 := byte(h.length)
	switch extended {
	case 2:
		length7 = 126
	case 8:
		length7 = 127
	}
	row := func(bytes, note string) { fmt.Fprintf(&b, "  %-47s %s\n", bytes, note) }
	row(fmt.Sprintf("%02x", byte(bit(h.fin))<<7|h.rsv|h.opcode),
		fmt.Sprintf("FIN=%d RSV1-3=%03b opcode=%#x", bit(h.fin), h.rsv>>4, h.opcode))
	row(fmt.Sprintf("%02x", byte(bit(h.masked))<<7|length7),
		fmt.Sprintf("MASK=%d length=%d%s", bit(h.masked), length7, lengthNote(length7)))
	switch extended {
	case 2:
		var ext [2]byte
		binary.BigEndian.PutUint16(ext[:], uint16(h.length))
		row(hexBytes(ext[:]), fmt.Sprintf("16-bit length = %d", h.length))
	case 8:
		var ext [8]byte
		binary.BigEndian.PutUint64(ext[:], h.length)
		row(hexBytes(ext[:]), fmt.Sprintf("64-bit length = %d", h.length))
	}
	if h.masked {
		row(hexBytes(h.key[:]), "masking key")
	}
	if err != nil {
		fmt.Fprintf(&b, "  !! %v\n", err)
		return b.String()
	}
	if len(payload) == 0 {
		return b.String()
	}

	shown := payload[:min(len(payload), traceShown)]
	more := ""
	if len(payload) > len(shown) {
		more = fmt.Sprintf(" ... (%d more)", len(payload)-len(shown))
	}
	if !h.masked {
		row(hexBytes(shown), "payload"+more)
		return b.String()
	}
	row(hexBytes(shown), "payload, masked"+more)
	plain := append([]byte(nil), shown...)
	maskBytes(h.key, 0, plain)
	note := "payload, unmasked"
	switch {
	case h.opcode == opClose && len(payload) >= 2:
		note += fmt.Sprintf(": code %d", binary.BigEndian.Uint16(plain))
		if len(plain) > 2 {
			note += fmt.Sprintf(" reason %q", plain[2:])
		}
	case h.opcode != opBinary:
		// Text, maybe cut in the middle of a character by the 16 shown.
		if pending, ok := checkUTF8(plain); ok {
			note += fmt.Sprintf(": %q", plain[:len(plain)-pending])
		}
	}
	row(hexBytes(plain), note)
	return b.String()
}

func lengthNote(length7 byte) string {
	switch length7 {
	case 126:
		return ": a 16-bit length follows"
	case 127:
		return ": a 64-bit length follows"
	}
	return ""
}

func hexBytes(p []byte) string {
	var b strings.Builder
	for i, c := range p {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%02x", c)
	}
	return b.String()
}

func bit(v bool) int {
	if v {
		return 1
	}
	return 0
}
