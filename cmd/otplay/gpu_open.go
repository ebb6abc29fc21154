package main

import (
	"errors"

	"github.com/otplay/otplay/compute"
)

// openGPU opens the WebGPU backend (replaced once compute/webgpu lands).
func openGPU() (compute.Backend, error) {
	return nil, errors.New("GPU backend not built yet")
}
