package main

import (
	"fmt"

	"github.com/otplay/otplay/compute"
)

// backendFlagHelp is the help text of every --backend flag.
const backendFlagHelp = "compute backend: gpu, cpu32 (fast CPU, float32-grade like the GPU), cpu (float64 reference) or auto (GPU if one works, else cpu32)"

// openBackend opens the backend named by a --backend flag. It returns the
// backend and a note for the user when auto fell back to the CPU.
func openBackend(name string) (compute.Backend, string, error) {
	switch name {
	case "cpu":
		return compute.NewCPU(0), "", nil
	case "cpu32":
		return compute.NewCPUFast(0), "", nil
	case "gpu", "auto":
		b, err := openGPU()
		if err == nil {
			return b, "", nil
		}
		if name == "gpu" {
			return nil, "", fmt.Errorf("--backend gpu: %w", err)
		}
		return compute.NewCPUFast(0), fmt.Sprintf("no usable GPU (%v); using the fast CPU backend (cpu32)", err), nil
	}
	return nil, "", fmt.Errorf("--backend %q: want gpu, cpu32, cpu or auto", name)
}
