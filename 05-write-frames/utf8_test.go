package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCheckUTF8(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		pending int
		ok      bool
	}{
		{"ASCII is complete", "Hello", 0, true},
		{"κόσμε is complete", "κόσμε", 0, true},
		{"κόσμε cut after 3 bytes leaves one pending", "\xce\xba\xe1", 1, true},
		{"cut after 4 bytes leaves two pending", "\xce\xba\xe1\xbd", 2, true},
		{"a 4-byte character cut after 3 bytes leaves three pending", "a\xf0\x9f\x98", 3, true},
		{"an empty text is complete", "", 0, true},
		{"a lone continuation byte is invalid", "a\x80", 0, false},
		{"an overlong slash is invalid", "\xc0\xaf", 0, false},
		{"0xff is never UTF-8", "a\xff", 0, false},
		{"ed a0 starts a surrogate: invalid at once", "\xed\xa0", 0, false},
		{"f4 90 goes above U+10FFFF: invalid at once", "\xf4\x90", 0, false},
		{"e0 80 is overlong: invalid at once", "\xe0\x80", 0, false},
		{"f0 80 is overlong: invalid at once", "\xf0\x80", 0, false},
		{"ed 9f is the last valid start below the surrogates", "\xed\x9f", 2, true},
		{"a bad byte before a valid tail is found", "\xff\xce", 0, false},
		{"a lead byte followed by a non-continuation is invalid", "\xe2\x28\xa1", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pending, ok := checkUTF8([]byte(tt.text))
			assert.Equal(t, tt.ok, ok)
			if tt.ok {
				assert.Equal(t, tt.pending, pending)
			}
		})
	}
}
