//go:build js

package ui

import (
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu"
	"github.com/otplay/otplay/gpu"
)

// In the browser the GPU backend is compute/webgpu on navigator.gpu's
// default adapter (gpu.Open awaits the adapter and device promises, so
// OpenBackend runs in a goroutine).
func init() {
	openWebGPU = func() (compute.Backend, error) { return webgpu.Open(gpu.Options{}) }
}
