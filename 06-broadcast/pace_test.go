package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPacerLetsABurstThroughThenSpacesEvents(t *testing.T) {
	p := newPacer(10, 3) // 10 a second, 3 at once
	start := time.Unix(1000, 0)
	var delays []time.Duration
	for range 6 {
		delays = append(delays, p.delay(start)) // six events at the same instant
	}
	assert.Equal(t, []time.Duration{0, 0, 0, 100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond}, delays,
		"three at once, then one every 100 ms")

	// After a quiet second the whole burst is available again.
	later := start.Add(2 * time.Second)
	assert.Equal(t, time.Duration(0), p.delay(later))
	assert.Equal(t, time.Duration(0), p.delay(later))
	assert.Equal(t, time.Duration(0), p.delay(later))
	assert.Equal(t, 100*time.Millisecond, p.delay(later))
}

func TestPacerOfZeroLetsEverythingThrough(t *testing.T) {
	var p *pacer = newPacer(0, 10)
	for range 1000 {
		assert.Equal(t, time.Duration(0), p.delay(time.Unix(0, 0)))
	}
}

func TestAddrPacersLetEachAddressABurstThenRefuse(t *testing.T) {
	j := newAddrPacers(2, joinBurst) // two a second, joinBurst at once
	now := time.Unix(1000, 0)
	for i := range joinBurst {
		assert.True(t, j.try("192.0.2.1", now), "join %d of the burst", i+1)
	}
	assert.False(t, j.try("192.0.2.1", now), "one more at once is refused")
	assert.False(t, j.try("192.0.2.1", now), "and refused again: a refusal is not booked")
	assert.True(t, j.try("192.0.2.2", now), "another address has its own burst")
	assert.True(t, j.try("192.0.2.1", now.Add(500*time.Millisecond)), "half a second later, at two a second, one more")

	// A minute later the rested addresses are forgotten.
	later := now.Add(2 * time.Minute)
	assert.True(t, j.try("192.0.2.3", later))
	assert.Len(t, j.byIP, 1, "only the address just seen is kept")
}

func TestAddrPacersShareOnePaceAmongAnAddresssConnections(t *testing.T) {
	a := newAddrPacers(10, 3) // ten a second, three at once
	now := time.Unix(1000, 0)
	first := a.get("192.0.2.1", now)
	assert.Same(t, first, a.get("192.0.2.1", now), "one pacer for all the connections of an address")
	assert.NotSame(t, first, a.get("192.0.2.2", now), "another address has its own")
	var delays []time.Duration
	for range 5 { // five messages from the address, whichever connections they come on
		delays = append(delays, a.get("192.0.2.1", now).delay(now))
	}
	assert.Equal(t, []time.Duration{0, 0, 0, 100 * time.Millisecond, 200 * time.Millisecond}, delays)

	none := newAddrPacers(0, 3)
	assert.Nil(t, none, "0: no limit")
	assert.True(t, none.wait("192.0.2.1", nil), "no limit: no wait")
	assert.True(t, none.try("192.0.2.1", now))
}

func TestAddrTurnsLetOneMessageOfAnAddressWaitAtATime(t *testing.T) {
	a := newAddrTurns()
	first := a.lock("192.0.2.1", nil)
	require.NotNil(t, first)
	other := a.lock("192.0.2.2", nil)
	require.NotNil(t, other, "another address does not wait")
	other()

	got := make(chan func(), 1)
	go func() { got <- a.lock("192.0.2.1", nil) }()
	select {
	case <-got:
		t.Fatal("a second message of the same address did not wait for the first")
	case <-time.After(50 * time.Millisecond):
	}
	first()
	var second func()
	select {
	case second = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("the second message did not get its turn when the first let go")
	}
	require.NotNil(t, second)

	gone := make(chan struct{})
	close(gone)
	assert.Nil(t, a.lock("192.0.2.1", gone), "a connection that is gone stops waiting")
	second()
	assert.Empty(t, a.byIP, "an address no one waits for is forgotten")
}
