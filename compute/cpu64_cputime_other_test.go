//go:build !unix

package compute

import "math"

// cpuSeconds is NaN where getrusage does not exist (the browser): the
// benchmark's cpu-ms/iter says so.
func cpuSeconds() float64 { return math.NaN() }
