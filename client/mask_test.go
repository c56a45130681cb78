package main

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rfcKey is the masking key of RFC 6455 section 5.7's masked "Hello".
var rfcKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

func TestMask(t *testing.T) {
	tests := []struct {
		name          string
		key           [4]byte
		payload, want string // hex
	}{
		{"RFC 6455 section 5.7: Hello masked with 37 fa 21 3d", rfcKey, "48 65 6c 6c 6f", "7f 9f 4d 51 58"},
		{"masking again unmasks: section 5.7's bytes give Hello back", rfcKey, "7f 9f 4d 51 58", "48 65 6c 6c 6f"},
		{"byte i takes key[i mod 4], from key[0] on, past the first four", [4]byte{1, 2, 3, 4}, "00 00 00 00 00 00 00 00 00 00", "01 02 03 04 01 02 03 04 01 02"},
		{"fewer bytes than the key take its first ones", [4]byte{0xf0, 0x0f, 0xff, 0x11}, "0f f0", "ff ff"},
		{"an empty payload stays empty", rfcKey, "", ""},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			b := fromHex(t, tt.payload)
			mask(tt.key, b)
			assert.Equal(t, strings.ReplaceAll(tt.want, " ", ""), hex.EncodeToString(b))
		})
	}
}

// A long payload is masked to its last byte, the key repeating. A wrong
// byte is reported alone, not with the thousand around it.
func TestMaskAPayloadOf1000Bytes(t *testing.T) {
	b := make([]byte, 1000)
	mask(rfcKey, b)
	for i := range b {
		if b[i] != rfcKey[i%4] {
			t.Fatalf("byte %d of 1000 zero bytes masked with 37 fa 21 3d is %#02x, want %#02x (key[%d mod 4])", i, b[i], rfcKey[i%4], i)
		}
	}
}

// The client's encoder against RFC 6455 section 5.7's masked "Hello":
// the same bytes as the RFC's, and every frame masked, control frames too
// (section 5.1).
func TestAppendClientFrame(t *testing.T) {
	tests := []struct {
		name    string
		opcode  byte
		payload []byte
		want    string // hex
	}{
		{"RFC 6455 section 5.7: a masked Hello", opText, []byte("Hello"), "81 85 37 fa 21 3d 7f 9f 4d 51 58"},
		{"a pong is masked too (section 5.1): section 5.7's masked pong", opPong, []byte("Hello"), "8a 85 37 fa 21 3d 7f 9f 4d 51 58"},
		{"a ping is masked too", opPing, []byte("Hello"), "89 85 37 fa 21 3d 7f 9f 4d 51 58"},
		{"a close 1000 bye is masked too: 03 e8 62 79 65 XOR the key", opClose, []byte("\x03\xe8bye"), "88 85 37 fa 21 3d 34 12 43 44 52"},
		{"an empty close still carries MASK and the key", opClose, nil, "88 80 37 fa 21 3d"},
		{"a binary frame of 4 bytes", opBinary, []byte{0, 0, 0, 0}, "82 84 37 fa 21 3d 37 fa 21 3d"},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			got := appendClientFrame(nil, tt.opcode, rfcKey, tt.payload)
			assert.Equal(t, strings.ReplaceAll(tt.want, " ", ""), hex.EncodeToString(got))
		})
	}
}

// The length in the shortest of the three forms (section 5.2), with MASK
// set, and every byte of a long payload masked.
func TestAppendClientFrameLengthForms(t *testing.T) {
	tests := []struct {
		name   string
		length int
		header string // hex, before the key
	}{
		{"0 bytes: the 7-bit form", 0, "82 80"},
		{"125 bytes: still the 7-bit form", 125, "82 fd"},
		{"126 bytes: 126 and a 16-bit length", 126, "82 fe 00 7e"},
		{"65535 bytes: still the 16-bit form", 65535, "82 fe ff ff"},
		{"65536 bytes: 127 and a 64-bit length", 65536, "82 ff 00 00 00 00 00 01 00 00"},
	}
	rows := tableRows(t)
	for _, tt := range tests {
		rows.run(tt.name, func(t *testing.T) {
			header := fromHex(t, tt.header)
			frame := appendClientFrame(nil, opBinary, rfcKey, make([]byte, tt.length))
			require.Equal(t, len(header)+4+tt.length, len(frame), "the frame's size: header, key and payload")
			assert.Equal(t, hex.EncodeToString(header)+"37fa213d", hex.EncodeToString(frame[:len(header)+4]), "header and key")
			payload := frame[len(header)+4:]
			for i := range payload {
				if payload[i] != rfcKey[i%4] {
					t.Fatalf("payload byte %d is %#02x, want %#02x (zero XOR key[%d mod 4])", i, payload[i], rfcKey[i%4], i)
				}
			}
		})
	}
}

// The frame goes after what dst held, and the caller's payload is left
// as it was: writeFrame's callers may use it again (a pong echoes the
// ping's payload).
func TestAppendClientFrameKeepsDstAndThePayload(t *testing.T) {
	payload := []byte("Hello")
	got := appendClientFrame([]byte{0xaa, 0xbb}, opText, rfcKey, payload)
	assert.Equal(t, "aabb818537fa213d7f9f4d5158", hex.EncodeToString(got))
	assert.Equal(t, "Hello", string(payload), "the payload is not masked in place")
}

// A fresh key for every frame (section 5.3): none repeats in 100 calls,
// which a fixed key, the RFC's example key or an all-zero one (the
// payload sent in the clear) cannot pass.
func TestNewMaskKeyIsFreshForEveryFrame(t *testing.T) {
	seen := map[[4]byte]int{}
	for i := range 100 {
		key := newMaskKey()
		if first, ok := seen[key]; ok {
			t.Fatalf("call %d returned % x, the key of call %d: each frame needs a new, unpredictable key", i, key[:], first)
		}
		seen[key] = i
	}
}
