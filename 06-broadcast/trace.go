package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
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

// maxHeaderLen is the longest frame header: 2 bytes, 8 of extended
// length, 4 of masking key (section 5.2).
const maxHeaderLen = 14

// wireHeader is a frame header as -trace decodes it, from the bytes on the
// wire and by its own code, not readFrameHeader's: what the trace shows is
// what was sent, even when the code under test reads or writes it wrong.
type wireHeader struct {
	fin, masked  bool
	rsv, opcode  byte
	length7      byte   // the 7-bit length field: a length, or 126 or 127
	length       uint64 // the payload length, from whichever form was used
	key          [4]byte
	size, needed int // bytes of header present, and bytes the header takes
}

// headerLen is how many bytes a header takes, from its second byte: the
// 7-bit length says whether 2 or 8 bytes of length follow, and MASK
// whether a 4-byte key does.
func headerLen(second byte) int {
	n := 2
	switch second & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if second&0x80 != 0 {
		n += 4
	}
	return n
}

// peekHeader returns the bytes of the next frame header without taking
// them from br, for -trace to show before readFrameHeader reads them.
func peekHeader(br *bufio.Reader) ([]byte, error) {
	p, err := br.Peek(2)
	if err != nil {
		return nil, err
	}
	return br.Peek(headerLen(p[1]))
}

// decodeWireHeader decodes b, which holds a header (or, cut short, part of
// one: size says how much of it there is).
func decodeWireHeader(b []byte) wireHeader {
	var w wireHeader
	if len(b) < 2 {
		return w
	}
	w.fin, w.rsv, w.opcode = b[0]&0x80 != 0, b[0]&0x70, b[0]&0x0f
	w.masked, w.length7 = b[1]&0x80 != 0, b[1]&0x7f
	w.needed, w.size = headerLen(b[1]), min(len(b), headerLen(b[1]))
	ext := b[2:w.size]
	switch {
	case w.length7 == 126 && len(ext) >= 2:
		w.length, ext = uint64(binary.BigEndian.Uint16(ext)), ext[2:]
	case w.length7 == 127 && len(ext) >= 8:
		w.length, ext = binary.BigEndian.Uint64(ext), ext[8:]
	case w.length7 < 126:
		w.length = uint64(w.length7)
	}
	if w.masked {
		copy(w.key[:], ext)
	}
	return w
}

// tracer is where -trace writes a connection's frames, and the bytes of the
// header being read, kept as they came for formatFrame to show.
type tracer struct {
	w      io.Writer
	header [maxHeaderLen]byte
	n      int
}

// readHeader reads the next frame header with readFrameHeader, after
// keeping a copy of its bytes in t (if tracing is on).
func (t *tracer) readHeader(br *bufio.Reader) (frameHeader, error) {
	if t != nil {
		raw, err := peekHeader(br)
		if err != nil {
			return frameHeader{}, err
		}
		t.n = copy(t.header[:], raw)
	}
	return readFrameHeader(br)
}

// show writes one frame: from says whose ("client" or "server").
func (t *tracer) show(from string, header, payload []byte, err error) {
	io.WriteString(t.w, from+" "+formatFrame(header, payload, err))
}

// formatFrame shows a frame for -trace: its header fields on one line,
// then its bytes as they were on the wire, each group annotated. header
// is the header's bytes as read or written; payload is the payload as on
// the wire (still masked, for a client frame); err is the rule the header
// broke, if any.
func formatFrame(header, payload []byte, err error) string {
	w := decodeWireHeader(header)
	var b strings.Builder
	fmt.Fprintf(&b, "frame: FIN=%d RSV=%03b opcode=%#x (%s) MASK=%d length=%d\n",
		bit(w.fin), w.rsv>>4, w.opcode, opcodeName(w.opcode), bit(w.masked), w.length)
	writeHeaderRows(&b, w, header)
	if err != nil {
		fmt.Fprintf(&b, "  !! %v\n", err)
		return b.String()
	}
	writePayloadRows(&b, w, payload)
	return b.String()
}

// row writes one annotated line of bytes.
func row(b *strings.Builder, bytes, note string) {
	fmt.Fprintf(b, "  %-47s %s\n", bytes, note)
}

// writeHeaderRows annotates the header's bytes group by group.
func writeHeaderRows(b *strings.Builder, w wireHeader, header []byte) {
	if len(header) < 2 {
		row(b, hexBytes(header), "a header cut short")
		return
	}
	row(b, hexBytes(header[:1]), fmt.Sprintf("FIN=%d RSV1-3=%03b opcode=%#x", bit(w.fin), w.rsv>>4, w.opcode))
	row(b, hexBytes(header[1:2]), fmt.Sprintf("MASK=%d length=%d%s", bit(w.masked), w.length7, lengthNote(w.length7)))
	rest := header[2:w.size]
	extended := w.needed - 2 - 4*bit(w.masked)
	if n := min(extended, len(rest)); n > 0 {
		note := fmt.Sprintf("%d-bit length = %d", 8*extended, w.length)
		if n < extended {
			note = fmt.Sprintf("part of a %d-bit length", 8*extended)
		}
		row(b, hexBytes(rest[:n]), note)
		rest = rest[n:]
	}
	if len(rest) > 0 {
		row(b, hexBytes(rest), "masking key")
	}
	if w.size < w.needed {
		row(b, "", fmt.Sprintf("(header cut short: %d of %d bytes)", w.size, w.needed))
	}
}

// writePayloadRows shows the first traceShown bytes of the payload, and
// for a masked frame the same bytes unmasked, with the text, or a close
// frame's code and reason, they hold.
func writePayloadRows(b *strings.Builder, w wireHeader, payload []byte) {
	if len(payload) == 0 {
		return
	}
	shown := payload[:min(len(payload), traceShown)]
	more := ""
	if len(payload) > len(shown) {
		more = fmt.Sprintf(" ... (%d more)", len(payload)-len(shown))
	}
	if !w.masked {
		row(b, hexBytes(shown), "payload"+payloadNote(w.opcode, shown, len(payload))+more)
		return
	}
	row(b, hexBytes(shown), "payload, masked"+more)
	plain := make([]byte, len(shown))
	for i, c := range shown {
		plain[i] = c ^ w.key[i%4] // by the definition (section 5.3), not by maskBytes
	}
	row(b, hexBytes(plain), "payload, unmasked"+payloadNote(w.opcode, plain, len(payload)))
}

// payloadNote reads what an unmasked payload says: a close frame's code
// and reason, or text (maybe cut in the middle of a character by the
// bytes shown).
func payloadNote(opcode byte, plain []byte, total int) string {
	switch {
	case opcode == opClose && total >= 2 && len(plain) >= 2:
		note := fmt.Sprintf(": code %d", binary.BigEndian.Uint16(plain))
		if len(plain) > 2 {
			note += fmt.Sprintf(" reason %q", plain[2:])
		}
		return note
	case opcode != opBinary:
		if pending, ok := checkUTF8(plain); ok {
			return fmt.Sprintf(": %q", plain[:len(plain)-pending])
		}
	}
	return ""
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
