package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
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
