//go:build !js

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
// kernels on the CPU. Measured on the 2-core development machine under
// load (20 Sinkhorn iterations, n = 2304): in 2-D, where cpu32 has its
// AVX2 soft-min, cpu32 took 0.45..1.9 s and lavapipe 1.4 s; in 3-D cpu32
// took 9.3..12.2 s and lavapipe 2.1..2.8 s; in 5-D and 9-D the two were
// within 30%. The built-in data sets are 2-D, so auto takes cpu32 and says
// that --backend gpu may be faster in higher dimensions.
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
	return AutoChoice{Backend: "cpu32", Reason: "auto: " + what + "; using cpu32, faster here on 2-D data (in 3-D and up the CPU driver can be faster: --backend gpu forces it)"}
}
