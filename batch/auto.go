package batch

import (
	"fmt"
	"strings"

	"github.com/otplay/otplay/gpu"
)

// AutoChoice is what --backend auto picks, and why.
type AutoChoice struct {
	Backend string `json:"backend"`           // "gpu" or "cpu32"
	Adapter string `json:"adapter,omitempty"` // the hardware adapter taken
	Reason  string `json:"reason"`
}

// ChooseAuto is --backend auto's policy over this machine's WebGPU
// adapters (gpu.Adapters, or the error that listing them gave): the first
// hardware adapter (a discrete or integrated GPU), else cpu32. A CPU
// driver (lavapipe/llvmpipe, SwiftShader: gpu.Info.Fallback) runs the GPU
// kernels on the CPU, several times slower than cpu32's vector loops (the
// README's CPU table: a soft-min at n = 1e4 took 0.61 s on lavapipe and
// 0.15 s on cpu32 on the 2-core development machine); --backend gpu still
// takes one.
func ChooseAuto(adapters []gpu.Info, err error) AutoChoice {
	if err != nil || len(adapters) == 0 {
		why := "none found"
		if err != nil {
			why = err.Error()
		}
		return AutoChoice{Backend: "cpu32", Reason: fmt.Sprintf("auto: no WebGPU adapter (%s); using cpu32", why)}
	}
	var soft []string
	for _, a := range adapters {
		if !a.Fallback {
			return AutoChoice{Backend: "gpu", Adapter: a.Adapter, Reason: fmt.Sprintf("auto: %s is a hardware adapter (%s via %s)", a.Adapter, a.Type, a.Backend)}
		}
		soft = append(soft, a.Adapter)
	}
	what := "the only WebGPU adapter is " + soft[0] + " (a CPU driver)"
	if len(soft) > 1 {
		what = "the only WebGPU adapters are " + strings.Join(soft, ", ") + " (CPU drivers)"
	}
	return AutoChoice{Backend: "cpu32", Reason: "auto: " + what + "; using cpu32, which is faster here; --backend gpu forces it"}
}
