package main

import (
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests of what the server owes its other clients while it reads:
// memory taken only as bytes arrive, within a budget, and given back after
// a large message. Each replays an attack in miniature.

func TestReadMessageTakesMemoryAsBytesArriveNotAsAnnounced(t *testing.T) {
	// 16 MiB announced, 10 bytes sent, then the peer is gone.
	wire := append(clientHeader(0x82, 16<<20), make([]byte, 10)...)
	c, _ := testConn(bytes.NewReader(wire), 16<<20)
	_, _, err := c.readMessage()
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.LessOrEqual(t, cap(c.msg), firstMessageBuffer,
		"the buffer is sized by what arrived (10 bytes), not by what the header promised (16 MiB)")
}

func TestReadMessageClosesWith1013WhenTheBudgetHasNoRoom(t *testing.T) {
	payload := bytes.Repeat([]byte("x"), 200<<10)
	c, _ := testConn(bytes.NewReader(clientFrame(0x82, payload)), 1<<20)
	c.budget = newBudget(64 << 10)
	_, _, err := c.readMessage()
	assert.Equal(t, errServerBusy, err, "200 KiB does not fit in a 64 KiB budget")
	assert.LessOrEqual(t, c.budget.peak.Load(), int64(64<<10), "the budget is never exceeded")
	c.releaseMessageBuffer()
	assert.Zero(t, c.budget.used.Load(), "what the conn took goes back")
}

func TestReadMessageGivesALargeBufferBackAfterItsMessage(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 300<<10)
	c, _ := testConn(bytes.NewReader(concat(clientFrame(0x82, big), clientFrame(0x81, []byte("small")))), 1<<20)
	c.budget = newBudget(1 << 20)
	_, msg, err := c.readMessage()
	require.NoError(t, err)
	require.Len(t, msg, len(big))
	assert.Positive(t, c.budget.used.Load(), "a 300 KiB message takes from the budget")

	_, msg, err = c.readMessage()
	require.NoError(t, err)
	assert.Equal(t, "small", string(msg))
	assert.LessOrEqual(t, cap(c.msg), keepMessageBuffer, "the 300 KiB buffer is not kept for a 5-byte message (nextHeader gives it back between messages, when c.msg has been reset to empty)")
	assert.Zero(t, c.budget.used.Load(), "and its memory is back in the budget")
}
