package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// blockedWriter is a log destination that nobody reads until the test
// lets it go.
type blockedWriter struct {
	release chan struct{}
	mu      sync.Mutex
	got     bytes.Buffer
}

func (w *blockedWriter) Write(p []byte) (int, error) {
	<-w.release
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.got.Write(p)
}

func (w *blockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.got.String()
}

func TestLogQueueNeverBlocksAndCountsWhatItDrops(t *testing.T) {
	out := &blockedWriter{release: make(chan struct{})}
	q := newLogQueue(out, 2)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 50 {
			q.Write([]byte(strings.Repeat("x", i) + "\n"))
		}
	}()
	select {
	case <-done:
	case <-time.After(timeout):
		t.Fatal("Write blocked behind a writer nobody reads")
	}
	close(out.release)
	q.Close(timeout)
	got := out.String()
	assert.Contains(t, got, "log records dropped: the log was not being read fast enough")
	assert.Less(t, strings.Count(got, "x\n"), 50, "not every record got through a queue of 2")
}

func TestLogQueueCutsALongRecord(t *testing.T) {
	out := &blockedWriter{release: make(chan struct{})}
	close(out.release)
	q := newLogQueue(out, 4)
	q.Write([]byte(strings.Repeat("a", 10*maxLogRecord) + "\n"))
	q.Close(timeout)
	got := out.String()
	assert.LessOrEqual(t, len(got), maxLogRecord)
	assert.Contains(t, got, "bytes cut)")
	assert.True(t, strings.HasSuffix(got, "\n"), "a cut record still ends its line")
}

func TestLogQueueCloseDoesNotWaitForeverForAStuckWriter(t *testing.T) {
	out := &blockedWriter{release: make(chan struct{})}
	defer close(out.release)
	q := newLogQueue(out, 4)
	q.Write([]byte("stuck\n"))
	done := make(chan struct{})
	go func() {
		q.Close(10 * time.Millisecond)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(timeout):
		t.Fatal("Close waited for a writer that never returns")
	}
}
