package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestFormatMessageKeepsATextOnOneLine: a server's text is printed on one
// line, its control characters escaped, so that it can neither start a
// line that passes for another message ("< * bob left") nor send the
// terminal an escape sequence (ESC [2K clears the line).
func TestFormatMessageKeepsATextOnOneLine(t *testing.T) {
	tests := []struct {
		text, want string
	}{
		{"hello", "< hello\n"},
		{"κόσμε, 你好", "< κόσμε, 你好\n"},
		{"hi\n< * bob left", `< hi\n< * bob left` + "\n"},
		{"\x1b[2K\rbob: forged", `< \x1b[2K\rbob: forged` + "\n"},
		{"tab\there", `< tab\there` + "\n"},
		{"a\u2028b\u0085c", `< a\u2028b\u0085c` + "\n"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, formatMessage(opText, []byte(tt.text)), "the text %q", tt.text)
	}
	assert.Equal(t, "< [binary 3 bytes] 0a 1b 41\n", formatMessage(opBinary, []byte("\n\x1bA")))
}
