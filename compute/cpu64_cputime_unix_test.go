//go:build unix

package compute

import (
	"math"
	"syscall"
)

// cpuSeconds is this process's user + system CPU time: on a shared,
// loaded machine it measures the work done more steadily than the wall
// clock.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
