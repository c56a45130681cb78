package main

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// chat is the chat room, written on the hub's hooks the way
// Pithikos/python-websocket-server's example is written on its callbacks:
// a welcome for the newcomer, "* ann joined" and "* ann left" for the
// others, and "ann: hello" for everyone, the sender too (that is how a
// page knows its message went through). Lines from the room start with
// "* "; a name can hold neither "*" nor ":", so no one can pass for the
// room or for someone else.
func chat(h *hub) {
	h.onJoin = func(cl *client) {
		n, names := h.members(cl, shown)
		slices.Sort(names)
		welcome := fmt.Sprintf("* welcome, %s! %s", cl.name, here(n, names))
		h.send(cl, prepareFrame(opText, []byte(welcome)))
		h.broadcast(prepareFrame(opText, []byte("* "+cl.name+" joined")), cl)
	}
	h.onLeave = func(cl *client) {
		h.sendAll(prepareFrame(opText, []byte("* "+cl.name+" left")))
	}
	h.onMessage = func(cl *client, opcode byte, msg []byte) error {
		if opcode != opText {
			return errBinaryMessage
		}
		line := make([]byte, 0, len(cl.name)+2+len(msg))
		line = appendLine(append(append(line, cl.name...), ": "...), msg)
		h.sendAll(prepareFrame(opText, line))
		return nil
	}
}

// shown is how many names a welcome lists: a few, not thousands (the
// welcome is one frame, and a room of 1,000 would make it 25 KB).
const shown = 10

// here says who else is in the room: n others, of whom names.
func here(n int, names []string) string {
	switch {
	case n == 0:
		return "No one else is here yet."
	case n == 1:
		return "Here with you: " + names[0] + "."
	case n <= len(names):
		return fmt.Sprintf("Here with you (%d): %s.", n, strings.Join(names, ", "))
	default:
		return fmt.Sprintf("Here with you (%d): %s and %d more.", n, strings.Join(names, ", "), n-len(names))
	}
}

// appendLine appends msg, valid UTF-8, to dst as one line of the chat.
// Control characters (a newline would start a second line that could read
// "* bob left"; ESC would reach a terminal as an escape sequence) and
// Unicode's line and paragraph separators become spaces; the
// bidirectional overrides and isolates, which could show a line's words in
// another order, go.
func appendLine(dst, msg []byte) []byte {
	for len(msg) > 0 {
		r, size := utf8.DecodeRune(msg)
		switch {
		case unicode.IsControl(r), r == '\u2028', r == '\u2029':
			dst = append(dst, ' ')
		case '\u202a' <= r && r <= '\u202e', '\u2066' <= r && r <= '\u2069':
		default:
			dst = append(dst, msg[:size]...)
		}
		msg = msg[size:]
	}
	return dst
}

// maxNameLen is the longest name, in characters.
const maxNameLen = 24

// cleanName makes a name from what a client asked for (?name=): letters
// and digits of any script, spaces, and - _ . only; runs of spaces become
// one; at most maxNameLen characters. Everything else goes: control
// characters (a newline would forge a second line), "*" and ":" (a name
// like "bob: hi" would forge a message), invisible format characters,
// bytes that are not UTF-8. It may return "": the hub then picks guest-N.
func cleanName(asked string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToValidUTF8(asked, "") {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), r == '-', r == '_', r == '.':
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteRune(r)
			space = false
		case unicode.IsSpace(r):
			space = true
		}
	}
	return truncateRunes(b.String(), maxNameLen)
}

// truncateRunes cuts s to at most n characters.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for range n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return strings.TrimRight(s[:i], " ")
}
