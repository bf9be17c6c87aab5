// Package rss reads this process's peak resident set (Linux), for
// benchmarks that report peak-RSS-MB.
package rss

import (
	"os"
	"strconv"
	"strings"
)

// ResetPeak starts a new peak-RSS measurement: writing 5 to clear_refs
// resets VmHWM to the current resident set (Linux 4.0+; elsewhere a no-op).
func ResetPeak() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// PeakMB is VmHWM from /proc/self/status in MB (0 where unknown).
func PeakMB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}
