package testport

import (
	"net"
	"strconv"
	"testing"
)

// Reserved ports are outside the kernel's ephemeral range (no outgoing
// connection can take one), bindable, distinct while held, and held
// against every other reservation until released.
func TestReservedPortsAreOutsideTheEphemeralRangeAndExclusive(t *testing.T) {
	lo, hi := candidates()
	if hi <= lo {
		t.Skip("this machine's ephemeral range leaves no room for reservations: Reserve falls back to the kernel's free port")
	}
	held := map[int]bool{}
	for range 50 {
		port, f, err := Reserve()
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if port < lo || port >= hi {
			t.Fatalf("port %d outside [%d, %d)", port, lo, hi)
		}
		if held[port] {
			t.Fatalf("port %d handed out twice while reserved", port)
		}
		held[port] = true
		if again, err := Lock(port); err != nil || again != nil {
			t.Fatalf("port %d: a second reservation was granted (%v)", port, err)
		}
	}
	// An outgoing connection takes its local port from the ephemeral
	// range, never from the reservations'.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if local := c.LocalAddr().(*net.TCPAddr).Port; local >= lo && local < hi {
		t.Fatalf("an outgoing connection got local port %d, inside the reservation range [%d, %d)", local, lo, hi)
	}
	// Released, a port can be reserved again.
	port, f, err := Reserve()
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	again, err := Lock(port)
	if err != nil || again == nil {
		t.Fatalf("port %d still reserved after release (%v)", port, err)
	}
	again.Close()
	bound, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("reserved port %d not bindable: %v", port, err)
	}
	bound.Close()
}
