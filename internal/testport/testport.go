// Package testport hands tests loopback ports for servers they start as
// other processes, or restart on the same port.
//
// A port a test learns by listening on port 0 and closing the listener is
// free only at that moment. Two things can take it before the server the
// port is meant for binds it: another test's server (in this process or in
// another package's test binary, which go test runs beside it), and any
// outgoing connection on the machine, whose local port the kernel takes
// from the same ephemeral range that port 0 draws from; on a loaded machine
// running many tests, both happen ("bind: address already in use"). So
// Reserve takes ports outside the ephemeral range
// (/proc/sys/net/ipv4/ip_local_port_range), which no outgoing connection
// uses, and holds a flock(2) reservation of each, which other tests
// respect and the kernel drops when a test process dies.
package testport

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// Reserve returns a free loopback port outside the ephemeral range and the
// lock that reserves it: close the file to release it (hold it while the
// port's server lives, down or up, across restarts).
func Reserve() (int, *os.File, error) {
	lo, hi := candidates()
	for attempt := 0; attempt < 200; attempt++ {
		var port int
		if hi > lo {
			port = lo + rand.IntN(hi-lo)
		} else {
			// No room outside the ephemeral range: the kernel's choice.
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return 0, nil, fmt.Errorf("testport: find a free port: %w", err)
			}
			port = l.Addr().(*net.TCPAddr).Port
			_ = l.Close()
		}
		f, err := Lock(port)
		if err != nil {
			return 0, nil, err
		}
		if f == nil {
			continue // another test holds it
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			_ = f.Close() // in use by something that is not a test of ours
			continue
		}
		_ = l.Close()
		return port, f, nil
	}
	return 0, nil, errors.New("testport: no free, unreserved port after 200 tries")
}

// Port reserves a port for the rest of the test and returns it as a
// string.
func Port(t testing.TB) string {
	t.Helper()
	port, f, err := Reserve()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return strconv.Itoa(port)
}

// Lock takes the reservation of port: the open, locked file, or nil when a
// test (of this process or another) holds it.
func Lock(port int) (*os.File, error) {
	dir, err := portsDir()
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(port)), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("testport: port reservations: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, nil
		}
		return nil, fmt.Errorf("testport: port reservations: %w", err)
	}
	return f, nil
}

// portsDir is the directory of port reservations, made once per process
// (the name predates this package: testredis kept its reservations there).
var portsDir = sync.OnceValues(func() (string, error) {
	dir := filepath.Join(os.TempDir(), "markwatch-testredis-ports")
	return dir, os.MkdirAll(dir, 0o755)
})

// candidates is the range [lo, hi) Reserve draws from: below the ephemeral
// range from 10000, or above it when there is more room there; empty when
// neither has 1,000 ports.
var candidates = sync.OnceValues(func() (int, int) {
	const floor = 10000
	eLo, eHi := 32768, 60999 // Linux's default
	if data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(data)); len(f) == 2 {
			a, errA := strconv.Atoi(f[0])
			b, errB := strconv.Atoi(f[1])
			if errA == nil && errB == nil && a <= b {
				eLo, eHi = a, b
			}
		}
	}
	below, above := eLo-floor, 65536-(eHi+1)
	switch {
	case below >= 1000 && below >= above:
		return floor, eLo
	case above >= 1000:
		return eHi + 1, 65536
	}
	return 0, 0
})
