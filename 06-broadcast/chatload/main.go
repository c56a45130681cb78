//go:build linux

// Command chatload puts a chat server under load over loopback and
// measures two things. It speaks WebSocket itself (standard library only)
// and works with chapter 06's room and with gorilla/websocket's chat
// example, which packs queued messages into one message, a line each.
//
// Fan-out (the default): -clients connect to one room, 32 at a time,
// waiting after each 32 until the room's join notices stop (-storm: no
// waiting, as a crowd arriving at once); then -senders of them send
// -messages each, as fast as they can, every message a token (sender,
// sequence, send time). Every client notes when each token arrives. The report gives each message's
// latency to its LAST receiver (p50, p99, max), deliveries per second
// (clients × senders × messages over the time from the first send to the
// last delivery), what went missing, and which close codes came.
//
// Idle memory (-idle N, needs -server): opens N connections that say
// nothing (they answer pings), waits until the server settles, and
// reports its resident memory (VmRSS) before and after, per connection.
// Chapter 06 turns away connections past its -max-conns (1000 by
// default) with 503, and with 429 more than -conns-per-ip open at once
// or -joins-per-ip a second from one address (chatload's all come from
// 127.0.0.1); it paces senders (-rate, -rate-per-ip, -room-rate). To measure the room
// itself, turn those off with -server-args, as below. A run in which any connection
// failed reports what it measured and exits with status 1.
//
// With -server, chatload starts that binary itself on a free loopback
// port (-addr 127.0.0.1:PORT, then -server-args), so it also reports the
// server's CPU time and memory; with -url it uses a running server.
// Everything stays on loopback, every read and write has a deadline, and
// every wait is bounded by -timeout. Linux only: memory and CPU time come
// from /proc.
//
//	go build -o /tmp/ch06 ./06-broadcast
//	go run ./06-broadcast/chatload -server /tmp/ch06 -server-args '-rate 0 -rate-per-ip 0 -room-rate 0 -joins-per-ip 0 -conns-per-ip 0' -clients 1000 -senders 1 -messages 100
//	go run ./06-broadcast/chatload -server /tmp/ch06 -server-args '-rate 0 -rate-per-ip 0 -room-rate 0 -joins-per-ip 0 -conns-per-ip 0 -room-log 256' -senders 10 -messages 10
//	go run ./06-broadcast/chatload -server /tmp/ch06 -server-args '-rate 0 -rate-per-ip 0 -room-rate 0 -joins-per-ip 0 -conns-per-ip 0' -storm
//	go run ./06-broadcast/chatload -server /tmp/ch06 -server-args '-max-conns 5000 -joins-per-ip 0 -conns-per-ip 0' -idle 2000
//	go run ./06-broadcast/chatload -url ws://127.0.0.1:9001/ws -clients 100
package main

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

type options struct {
	url        string
	server     string
	serverArgs string
	clients    int
	senders    int
	messages   int
	idle       int
	storm      bool
	timeout    time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.url, "url", "", "WebSocket URL of a running server, such as ws://127.0.0.1:9001/ws")
	flag.StringVar(&o.server, "server", "", "server binary to start on a free loopback port (instead of -url); it must take -addr")
	flag.StringVar(&o.serverArgs, "server-args", "", "more flags for -server, space-separated, such as '-room-log 256' or '-max-conns 5000'")
	flag.IntVar(&o.clients, "clients", 1000, "fan-out: clients in the room")
	flag.IntVar(&o.senders, "senders", 1, "fan-out: clients that send in the burst")
	flag.IntVar(&o.messages, "messages", 100, "fan-out: messages each sender sends")
	flag.IntVar(&o.idle, "idle", 0, "measure idle memory with this many silent connections instead of fan-out (needs -server)")
	flag.BoolVar(&o.storm, "storm", false, "join all clients at once (32 handshakes at a time) instead of in waves of 32 that wait for the room to go quiet")
	flag.DurationVar(&o.timeout, "timeout", 30*time.Second, "longest wait for the room to settle and for the deliveries")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "chatload:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.clients < 1 || o.senders < 1 || o.messages < 1 || o.senders > o.clients {
		return errors.New("-clients, -senders and -messages must be at least 1, and -senders at most -clients")
	}
	if o.idle > 0 && o.server == "" {
		return errors.New("-idle needs -server: the server's memory is read from /proc")
	}
	if (o.url == "") == (o.server == "") {
		return errors.New("give -url or -server (one of them)")
	}
	limit, err := raiseFileLimit()
	if err != nil {
		return fmt.Errorf("raising the open-files limit: %w", err)
	}
	if need := uint64(max(o.clients, o.idle)) + 64; limit < need {
		return fmt.Errorf("open-files limit %d is under the %d this run needs", limit, need)
	}
	var srv *child
	target := o.url
	if o.server != "" {
		srv, err = startServer(o.server, strings.Fields(o.serverArgs))
		if err != nil {
			return err
		}
		defer srv.kill()
		target = "ws://" + srv.addr + "/ws"
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "ws" || u.Host == "" {
		return fmt.Errorf("-url %q: want ws://HOST:PORT/PATH", target)
	}
	out := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	defer out.Flush()
	if srv != nil {
		fmt.Printf("server: %s (pid %d, %s, its output in %s)\n", strings.TrimSpace(o.server+" "+o.serverArgs), srv.cmd.Process.Pid, srv.addr, srv.log.Name())
	} else {
		fmt.Printf("server: %s\n", target)
	}
	if o.idle > 0 {
		return measureIdle(out, srv, u, o)
	}
	return measureFanout(out, srv, u, o)
}

// measureFanout connects the room, sends the burst and reports.
func measureFanout(out *tabwriter.Writer, srv *child, u *url.URL, o options) error {
	r := newRoom(o.senders, o.messages)
	start := time.Now()
	failed, firstErr := r.connect(u, o.clients, o.storm)
	defer r.closeAll()
	fmt.Fprintf(out, "clients\t%d connected in %.1f s\t%s\n", len(r.members), time.Since(start).Seconds(), failures(failed, firstErr))
	if len(r.members) < o.senders {
		return errors.New("too few clients connected")
	}
	r.settle(500*time.Millisecond, o.timeout)
	if ends := r.keepLive(); ends != "none" {
		fmt.Fprintf(out, "ended by the server while joining\t%s\t%d clients left in the room\n", ends, len(r.members))
	}
	if len(r.members) < o.senders {
		return errors.New("too few clients left in the room")
	}
	r.want.Store(int64(len(r.members) * o.senders * o.messages))
	var cpu0 time.Duration
	var calls0, bytes0 int64
	if srv != nil {
		cpu0 = srv.cpuTime()
		calls0, bytes0 = srv.writes()
	}
	own0 := ownCPUTime()
	r.burst()
	r.waitDeliveries(2*time.Second, o.timeout)
	res := r.result()

	fmt.Fprintf(out, "burst\t%d messages from each of %d senders to %d clients\t%d deliveries wanted\n", o.messages, o.senders, res.clients, res.want)
	fmt.Fprintf(out, "latency to last receiver\tp50 %s  p99 %s  max %s\tover %d messages\n",
		ms(res.p50), ms(res.p99), ms(res.max), o.senders*o.messages)
	fmt.Fprintf(out, "deliveries/s\t%.0f\t%d in %s, first send to last delivery (the sends took %s)\n", res.rate(), res.delivered, ms(res.span), ms(res.sending))
	fmt.Fprintf(out, "missing\t%d deliveries\t%d messages missed a client, %d clients missed a message\n",
		res.want-res.delivered, res.messagesShort, res.clientsShort)
	fmt.Fprintf(out, "ended by the server in the burst\t%s\t\n", r.endsSummary())
	fmt.Fprintf(out, "room notices in the burst\t%d lines\t(\"* c7 left\" and the like, all clients together)\n", res.notices)
	fmt.Fprintf(out, "lines per WebSocket message\t%.2f\t(1: one message a frame; more: batched)\n", res.perFrame)
	if res.duplicates > 0 || res.sendErrors > 0 {
		fmt.Fprintf(out, "anomalies\t%d duplicates, %d messages not sent\t\n", res.duplicates, res.sendErrors)
	}
	fmt.Fprintf(out, "CPU during burst\t")
	if srv == nil {
		fmt.Fprintf(out, "chatload %.2f s\t\n", (ownCPUTime() - own0).Seconds())
		return nil
	}
	rss, _ := srv.rssKiB()
	fmt.Fprintf(out, "server %.2f s, chatload %.2f s\tserver RSS after: %.1f MiB\n",
		(srv.cpuTime() - cpu0).Seconds(), (ownCPUTime() - own0).Seconds(), float64(rss)/1024)
	calls, bytes := srv.writes()
	calls, bytes = calls-calls0, bytes-bytes0
	fmt.Fprintf(out, "server writes in the burst\t%d calls, %.1f MB\t%.1f deliveries per call\n",
		calls, float64(bytes)/1e6, float64(res.delivered)/float64(max(calls, 1)))
	return nil
}

// measureIdle reads the server's memory, opens o.idle silent
// connections, waits until it settles, and reads it again.
func measureIdle(out *tabwriter.Writer, srv *child, u *url.URL, o options) error {
	time.Sleep(500 * time.Millisecond) // let the fresh server finish starting
	before, err := srv.rssKiB()
	if err != nil {
		return err
	}
	r := newRoom(1, 1)
	start := time.Now()
	failed, firstErr := r.connect(u, o.idle, o.storm)
	defer r.closeAll()
	fmt.Fprintf(out, "idle connections\t%d connected in %.1f s\t%s\n", len(r.members), time.Since(start).Seconds(), failures(failed, firstErr))
	r.settle(time.Second, o.timeout)
	after, stable := settledRSS(srv, o.timeout)
	fmt.Fprintf(out, "server RSS before\t%.1f MiB\t\n", float64(before)/1024)
	fmt.Fprintf(out, "server RSS after\t%.1f MiB\t%s\n", float64(after)/1024, stable)
	if len(r.members) > 0 {
		fmt.Fprintf(out, "RSS per idle connection\t%.1f KiB\t(after - before) / %d\n", float64(after-before)/float64(len(r.members)), len(r.members))
	}
	fmt.Fprintf(out, "connections ended by the server\t%s\t\n", r.endsSummary())
	if failed > 0 {
		out.Flush()
		return fmt.Errorf("%d of %d connections failed, so the figure is not for %d (chapter 06 takes at most -max-conns, 1000 by default: try -server-args '-max-conns 5000 -joins-per-ip 0 -conns-per-ip 0')", failed, o.idle, o.idle)
	}
	return nil
}

// settledRSS samples the server's memory every half second until two
// samples in a row are within 1% of each other, or limit passes.
func settledRSS(srv *child, limit time.Duration) (int, string) {
	deadline := time.Now().Add(limit)
	prev, _ := srv.rssKiB()
	for time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
		cur, err := srv.rssKiB()
		if err != nil {
			return prev, "server gone: " + err.Error()
		}
		if d := cur - prev; d*100 <= cur && -d*100 <= cur {
			return cur, "settled"
		}
		prev = cur
	}
	return prev, "still moving after " + limit.String()
}

func failures(n int, first error) string {
	if n == 0 {
		return "0 failed"
	}
	return fmt.Sprintf("%d failed, first: %v", n, first)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
