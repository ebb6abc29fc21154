package main

import (
	"fmt"

	"github.com/otplay/otplay/compute"
)

// backendFlagHelp is the help text of every --backend flag.
const backendFlagHelp = "compute backend: cpu, gpu or auto (GPU if one works, else CPU)"

// openBackend opens the backend named by a --backend flag. It returns the
// backend and a note for the user when auto fell back to the CPU.
func openBackend(name string) (compute.Backend, string, error) {
	switch name {
	case "cpu":
		return compute.NewCPU(0), "", nil
	case "gpu", "auto":
		b, err := openGPU()
		if err == nil {
			return b, "", nil
		}
		if name == "gpu" {
			return nil, "", fmt.Errorf("--backend gpu: %w", err)
		}
		return compute.NewCPU(0), fmt.Sprintf("no usable GPU (%v); using the CPU backend", err), nil
	}
	return nil, "", fmt.Errorf("--backend %q: want cpu, gpu or auto", name)
}
