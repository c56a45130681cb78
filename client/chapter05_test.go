package main

import (
	"context"
	"testing"

	"wsfromscratch/client/internal/echoserver"

	"github.com/stretchr/testify/assert"
)

// The client against the real echo server of chapter 05, built and started
// as a learner would: the echoes come back, and the server's log says the
// closing handshake was done.
func TestAgainstTheChapter05EchoServer(t *testing.T) {
	requireClientExercises(t)
	addr, log := echoserver.Start(t, testTimeout)
	cfg := config{send: []string{"hello", "κόσμε"}, expect: 2}
	r := waitClient(t, startClient(context.Background(), cfg, "ws://"+addr+"/", nil))
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "< hello\n< κόσμε\n", r.stdout)
	assert.Contains(t, r.stderr, "* close 1000 (clean)")
	log.WaitFor(t, "closing handshake done (client sent 1000)")
}
