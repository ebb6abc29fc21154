//go:build !unix

package main

// processCPUSeconds is 0 where getrusage does not exist: bench leaves
// cpu_ms out.
func processCPUSeconds() float64 { return 0 }
