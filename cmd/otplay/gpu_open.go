package main

import (
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu"
	"github.com/otplay/otplay/gpu"
)

// openGPU opens this machine's WebGPU device as a compute backend.
func openGPU() (compute.Backend, error) {
	return webgpu.Open(gpu.Options{})
}
