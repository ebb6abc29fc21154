//go:build unix

package diffusion

import (
	"math"
	"syscall"
)

// processCPUSeconds is the process's user + system CPU time, lavapipe's
// threads included: steadier than the wall clock on a shared machine.
func processCPUSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return math.NaN()
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
