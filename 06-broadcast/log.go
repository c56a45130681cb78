package main

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// logQueue is what the server's log writes to. A log written straight to
// stderr can be turned against the server: when nobody reads the terminal
// or the pipe (a paused `| less`, a full pipe buffer), every Write blocks,
// and with it every connection that logs. So Write only queues the record
// and returns at once; one goroutine writes the queue out. When the queue
// is full, records are dropped and counted, and the count is written out as
// soon as the writer can take it again. A record is cut to maxLogRecord
// bytes, so a client cannot make one line huge.
//
// Writes to a closed pipe fail with EPIPE here and are ignored; main makes
// sure they do not kill the process with SIGPIPE (see main.go).
type logQueue struct {
	records chan []byte
	dropped atomic.Int64 // records dropped since the last report
	done    chan struct{}
	once    sync.Once
}

// maxLogRecord is the most bytes one log record may take, line ending
// included; longer records are cut, with a note of how much was cut.
const maxLogRecord = 4096

// newLogQueue starts writing records to w, holding up to size of them.
func newLogQueue(w io.Writer, size int) *logQueue {
	q := &logQueue{records: make(chan []byte, size), done: make(chan struct{})}
	go q.drain(w)
	return q
}

// Write queues p, a whole log record, and never blocks. A log.Logger calls
// it once per record, and reuses p afterwards: the queue keeps a copy.
func (q *logQueue) Write(p []byte) (int, error) {
	record := p
	if len(p) > maxLogRecord {
		note := fmt.Sprintf(" ... (%d bytes cut)\n", len(p)-maxLogRecord)
		record = append(p[:maxLogRecord-len(note):maxLogRecord-len(note)], note...)
	} else {
		record = append([]byte(nil), p...)
	}
	select {
	case q.records <- record:
	default:
		q.dropped.Add(1)
	}
	return len(p), nil
}

// drain writes the queued records out, one at a time, until Close.
func (q *logQueue) drain(w io.Writer) {
	defer close(q.done)
	for record := range q.records {
		if n := q.dropped.Swap(0); n > 0 {
			fmt.Fprintf(w, "(%d log records dropped: the log was not being read fast enough)\n", n)
		}
		w.Write(record) // an error (a closed pipe) has nowhere to go
	}
	if n := q.dropped.Swap(0); n > 0 {
		fmt.Fprintf(w, "(%d log records dropped: the log was not being read fast enough)\n", n)
	}
}

// Close writes out what is queued, waiting at most wait for a writer that
// is blocked, so that a stuck terminal cannot stop the program from ending.
// Nothing may be logged after Close.
func (q *logQueue) Close(wait time.Duration) {
	q.once.Do(func() { close(q.records) })
	select {
	case <-q.done:
	case <-time.After(wait):
	}
}
