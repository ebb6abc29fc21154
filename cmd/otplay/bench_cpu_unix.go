//go:build unix

package main

import "syscall"

// processCPUSeconds is this process's user + system CPU time, for bench's
// cpu_ms (0 if the OS does not say).
func processCPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
