package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestAcceptKey(t *testing.T) {
	tests := []struct{ name, key, want string }{
		{"the example of RFC 6455 section 1.3", "dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="},
		{"a second pair used by many test suites", "x3JJHMbDL1EzLkh9GBhXDw==", "HSmrc0sMlYUkAGmm5OPpG2HaGWk="},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, acceptKey(tt.key))
		})
	}
}

// The client's check of the answer (section 4.1): only the exact value
// computed from our key passes. Each refused value is one a broken or
// careless server sends, or one a careless check lets through.
func TestCheckAccept(t *testing.T) {
	const key = "dGhlIHNhbXBsZSBub25jZQ==" // RFC 6455 section 1.3
	tests := []struct {
		name, got string
		ok        bool
	}{
		{"section 1.3's accept for section 1.3's key passes", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", true},
		{"a missing header is refused", "", false},
		{"the accept of another key is refused", "HSmrc0sMlYUkAGmm5OPpG2HaGWk=", false},
		{"our key sent back as it came is refused", key, false},
		{"the right value in upper case is refused: base64 is case-sensitive", "S3PPLMBITXAQ9KYGZZHZRBK+XOO=", false},
		{"the right value in lower case is refused", "s3pplmbitxaq9kygzzhzrbk+xoo=", false},
		{"URL-safe base64 of the right sum is refused", "s3pPLMBiTxaQ9kYGzzhZRbK-xOo=", false},
		{"base64 of the sum's hex digits is refused", "YjM3YTRmMmNjMDYyNGYxNjkwZjY0NjA2Y2YzODU5NDViMmJlYzRlYQ==", false},
		{"the right value without its padding is refused", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo", false},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			err := checkAccept(tt.got, key)
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
}

// The refusal says what came and what was expected, so that the user can
// tell a server that computes the value wrongly from one that did not read
// the handshake.
func TestCheckAcceptSaysWhatItExpected(t *testing.T) {
	err := checkAccept("HSmrc0sMlYUkAGmm5OPpG2HaGWk=", "dGhlIHNhbXBsZSBub25jZQ==")
	if assert.Error(t, err) {
		assert.Contains(t, err.Error(), `"HSmrc0sMlYUkAGmm5OPpG2HaGWk="`)
		assert.Contains(t, err.Error(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
	}
	err = checkAccept("", "dGhlIHNhbXBsZSBub25jZQ==")
	if assert.Error(t, err) {
		assert.Contains(t, err.Error(), "no Sec-WebSocket-Accept")
	}
}
