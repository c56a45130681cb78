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
		{name: "ASCII is complete", text: "Hello", pending: 0, ok: true},
		{name: "κόσμε is complete", text: "κόσμε", pending: 0, ok: true},
		{name: "κόσμε cut after 3 bytes leaves one pending", text: "\xce\xba\xe1", pending: 1, ok: true},
		{name: "cut after 4 bytes leaves two pending", text: "\xce\xba\xe1\xbd", pending: 2, ok: true},
		{name: "a 4-byte character cut after 3 bytes leaves three pending", text: "a\xf0\x9f\x98", pending: 3, ok: true},
		{name: "an empty text is complete", text: "", pending: 0, ok: true},
		{name: "a lone continuation byte is invalid", text: "a\x80", pending: 0, ok: false},
		{name: "an overlong slash is invalid", text: "\xc0\xaf", pending: 0, ok: false},
		{name: "0xff is never UTF-8", text: "a\xff", pending: 0, ok: false},
		{name: "ed a0 starts a surrogate: invalid at once", text: "\xed\xa0", pending: 0, ok: false},
		{name: "f4 90 goes above U+10FFFF: invalid at once", text: "\xf4\x90", pending: 0, ok: false},
		{name: "e0 80 is overlong: invalid at once", text: "\xe0\x80", pending: 0, ok: false},
		{name: "f0 80 is overlong: invalid at once", text: "\xf0\x80", pending: 0, ok: false},
		{name: "ed 9f is the last valid start below the surrogates", text: "\xed\x9f", pending: 2, ok: true},
		{name: "a bad byte before a valid tail is found", text: "\xff\xce", pending: 0, ok: false},
		{name: "a lead byte followed by a non-continuation is invalid", text: "\xe2\x28\xa1", pending: 0, ok: false},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			pending, ok := checkUTF8([]byte(tt.text))
			assert.Equal(t, tt.ok, ok)
			if tt.ok {
				assert.Equal(t, tt.pending, pending)
			}
		})
	}
}
