package main

import (
	"fmt"
	"strings"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/gpu"
)

// backendFlagHelp is the help text of every --backend flag.
const backendFlagHelp = "compute backend: gpu, cpu32 (fast CPU, float32-grade like the GPU), cpu (float64 reference) or auto (a hardware GPU if one works, else cpu32; `otplay info` says which)"

// openBackend opens the backend named by a --backend flag. It returns the
// backend and a note for the user when auto chose the CPU.
//
// auto takes a hardware WebGPU adapter (discrete or integrated GPU) and
// otherwise cpu32: a CPU driver (lavapipe/llvmpipe, SwiftShader) computes
// the GPU kernels on the CPU, several times slower than cpu32's vector
// loops. --backend gpu still takes whatever adapter there is.
func openBackend(name string) (compute.Backend, string, error) {
	switch name {
	case "cpu":
		return compute.NewCPU(0), "", nil
	case "cpu32":
		return compute.NewCPUFast(0), "", nil
	case "gpu":
		b, err := openGPU()
		if err != nil {
			return nil, "", fmt.Errorf("--backend gpu: %w", err)
		}
		return b, "", nil
	case "auto":
		choice := chooseAuto(gpu.Adapters())
		if choice.Backend != "gpu" {
			return compute.NewCPUFast(0), choice.Reason, nil
		}
		b, err := openGPU()
		if err != nil {
			return compute.NewCPUFast(0), fmt.Sprintf("auto: %s would do, but it did not open (%v); using cpu32", choice.Adapter, err), nil
		}
		return b, "", nil
	}
	return nil, "", fmt.Errorf("--backend %q: want gpu, cpu32, cpu or auto", name)
}

// autoChoice is what --backend auto picks, and why.
type autoChoice struct {
	Backend string `json:"backend"`           // "gpu" or "cpu32"
	Adapter string `json:"adapter,omitempty"` // the hardware adapter taken
	Reason  string `json:"reason"`
}

// chooseAuto is --backend auto's policy over this machine's WebGPU
// adapters (gpu.Adapters): the first hardware adapter, else cpu32.
func chooseAuto(adapters []gpu.Info, err error) autoChoice {
	if err != nil || len(adapters) == 0 {
		why := "none found"
		if err != nil {
			why = err.Error()
		}
		return autoChoice{Backend: "cpu32", Reason: fmt.Sprintf("auto: no WebGPU adapter (%s); using cpu32", why)}
	}
	var soft []string
	for _, a := range adapters {
		if !a.Fallback {
			return autoChoice{Backend: "gpu", Adapter: a.Adapter, Reason: fmt.Sprintf("auto: %s is a hardware adapter (%s via %s)", a.Adapter, a.Type, a.Backend)}
		}
		soft = append(soft, a.Adapter)
	}
	what := "the only WebGPU adapter is " + soft[0] + " (a CPU driver)"
	if len(soft) > 1 {
		what = "the only WebGPU adapters are " + strings.Join(soft, ", ") + " (CPU drivers)"
	}
	return autoChoice{Backend: "cpu32", Reason: "auto: " + what + "; using cpu32, which is faster here; --backend gpu forces it"}
}
