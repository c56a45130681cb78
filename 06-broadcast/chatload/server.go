//go:build linux

package main

// The server under test as a child process: started on a free loopback
// port, watched through /proc (memory and CPU time), killed at the end.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// child is the server process.
type child struct {
	cmd  *exec.Cmd
	addr string   // 127.0.0.1:PORT
	log  *os.File // its stdout and stderr
}

// startServer runs binary -addr 127.0.0.1:PORT args... with its output
// in a temporary file, and waits until it accepts connections.
func startServer(binary string, args []string) (*child, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	logFile, err := os.CreateTemp("", "chatload-server-*.log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(binary, append([]string{"-addr", addr}, args...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// The server dies with us, even if we are killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	c := &child{cmd: cmd, addr: addr, log: logFile}
	if err := c.waitReady(10 * time.Second); err != nil {
		c.kill()
		return nil, err
	}
	return c, nil
}

// freeAddr finds a loopback port no one listens on. Another program may
// take it before the server does; the server then fails and we say so.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// waitReady dials the server until it answers, or the process ends, or
// limit passes.
func (c *child) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if conn, err := net.DialTimeout("tcp", c.addr, time.Second); err == nil {
			conn.Close()
			return nil
		}
		if _, err := c.rssKiB(); err != nil {
			return fmt.Errorf("server exited; its output is in %s", c.log.Name())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("server not accepting on %s after %s; its output is in %s", c.addr, limit, c.log.Name())
}

// kill ends the server and reaps it.
func (c *child) kill() {
	c.cmd.Process.Kill()
	c.cmd.Wait()
	c.log.Close()
}

// rssKiB is the server's resident memory, VmRSS in /proc/PID/status.
func (c *child) rssKiB() (int, error) {
	status, err := os.ReadFile("/proc/" + strconv.Itoa(c.cmd.Process.Pid) + "/status")
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
		}
	}
	return 0, errors.New("no VmRSS in /proc status (a zombie?)")
}

// clockTick is the unit of /proc/PID/stat's times (USER_HZ, 100 on Linux
// everywhere that matters).
const clockTick = 10 * time.Millisecond

// cpuTime is the CPU time the server has used, user plus system, from
// fields 14 and 15 of /proc/PID/stat.
func (c *child) cpuTime() time.Duration {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(c.cmd.Process.Pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	fields := strings.Fields(string(stat[i+1:])) // from field 3 on
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * clockTick
}

// writes is the server's count of write system calls (write, writev) and
// the bytes they wrote, from /proc/PID/io: how many frames a write
// carries shows how much a server batches.
func (c *child) writes() (calls, bytes int64) {
	io, err := os.ReadFile("/proc/" + strconv.Itoa(c.cmd.Process.Pid) + "/io")
	if err != nil {
		return 0, 0
	}
	for line := range strings.Lines(string(io)) {
		name, value, _ := strings.Cut(strings.TrimSpace(line), ": ")
		n, _ := strconv.ParseInt(value, 10, 64)
		switch name {
		case "syscw":
			calls = n
		case "wchar":
			bytes = n
		}
	}
	return calls, bytes
}

// ownCPUTime is the CPU time this process has used.
func ownCPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// raiseFileLimit lifts the soft limit on open files to the hard one:
// thousands of connections need thousands of descriptors, on our side and,
// since a child inherits the limit, on the server's.
func raiseFileLimit() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	return lim.Cur, nil
}
