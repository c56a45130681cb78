package main

import "unicode/utf8"

// checkUTF8 validates text that may end in the middle of a character,
// because the rest is in the next fragment. It reports ok=false as soon as
// p cannot be the start of valid UTF-8, and otherwise how many bytes at the
// end are an incomplete character (0 to 3) still waiting for the rest.
//
// Checking each fragment with utf8.Valid would be wrong: "κόσμε" split
// after its third byte is invalid in both halves and valid as a message.
func checkUTF8(p []byte) (pending int, ok bool) {
	// Find where the last character starts: at most 3 bytes back, past
	// continuation bytes (10xxxxxx).
	cut := len(p)
	for i := len(p) - 1; i >= 0 && i >= len(p)-3; i-- {
		if p[i]&0xc0 != 0x80 {
			if !utf8.FullRune(p[i:]) {
				cut = i // a character whose end has not arrived
			}
			break
		}
	}
	if !utf8.Valid(p[:cut]) {
		return 0, false
	}
	if tail := p[cut:]; len(tail) > 0 && !validStart(tail) {
		return 0, false // fail fast: no continuation can make this valid
	}
	return len(p) - cut, true
}

// validStart reports whether the incomplete character b (a lead byte and
// up to two continuation bytes) can still become valid (RFC 3629 section
// 4). The second byte's range depends on the lead: it rules out overlong
// forms, the surrogates U+D800-U+DFFF, and code points above U+10FFFF.
func validStart(b []byte) bool {
	lo, hi := byte(0x80), byte(0xbf)
	switch lead := b[0]; {
	case lead >= 0xc2 && lead <= 0xdf:
	case lead == 0xe0:
		lo = 0xa0
	case lead >= 0xe1 && lead <= 0xef && lead != 0xed:
	case lead == 0xed:
		hi = 0x9f
	case lead == 0xf0:
		lo = 0x90
	case lead >= 0xf1 && lead <= 0xf3:
	case lead == 0xf4:
		hi = 0x8f
	default:
		return false
	}
	if len(b) > 1 && (b[1] < lo || b[1] > hi) {
		return false
	}
	if len(b) > 2 && (b[2] < 0x80 || b[2] > 0xbf) {
		return false
	}
	return true
}
