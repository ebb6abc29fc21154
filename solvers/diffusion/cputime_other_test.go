//go:build !unix

package diffusion

import "math"

// processCPUSeconds is NaN where getrusage does not exist (the browser).
func processCPUSeconds() float64 { return math.NaN() }
